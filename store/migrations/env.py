"""Alembic environment: the engine is handed in by store.migrate (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from store.migrate import include_object
from store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
