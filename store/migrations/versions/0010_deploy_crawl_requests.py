"""crawl requests: the admin's "crawl now" from any web process, claimed by the active daemon

Revision ID: 0010_deploy_crawl_requests
Revises: 0009_scrapyd_run_node
Create Date: 2026-12-07

With several `vahti serve` processes and a separate `vahti run`, "crawl now" is asked on one
process and run by another: the request is a row the active daemon claims.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0010_deploy_crawl_requests"
down_revision = "0009_scrapyd_run_node"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_requests",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_crawl_requests_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_crawl_requests")),
    )


def downgrade() -> None:
    op.drop_table("crawl_requests")
