"""Shared pieces of the commands: the app context, printing, failing with the right code.

Terminal safety: text from sites, sources, subscribers or the database reaches the terminal
only through :func:`visible` (control characters but newline, bidi and other format
characters, line separators and lone surrogates shown as escapes such as ``\\x1b``; nothing
raw that a terminal would act on) and, in Rich output, as :class:`rich.text.Text`
(:func:`plain`), never as markup: "[bold]" or ":smile:" in scraped text stays as written.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime, time
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.text import Text

from config import Settings
from text.sanitise import FORMAT_CHARS
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


# What a terminal may act on or hide: C0 controls but newline, DEL, C1 controls, line and
# paragraph separators, format characters (bidi overrides...), lone surrogates.
_UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARS}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(value: object) -> str:
    """`value` as text that shows on a terminal as it is: every character a terminal could
    act on or hide (see the module docstring) as a visible escape, e.g. ESC as ``\\x1b``,
    U+202E as ``\\u202e``. Newlines stay. None is ""."""
    text = "" if value is None else str(value)
    return text if text.isprintable() else _UNSAFE.sub(_escape, text)


def plain(value: object, style: str = "") -> Text:
    """`value` for Rich (a table cell, a line): :func:`visible` text, never read as markup."""
    return Text(visible(value), style=style)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit (2: bad usage or input; 1: the job partly failed)."""
    typer.echo(f"error: {visible(message)}", err=True)
    raise typer.Exit(code)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def print_json(data: Any) -> None:
    """`data` as JSON on stdout; characters a terminal could act on or hide are JSON escapes
    (JSON itself escapes only C0 controls)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_UNSAFE.sub(_json_escape, text) + "\n")


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
