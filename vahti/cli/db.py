"""`vahti db`: the database schema."""

from __future__ import annotations

import typer

from store.migrate import upgrade as run_upgrade
from vahti.cli.common import state
from vahti.context import open_engine

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply pending migrations (also done automatically on first use)."""
    engine = open_engine(state.app.settings.database)
    before, after = run_upgrade(engine)
    engine.dispose()
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")
