"""`vahti db`: the database schema."""

from __future__ import annotations

import typer

from store.db import make_engine
from store.migrate import upgrade as run_upgrade
from vahti.cli.common import state

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply pending migrations (also done automatically on first use)."""
    settings = state.app.settings
    engine = make_engine(settings.database.url, busy_timeout_ms=settings.database.busy_timeout_ms)
    before, after = run_upgrade(engine)
    engine.dispose()
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")
