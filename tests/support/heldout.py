"""Labelled sets split into a tune half and a held-out half, the same way every time.

A line belongs to the held-out half when the first byte of the SHA-256 of its text is odd, to
the tune half when it is even: the split needs no seed and no order, and a line keeps its half
when others are added. Tuning reads the tune half only; figures are reported on the held-out
half (docs/testing.md, "Held-out sets").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Literal, TypeVar

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DATES = FIXTURES / "dates" / "labelled.txt"
# The reference day of the dates set (a date without a year is the coming one).
DATES_TODAY = date(2026, 11, 28)

Half = Literal["tune", "held-out"]
T = TypeVar("T")


def half_of(text: str) -> Half:
    return "held-out" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 else "tune"


def split(rows: Iterable[tuple[str, T]], half: Half) -> list[tuple[str, T]]:
    return [row for row in rows if half_of(row[0]) == half]


def _moment(value: str) -> datetime | None:
    if value == "-":
        return None
    return datetime.fromisoformat(value if " " in value else value + " 00:00")


# Written after the parser was tuned on DATES, before it was measured on them: held out whole.
DATES_2 = FIXTURES / "dates" / "heldout-2.txt"


def date_rows(path: Path = DATES) -> list[tuple[str, tuple[datetime, datetime | None, bool]]]:
    """(text, (start, end, all day)) of every labelled date text."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, start, end = line.split("\t")
        moment = _moment(start)
        assert moment is not None, line
        rows.append((text, (moment, _moment(end), " " not in start)))
    return rows


CATEGORIES = FIXTURES / "categories" / "labelled.txt"


# Written after the tuning on CATEGORIES' tune half, before its held-out misses were read:
# held out as a whole.
CATEGORIES_2 = FIXTURES / "categories" / "heldout-2.txt"


def category_rows(
    path: Path = CATEGORIES,
) -> list[tuple[str, tuple[frozenset[str], frozenset[str]]]]:
    """(title, (categories, audiences)) of every labelled title; "other" when none fits."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        title, categories, audiences = line.split("\t")
        rows.append(
            (
                title,
                (
                    frozenset(categories.split(",")),
                    frozenset(audiences.split(",")) - {"-"},
                ),
            )
        )
    return rows
