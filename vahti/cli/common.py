"""Shared pieces of the commands: the app context, printing, failing with the right code."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from config import Settings
from vahti.context import AppContext

console = Console()
err_console = Console(stderr=True)


class _State:
    context: AppContext | None = None

    def load(self, settings: Settings) -> None:
        self.context = AppContext(settings=settings)

    @property
    def app(self) -> AppContext:
        if self.context is None:
            raise RuntimeError("settings not loaded")
        return self.context

    def close(self) -> None:
        if self.context is not None:
            self.context.close()


state = _State()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit (2: bad usage or input; 1: the job partly failed)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def parse_day(value: str | None, option: str, zone: str, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD (or full ISO) option as an aware datetime in `zone`."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max if end else time.min, ZoneInfo(zone))
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (use YYYY-MM-DD)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))
