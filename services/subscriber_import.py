"""Importing subscribers from a CSV file, as when a list moves here from another tool.

The first row names the columns (any order, any case): email (required), language,
categories, keywords, cities, online, event_languages, day, hour, timezone, and also
audiences and max_items. Lists are separated by ";". A column left out keeps an existing
subscriber's value (new ones get the defaults); an empty cell means the default (for lists: no
filter). `parse_csv` is pure: it returns the good rows and, for every bad one, its line number
and what is wrong with it. `import_rows` writes the good rows: imported subscribers are
confirmed; an address already there is updated, not duplicated, and someone who unsubscribed
or bounced stays so. Addresses go through the one check, services.subscribers.check_address.

`decode_csv` turns the file's bytes into text: UTF-8 (with or without a byte-order mark), or
UTF-16/UTF-32 when the file starts with their byte-order mark (as spreadsheets save "Unicode
text"); anything else that is not UTF-8 is refused with one line naming the byte and line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscribers import Defaults, check_address
from store import vocab
from store.models import Subscriber

COLUMNS = (
    "email",
    "language",
    "categories",
    "keywords",
    "cities",
    "online",
    "event_languages",
    "day",
    "hour",
    "timezone",
    "audiences",
    "max_items",
)
TRUE = {"1", "yes", "y", "true", "kyllä", "k", "ja", "on"}
FALSE = {"0", "no", "n", "false", "ei", "e", "nej", "off"}
DAY_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


class CsvError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, unknown columns)."""


# Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's mark).
BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8, or UTF-16/UTF-32 with a byte-order mark; CsvError otherwise."""
    encoding = next((name for mark, name in BYTE_ORDER_MARKS if data.startswith(mark)), "utf-8")
    if encoding == "utf-8" and b"\x00" in data.split(b"\n", 1)[0]:
        raise CsvError(
            "line 1 has NUL bytes: the file looks like UTF-16 or UTF-32 without a byte-order "
            "mark; save it as UTF-8"
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        shown = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        raise CsvError(
            f"not {shown} text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from None
    return text


@dataclass
class ParsedCsv:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, values)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _closed(values: list[str], allowed: Iterable[str], what: str) -> list[str]:
    allowed = tuple(allowed)
    result: list[str] = []
    for value in values:
        key = re.sub(r"[\s_]+", "-", value.strip().lower())
        if key not in allowed:
            raise ValueError(f"{what} {value!r} is not one of {', '.join(allowed)}")
        result.append(key)
    return list(dict.fromkeys(result))


def _day(value: str) -> str:
    key = value.strip().lower()
    key = DAY_NAMES.get(key, key)
    if key not in vocab.WEEKDAYS:
        raise ValueError(f"day {value!r} is not one of {', '.join(vocab.WEEKDAYS)}")
    return key


def _hour(value: str) -> int:
    match = re.fullmatch(r"(\d{1,2})(?:[:.]00)?", value.strip())
    if not match or not 0 <= int(match.group(1)) <= 23:
        raise ValueError(f"hour {value!r} is not a whole hour 0-23")
    return int(match.group(1))


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {value!r} is not a time zone (e.g. Europe/Helsinki)") from None
    return value.strip()


def _online(value: str) -> bool:
    key = value.strip().lower()
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise ValueError(f"online {value!r} is not yes or no")


def _max_items(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 200:
        raise ValueError(f"max_items {value!r} is not a number 1-200")
    return int(value)


def parse_value(column: str, raw: str, defaults: Defaults) -> Any:
    """One cell as the value to store (an empty cell gives the default)."""
    if column == "email":
        return check_address(raw)  # BadAddress is a ValueError: the row is reported
    raw = raw.strip()
    if column in ("categories", "keywords", "cities", "event_languages", "audiences"):
        values = _split(raw)
        if column == "categories":
            return _closed(values, vocab.CATEGORIES, "category")
        if column == "event_languages":
            return _closed(values, vocab.EVENT_LANGUAGES, "event language")
        if column == "audiences":
            return _closed(values, vocab.AUDIENCES, "audience")
        return list(dict.fromkeys(values))
    if not raw:
        return {
            "language": defaults.language,
            "online": True,
            "day": defaults.day,
            "hour": defaults.hour,
            "timezone": defaults.timezone,
            "max_items": defaults.max_items,
        }[column]
    parsers = {
        "language": lambda v: _closed([v], vocab.LANGUAGES, "language")[0],
        "online": _online,
        "day": _day,
        "hour": _hour,
        "timezone": _timezone,
        "max_items": _max_items,
    }
    return parsers[column](raw)


def parse_csv(text: str, defaults: Defaults) -> ParsedCsv:
    """Good rows and bad rows (with line numbers) of a subscriber CSV file."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("the file is empty; the first row must name the columns") from None
    except csv.Error as exc:
        raise CsvError(f"line 1: {exc}") from exc
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CsvError(
            f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"columns: {', '.join(COLUMNS)}"
        )
    if "email" not in names:
        raise CsvError("line 1: no email column")
    if len(set(names)) != len(names):
        raise CsvError("line 1: a column is named twice")
    parsed = ParsedCsv()
    seen: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.errors.append((start, str(exc)))
            continue
        line = start
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            parsed.errors.append((line, f"{len(cells)} cells, the header has {len(names)}"))
            continue
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, cell in zip(names, cells, strict=True):
            try:
                values[name] = parse_value(name, cell, defaults)
            except ValueError as exc:
                problems.append(str(exc))
        if not problems and values["email"].lower() in seen:
            problems.append(f"{values['email']} is already on line {seen[values['email'].lower()]}")
        if problems:
            parsed.errors.append((line, "; ".join(problems)))
            continue
        seen[values["email"].lower()] = line
        parsed.rows.append((line, values))
    return parsed


FIELD_FOR_COLUMN = {
    "online": "include_online",
    "day": "send_day",
    "hour": "send_hour",
}


@dataclass
class ImportCounts:
    added: int = 0
    updated: int = 0
    kept_out: list[str] = field(default_factory=list)  # unsubscribed or bounced: not re-added


def import_rows(
    session: Session, rows: list[dict[str, Any]], defaults: Defaults, now: datetime
) -> ImportCounts:
    """Add or update subscribers (the caller commits)."""
    counts = ImportCounts()
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        existing = {
            s.email: s
            for s in session.scalars(
                select(Subscriber).where(Subscriber.email.in_([r["email"] for r in chunk]))
            )
        }
        for values in chunk:
            subscriber = existing.get(values["email"])
            if subscriber is None:
                subscriber = Subscriber(
                    email=values["email"],
                    language=defaults.language,
                    timezone=defaults.timezone,
                    send_day=defaults.day,
                    send_hour=defaults.hour,
                    max_items=defaults.max_items,
                    created_at=now,
                )
                session.add(subscriber)
                counts.added += 1
            else:
                counts.updated += 1
            for column, value in values.items():
                if column != "email":
                    setattr(subscriber, FIELD_FOR_COLUMN.get(column, column), value)
            if subscriber.status in (vocab.SUBSCRIBER_UNSUBSCRIBED, vocab.SUBSCRIBER_BOUNCED):
                counts.kept_out.append(subscriber.email)
            elif subscriber.status != vocab.SUBSCRIBER_ACTIVE:
                subscriber.status = vocab.SUBSCRIBER_ACTIVE
                subscriber.confirmed_at = now
        session.flush()
    return counts
