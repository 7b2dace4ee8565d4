"""The `vahti` command line. Exit codes: 0 done; 1 ran but part failed; 2 bad usage or input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from config.loader import SettingsError, load_settings
from store.db import DatabaseError
from vahti.cli import db, demo, digest, events, run, serve, sources, subscribers
from vahti.cli.common import fail, state

app = typer.Typer(
    name="vahti",
    help="Tapahtumavahti: collects professional-networking events and sends weekly digests.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    settings: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            help="Settings file (default: $VAHTI_SETTINGS, else ./settings.toml, else defaults).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    try:
        state.load(load_settings(settings))
    except SettingsError as exc:
        fail(str(exc), code=2)


app.add_typer(db.app, name="db")
app.add_typer(sources.app, name="sources")
app.command("crawl")(sources.crawl)
app.command("dedupe")(events.dedupe)
app.add_typer(events.app, name="events")
app.add_typer(subscribers.app, name="subscribers")
app.add_typer(digest.app, name="digest")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("run")(run.run)
app.command("worker")(run.worker)


def main() -> None:
    try:
        app()
    except DatabaseError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        state.close()
