"""Helpers for the extraction tests: saved fixtures, a fixed clock, a context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapers.extractors import ExtractContext, Extraction, extract
from store.record import EventRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "extract"
# The day the fixtures were saved; the same instant as conftest's `now`.
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def context(url: str, **kwargs: Any) -> ExtractContext:
    return ExtractContext(url=url, now=kwargs.pop("now", NOW), **kwargs)


def run(kind: str, path: tuple[str, ...], url: str, **kwargs: Any) -> Extraction:
    return extract(kind, fixture(*path), context(url, **kwargs))


def by_id(records: list[EventRecord]) -> dict[str | None, EventRecord]:
    return {r.external_id: r for r in records}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
