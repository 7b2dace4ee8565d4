"""crawl page memory, run messages, health reason

Revision ID: 0006_crawl
Revises: 0005
Create Date: 2026-11-28

http_validators remember, per page, the listing keys it yielded and the links it led to (a
304 or a passing failure then stands in for the last read); crawl_runs keep their first few
error messages; sources say why they are degraded or failing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006_crawl"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("http_validators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("record_keys", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("links", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("error_messages", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("health_reason")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("error_messages")
    with op.batch_alter_table("http_validators", schema=None) as batch_op:
        batch_op.drop_column("fetched_at")
        batch_op.drop_column("links")
        batch_op.drop_column("record_keys")
