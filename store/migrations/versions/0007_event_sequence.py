"""event sequence, indexes for feed validators

Revision ID: 0007_event_sequence
Revises: 0006_crawl
Create Date: 2026-11-28

events.sequence counts the changes a reader could see (iCalendar SEQUENCE); indexes on
events.updated_at and events.end_at let a feed find its newest change and its next expiry
without reading the events (Last-Modified and cheap 304 answers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0007_event_sequence"
down_revision = "0006_crawl"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sequence", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.create_index("ix_events_updated_at", ["updated_at"], unique=False)
        batch_op.create_index("ix_events_end_at", ["end_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_end_at")
        batch_op.drop_index("ix_events_updated_at")
        batch_op.drop_column("sequence")
