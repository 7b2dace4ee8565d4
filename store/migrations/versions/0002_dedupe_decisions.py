"""dedupe decisions (admin merge/split) and events.merged_into_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedupe_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("other_listing_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_dedupe_decisions_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_listing_id"],
            ["listings.id"],
            name=op.f("fk_dedupe_decisions_other_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dedupe_decisions")),
        sa.UniqueConstraint(
            "listing_id", "other_listing_id", name=op.f("uq_dedupe_decisions_listing_id")
        ),
    )
    with op.batch_alter_table("dedupe_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dedupe_decisions_other_listing_id"), ["other_listing_id"], unique=False
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("merged_into_id")
    with op.batch_alter_table("dedupe_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dedupe_decisions_other_listing_id"))
    op.drop_table("dedupe_decisions")
