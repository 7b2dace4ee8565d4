"""The canonical values of an event, merged from its listings (pure).

Rules, field by field:
* a listing still on its source beats a gone one; then the higher `Source.priority` (an
  organiser's own site over an aggregator); then the most complete value (the longer text);
  then the older listing, so the result never flips between runs;
* the start, end, time zone and all-day flag come together from one listing: one with a
  clock time and a trustworthy zone first (a date-only or UTC-stamped aggregator copy is the
  last resort), then by priority;
* a status other than "scheduled" wins among equal priorities (a cancellation is news);
* categories, audiences and languages are united; titles and descriptions per language are
  united, each language taken from the best listing that has it;
* `urls` keeps every place the event is listed: the canonical URL first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from dedupe.keys import UTC_ZONES
from dedupe.model import DedupeListing
from store import vocab
from store.record import EVENT_FIELDS

TIME_FIELDS = ("start_at", "end_at", "timezone", "all_day")
UNITED = {"categories": vocab.CATEGORIES, "audiences": vocab.AUDIENCES}
PER_LANGUAGE = ("titles", "descriptions")
SPECIAL = {*TIME_FIELDS, *UNITED, *PER_LANGUAGE, "languages", "status", "url", "title", "language"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _completeness(value: Any) -> int:
    if isinstance(value, str | list | dict | tuple):
        return len(value)
    return 1


def _rank(listing: DedupeListing) -> tuple[bool, int, int]:
    return (not listing.gone, listing.priority, -listing.id)


def _best(
    members: Sequence[DedupeListing],
    name: str,
    extra: Callable[[DedupeListing], Any] = lambda _l: 0,
) -> DedupeListing | None:
    having = [m for m in members if not _empty(m.values.get(name))]
    if not having:
        return None
    return max(
        having,
        key=lambda m: (
            not m.gone,
            m.priority,
            extra(m),
            _completeness(m.values.get(name)),
            -m.id,
        ),
    )


def _per_language(members: Sequence[DedupeListing], name: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for member in sorted(members, key=_rank, reverse=True):
        values = dict(member.values.get(name) or {})
        if name == "titles" and not values and member.values.get("language") in vocab.LANGUAGES:
            values = {member.values["language"]: member.title}
        for language, text in values.items():
            if text and language not in merged:
                merged[language] = text
    return dict(sorted(merged.items()))


def canonical_values(members: Sequence[DedupeListing]) -> dict[str, Any]:
    """The merged event fields (store.record.EVENT_FIELDS) plus `urls`."""
    if not members:
        raise ValueError("an event needs at least one listing")
    result: dict[str, Any] = {}
    timed = max(
        members,
        key=lambda m: (
            not m.gone,
            not m.all_day,
            (m.timezone or "") not in UTC_ZONES,
            m.priority,
            -m.id,
        ),
    )
    for name in TIME_FIELDS:
        result[name] = timed.values.get(name, getattr(timed, name))
    top = max(members, key=_rank)
    result["title"] = top.title
    result["language"] = top.values.get("language", "other")
    status_source = _best(members, "status", lambda m: m.values.get("status") != vocab.SCHEDULED)
    result["status"] = status_source.values["status"] if status_source else vocab.SCHEDULED
    for name in PER_LANGUAGE:
        result[name] = _per_language(members, name)
    for name, order in UNITED.items():
        found = {v for m in members for v in (m.values.get(name) or [])}
        result[name] = [v for v in order if v in found] + sorted(found - set(order))
    languages: list[str] = []
    for member in sorted(members, key=_rank, reverse=True):
        for language in member.values.get("languages") or []:
            if language not in languages:
                languages.append(language)
    result["languages"] = languages
    for name in EVENT_FIELDS:
        if name in SPECIAL:
            continue
        source = _best(members, name)
        result[name] = None if source is None else source.values[name]
        if result[name] is None and name in _DEFAULTS:
            result[name] = _DEFAULTS[name]
    urls = _urls(members)
    result["url"] = urls[0] if urls else None
    result["urls"] = urls
    return result


_DEFAULTS: dict[str, Any] = {
    "description_html": "",
    "description_text": "",
    "attendance": vocab.ONSITE,
}


def _urls(members: Sequence[DedupeListing]) -> list[str]:
    urls: list[str] = []
    live = [m for m in members if not m.gone] or list(members)
    for member in sorted(live, key=_rank, reverse=True):
        url = member.url or member.page_url
        if url and url not in urls:
            urls.append(url)
    return urls


def latest(values: Sequence[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
