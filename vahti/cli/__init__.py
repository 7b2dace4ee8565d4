"""The `vahti` command line.

Exit codes: 0 done; 1 ran but part failed (or could not start: a port taken, a secret key file
that cannot be written); 2 bad usage, input or settings; 3 the database cannot be reached or
opened (nothing was done). Every refusal is one line on stderr, never a traceback: the
commands raise, `main` prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from config.loader import SettingsError, load_settings
from store.db import DatabaseError
from vahti.cli import db, demo, digest, events, nodes, run, serve, sources, subscribers
from vahti.cli.common import fail, state
from vahti.unavailable import DATABASE_DOWN, Unavailable, database_unavailable

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
app.add_typer(nodes.app, name="nodes")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("run")(run.run)
app.command("worker")(run.worker)


def main() -> None:
    """Run a command; what stops it is said in one line with its exit code (see above)."""
    try:
        app()
    except DatabaseError as exc:  # database.url is not a URL we can use: a setting
        _exit(str(exc), 2)
    except Unavailable as exc:
        _exit(str(exc), exc.code)
    except DATABASE_DOWN as exc:  # the database went away (or was locked) during the command
        url = state.context.settings.database.url if state.context else ""
        problem = database_unavailable(url, exc)
        _exit(str(problem), problem.code)
    finally:
        state.close()


def _exit(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)
