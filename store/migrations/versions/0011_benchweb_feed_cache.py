"""rendered feeds shared by web processes

Revision ID: 0011_benchweb_feed_cache
Revises: 0010_deploy_crawl_requests
Create Date: 2026-12-07

A feed is rendered once per data version and shared by every `vahti serve` process: the row
holds the body and its ETag, valid while the store's data version (its change mark: the newest
event change and the window's expiries) is still the one it was rendered at. A covering index
lists the window's events in order with their versions without reading the rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_benchweb_feed_cache"
down_revision = "0010_deploy_crawl_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rendered_feeds",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("data_version", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=300), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_rendered_feeds")),
    )
    op.create_index(
        op.f("ix_rendered_feeds_data_version"), "rendered_feeds", ["data_version"], unique=False
    )
    op.create_index(
        "ix_events_feed_window",
        "events",
        ["start_at", "id", "end_at", "gone_at", "updated_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_events_feed_window", table_name="events")
    op.drop_index(op.f("ix_rendered_feeds_data_version"), table_name="rendered_feeds")
    op.drop_table("rendered_feeds")
