"""the Scrapyd node and job of a crawl run

Revision ID: 0009_scrapyd_run_node
Revises: 0008_web_state
Create Date: 2026-12-07

With crawl.backend "scrapyd" a crawl runs as a job on one of the Scrapyd nodes; the run
records which node and which job, so the daemon can follow, cancel and reschedule it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0009_scrapyd_run_node"
down_revision = "0008_web_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("node", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("job", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("job")
        batch.drop_column("node")
