"""iCalendar feeds (icalendar + recurring-ical-events).

The calendar is cut into its VEVENT blocks first, so that

* a broken VEVENT is skipped and counted while the rest load, and a file cut off in the
  middle still gives every complete event;
* events that ended before the crawl window are dropped from their DTSTART/DTEND lines alone,
  before any parsing: calendars with years of history stay fast (a dry run with
  ``include_past`` keeps them);
* only series (RRULE, RDATE, RECURRENCE-ID) go through recurring-ical-events, expanded from
  now (or their first start, for a dry run) to the horizon.

Times: TZID with the calendar's VTIMEZONE or an IANA / Windows name, UTC, or floating (read in
X-WR-TIMEZONE, else the source's zone). An occurrence of a series is keyed
``<UID>#<original start in UTC>``, so a moved occurrence keeps its key.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.parser import unescape_backslash

from scrapers.extractors.base import ExtractContext, ExtractError, Extraction
from scrapers.extractors.decode import decode_text, looks_like_html
from scrapers.normalise import RawEvent, clean_key, times_of
from store.record import EventRecord

_RECURRING = ("RRULE", "RDATE", "RECURRENCE-ID")
_STAMP = re.compile(r":(\d{8})")
_URL = re.compile(r"^https?://\S+$")
# iCalendar lines end in CRLF (or a bare LF or CR); not at the other breaks str.splitlines
# knows (VT, FF, FS, GS, RS, NEL, U+2028, U+2029), which may stand inside a value.
_LINES = re.compile(r"\r\n|\r|\n")
_EARLY = datetime(1900, 1, 1, tzinfo=UTC)
# Properties of a VEVENT that are read (the rest is dropped before parsing).
_READ = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "SUMMARY",
        "DESCRIPTION",
        "X-ALT-DESC",
        "LOCATION",
        "URL",
        "STATUS",
        "CATEGORIES",
        "ORGANIZER",
        "CONFERENCE",
        "X-GOOGLE-CONFERENCE",
    }
)
# What an occurrence says besides its times (occurrences alike share one normalisation).
_CONTENT = (
    "SUMMARY",
    "DESCRIPTION",
    "X-ALT-DESC",
    "LOCATION",
    "URL",
    "STATUS",
    "CATEGORIES",
    "ORGANIZER",
    "CONFERENCE",
)


def _blocks(text: str) -> tuple[list[str], list[str], list[tuple[int, list[str]]], list[int]]:
    """(calendar properties, VTIMEZONE texts, VEVENT (line number, lines), cut-off VEVENTs)."""
    header: list[str] = []
    zones: list[str] = []
    events: list[tuple[int, list[str]]] = []
    broken: list[int] = []
    stack: list[str] = []
    current: list[str] = []
    started = 0
    for number, line in enumerate(_LINES.split(text), start=1):
        upper = line[:16].upper()
        if upper.startswith("BEGIN:"):
            name = line[6:].strip().upper()
            if name == "VEVENT" and "VEVENT" in stack:  # a VEVENT that never ended
                broken.append(started)
                stack = stack[: stack.index("VEVENT")]
            stack.append(name)
            if name in ("VEVENT", "VTIMEZONE") and len(stack) == 2:
                current, started = [], number
        if len(stack) >= 2 and stack[1] in ("VEVENT", "VTIMEZONE"):
            current.append(line)
        elif len(stack) == 1 and not upper.startswith(("BEGIN:", "END:")):
            header.append(line)
        if upper.startswith("END:") and stack:
            name = line[4:].strip().upper()
            if name in stack:
                stack = stack[: len(stack) - 1 - stack[::-1].index(name)]
            if len(stack) == 1 and name in ("VEVENT", "VTIMEZONE"):
                (
                    events.append((started, current))
                    if name == "VEVENT"
                    else zones.append("\r\n".join(current))
                )
    if len(stack) >= 2 and stack[1] == "VEVENT":
        broken.append(started)
    return header, zones, events, broken


def _header_value(header: list[str], name: str) -> str | None:
    for line in header:
        key, _, value = line.partition(":")
        if key.split(";")[0].strip().upper() == name:
            return value.strip()
    return None


def _zone_or(name: str | None, fallback: str) -> str:
    if name:
        try:
            ZoneInfo(name)
            return name
        except (KeyError, ValueError):
            pass
    return fallback


def _ended_before(lines: list[str], cutoff: date) -> bool:
    """True when the DTEND (else DTSTART) line names a day before `cutoff` (read from the
    line's first eight digits after a colon, without parsing it: this runs for every VEVENT
    of the calendar, most of which are never parsed)."""
    start = end = None
    for line in lines:
        head = line[:9].upper()
        if head.startswith("DURATION") and head[8:9] in (":", ";"):
            return False
        if head.startswith("DTEND") and head[5:6] in (":", ";"):
            end = line
        elif head.startswith("DTSTART") and head[7:8] in (":", ";"):
            start = line
    stamp_line = end or start
    match = _STAMP.search(stamp_line) if stamp_line else None
    if match is None:
        return False
    digits = match.group(1)
    try:
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return day < cutoff


def _needed(lines: list[str]) -> list[str]:
    """The lines of a VEVENT that are read: attendees, alarms, stamps and vendor extensions are
    left out before parsing (they are most of an exported calendar's bulk)."""
    kept: list[str] = []
    keep = True
    nested = 0
    for line in lines:
        if line[:1] in (" ", "\t"):
            if keep and not nested:
                kept.append(line)
            continue
        name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
        if name in ("BEGIN", "END"):
            inner = line.split(":", 1)[-1].strip().upper() != "VEVENT"
            nested += (1 if name == "BEGIN" else -1) if inner else 0
            keep = not inner
        else:
            keep = name in _READ
        if keep and not nested:
            kept.append(line)
    return kept


def _is_recurring(lines: list[str]) -> bool:
    return any(line[:13].upper().startswith(_RECURRING) for line in lines)


def extract_ics(body: bytes, ctx: ExtractContext) -> Extraction:
    text = decode_text(body, ctx.content_type)
    if looks_like_html(text):
        raise ExtractError("expected an iCalendar file, got an HTML page")
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise ExtractError("not an iCalendar file: no BEGIN:VCALENDAR at its start")
    header, zones, blocks, broken = _blocks(text)
    result = Extraction()
    for line in broken:
        result.skip(f"{ctx.url}: the VEVENT at line {line} is cut off; skipped")
    if "END:VCALENDAR" not in text[-4096:].upper():
        result.errors.append(f"{ctx.url}: the calendar is cut off; its complete events were read")
    calendar_zone = _zone_or(_header_value(header, "X-WR-TIMEZONE"), ctx.timezone)
    zone_components = _load_zones(zones, ctx, result)
    cutoff = (ctx.now - timedelta(days=2)).date()
    series: dict[str, list[icalendar.Event]] = defaultdict(list)
    for line, lines in blocks:
        recurring = _is_recurring(lines)
        if not ctx.include_past and not recurring and _ended_before(lines, cutoff):
            result.outside_window += 1
            continue
        component = _parse_event(line, lines, ctx, result)
        if component is None:
            continue
        if recurring:
            series[str(component.get("UID") or f"line-{line}")].append(component)
        else:
            _add(result, component, None, calendar_zone, ctx)
    _expand_series(result, series, zone_components, calendar_zone, ctx)
    return result


def _load_zones(zones: list[str], ctx: ExtractContext, result: Extraction) -> list[Any]:
    """Parse the VTIMEZONEs (icalendar then knows their TZIDs when events are parsed)."""
    if not zones:
        return []
    text = "BEGIN:VCALENDAR\r\n" + "\r\n".join(zones) + "\r\nEND:VCALENDAR\r\n"
    try:
        return list(icalendar.Calendar.from_ical(text).walk("VTIMEZONE"))
    except (ValueError, KeyError) as exc:
        result.errors.append(f"{ctx.url}: cannot read the calendar's time zones ({exc})")
        return []


def _parse_event(
    line: int, lines: list[str], ctx: ExtractContext, result: Extraction
) -> icalendar.Event | None:
    try:
        parsed = icalendar.Event.from_ical("\r\n".join(_needed(lines)) + "\r\n")
    except (ValueError, KeyError, IndexError) as exc:
        result.skip(f"{ctx.url}: the VEVENT at line {line} cannot be read ({exc})")
        return None
    if not isinstance(parsed, icalendar.Event):
        result.skip(f"{ctx.url}: the block at line {line} is not a VEVENT")
        return None
    component = parsed
    problems = dict(component.errors)
    if "DTSTART" not in component or "DTSTART" in problems:
        why = problems.get("DTSTART", "no DTSTART")
        result.skip(f"{ctx.url}: the VEVENT at line {line} has no usable start ({why})")
        return None
    return component


def _expand_series(
    result: Extraction,
    series: dict[str, list[icalendar.Event]],
    zones: list[Any],
    calendar_zone: str,
    ctx: ExtractContext,
) -> None:
    """Expand every series: one recurring-ical-events query over all of them, made from the
    VEVENTs as parsed (no calendar of its own per series, no copy per occurrence); a series
    that cannot be expanded is skipped alone. Series without a UID, and the public path
    (FAST_OCCURRENCES off), go one at a time."""
    together = {uid: parts for uid, parts in series.items() if "UID" in parts[0]}
    by_uid: dict[str, list[Any]] = defaultdict(list)
    if FAST_OCCURRENCES and together:
        calendar = icalendar.Calendar()
        for zone in zones:
            calendar.add_component(zone)
        for components in together.values():
            for component in components:
                calendar.add_component(component)
        try:
            query = recurring_ical_events.of(calendar)
            for one in query.series:
                by_uid[str(one.uid)].append(one)
            begin = query.to_datetime(_EARLY if ctx.include_past else ctx.now)
            end = query.to_datetime(ctx.horizon)
        except Exception:  # one broken series spoils the query: each series alone instead
            by_uid.clear()
    for uid, components in series.items():
        if uid not in by_uid:
            _expand(result, uid, components, zones, calendar_zone, ctx)
            continue
        try:
            spans = [span for one in by_uid[uid] for span in _series_spans(one, begin, end)]
        except _NotAsExpected:  # the library's internals changed: its public path
            _expand(result, uid, components, zones, calendar_zone, ctx)
            continue
        except Exception as exc:  # the library raises its own and dateutil's errors
            result.skip(f"{ctx.url}: the series {uid!r} cannot be expanded ({exc})")
            continue
        _add_spans(result, uid, spans, calendar_zone, ctx)


class _NotAsExpected(Exception):
    """recurring-ical-events' occurrence objects are not as `_series_spans` reads them."""


def _series_spans(one: Any, begin: datetime, end: datetime) -> list[tuple[Any, Any, Any]]:
    """(source VEVENT, start, end) of a series' occurrences between `begin` and `end`, read
    as `occurrence_spans` reads them."""
    spans = []
    for occurrence in one.between(begin, end):
        source = getattr(getattr(occurrence, "_adapter", None), "_component", None)
        if source is None or getattr(occurrence, "sequence", -1) >= 0:
            raise _NotAsExpected
        spans.append((source, occurrence.start, occurrence.end))
    return spans


def _expand(
    result: Extraction,
    uid: str,
    components: list[icalendar.Event],
    zones: list[Any],
    calendar_zone: str,
    ctx: ExtractContext,
) -> None:
    calendar = icalendar.Calendar()
    for zone in zones:
        calendar.add_component(zone)
    for component in components:
        calendar.add_component(component)
    begin = _EARLY if ctx.include_past else ctx.now
    try:
        spans = occurrence_spans(recurring_ical_events.of(calendar), begin, ctx.horizon)
    except Exception as exc:  # the library raises its own and dateutil's errors
        result.skip(f"{ctx.url}: the series {uid!r} cannot be expanded ({exc})")
        return
    _add_spans(result, uid, spans, calendar_zone, ctx)


def _add_spans(
    result: Extraction,
    uid: str,
    spans: list[tuple[Any, Any, Any]],
    calendar_zone: str,
    ctx: ExtractContext,
) -> None:
    templates: dict[tuple[Any, ...], EventRecord] = {}
    # One content key and one name per source VEVENT (a series, or a moved occurrence).
    keys: dict[int, tuple[tuple[Any, ...] | None, str]] = {}
    for source, start, end in spans:
        if id(source) not in keys:
            keys[id(source)] = (_content_key(source, uid), _name(source))
        key, name = keys[id(source)]
        when = _span_when(source, start, end, uid, calendar_zone)
        _add(result, source, uid, calendar_zone, ctx, templates, when=when, key=key, name=name)


# Read occurrences without a component copy each (recurring-ical-events' `between()` copies
# the whole VEVENT per occurrence: a third of a large calendar's time). Off: the public path.
FAST_OCCURRENCES = True


def occurrence_spans(query: Any, begin: datetime, end: datetime) -> list[tuple[Any, Any, Any]]:
    """(source VEVENT, start, end) of every occurrence between `begin` and `end`.

    The fast path reads recurring-ical-events' occurrence objects (start, end, and the VEVENT
    they come from: the series or its RECURRENCE-ID override); when the library's internals
    are not as expected it falls back to the public `between()`, which gives the same answer
    (a test compares both).
    """
    inner = getattr(query, "_occurrences_between", None)
    if FAST_OCCURRENCES and inner is not None and hasattr(query, "to_datetime"):
        spans = []
        for occurrence in inner(query.to_datetime(begin), query.to_datetime(end)):
            source = getattr(getattr(occurrence, "_adapter", None), "_component", None)
            if source is None or getattr(occurrence, "sequence", -1) >= 0:
                break
            spans.append((source, occurrence.start, occurrence.end))
        else:
            return spans
    return [
        (
            component,
            component["DTSTART"].dt,
            component["DTEND"].dt if "DTEND" in component else None,
        )
        for component in query.between(begin, end)
    ]


def _span_when(source: Any, start: Any, end: Any, uid: str, calendar_zone: str) -> RawEvent:
    """The times and key of one occurrence of a series (as `_when` reads them off a copy)."""
    if "DTEND" not in source and "DURATION" not in source:
        end = None
    original = source.get("RECURRENCE-ID")
    stamp = _utc_stamp(original if original is not None else start, calendar_zone)
    return RawEvent(
        start=start,
        end=end,
        end_inclusive=False,
        timezone=_zone_name(start, calendar_zone),
        external_id=f"{uid}#{stamp}",
        series_id=uid,
    )


def _utc_stamp(value: Any, zone: str) -> str:
    moment = value.dt if hasattr(value, "dt") else value
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
        return aware.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return moment.strftime("%Y%m%d")


def _zone_name(moment: Any, calendar_zone: str) -> str:
    key = getattr(getattr(moment, "tzinfo", None), "key", None)
    return key if key and key != "UTC" else calendar_zone


def _text(component: Any, name: str) -> str | None:
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0]
    text = str(value).strip()
    return text or None


def _html_description(component: Any) -> str | None:
    """X-ALT-DESC;FMTTYPE=text/html, often a whole HTML document (normalisation keeps its
    body's text, through the one cleaner). icalendar leaves this X- property's TEXT escapes."""
    text = _text(component, "X-ALT-DESC")
    return unescape_backslash(text) if text else None


def _when(component: Any, uid: str | None, calendar_zone: str) -> RawEvent:
    """Only the times and the key of an event (all an occurrence adds to its series)."""
    start = component["DTSTART"].dt
    end: Any = component["DTEND"].dt if "DTEND" in component else None
    if end is None and "DURATION" in component:
        end = start + component["DURATION"].dt
    external_id = str(component.get("UID") or "") or None
    if uid is not None:
        original = component.get("RECURRENCE-ID") or component["DTSTART"]
        external_id = f"{uid}#{_utc_stamp(original, calendar_zone)}"
    return RawEvent(
        start=start,
        end=end,
        end_inclusive=False,
        timezone=_zone_name(start, calendar_zone),
        external_id=external_id,
        series_id=uid,
    )


def _raw(
    component: Any,
    uid: str | None,
    calendar_zone: str,
    ctx: ExtractContext,
    when: RawEvent | None = None,
) -> RawEvent:
    raw = when or _when(component, uid, calendar_zone)
    summary = component.get("SUMMARY")
    location = _text(component, "LOCATION")
    online_url = _text(component, "CONFERENCE") or _text(component, "X-GOOGLE-CONFERENCE")
    if location and _URL.match(location):
        online_url, location = online_url or location, None
    organizer = component.get("ORGANIZER")
    keywords: list[str] = []
    for categories in component.get("CATEGORIES", []) if "CATEGORIES" in component else []:
        keywords.extend(str(c) for c in getattr(categories, "cats", [categories]))
    raw.title = str(summary) if summary is not None else None
    raw.text_language = summary.params.get("LANGUAGE") if summary is not None else None
    raw.description = _html_description(component) or _text(component, "DESCRIPTION")
    raw.url = _text(component, "URL")
    raw.page_url = ctx.url
    raw.location_text = location
    raw.online_url = online_url
    raw.status_text = _text(component, "STATUS")
    raw.keywords = keywords
    if organizer is not None:
        raw.organiser = organizer.params.get("CN") or str(organizer).removeprefix("mailto:")
    return raw


def _name(component: Any) -> str:
    """What a skipped event is called in the run's errors."""
    return str(component.get("SUMMARY") or component.get("UID"))


def _content_key(component: Any, uid: str | None) -> tuple[Any, ...] | None:
    """What an occurrence of a series says besides its times (None for single events)."""
    if uid is None:
        return None
    start, end = component.get("DTSTART"), component.get("DTEND")
    length = (end.dt - start.dt) if end is not None and start is not None else None
    texts = (str(component.get(name, "")) for name in _CONTENT)
    return (uid, type(start.dt) if start is not None else None, length, *texts)


def _occurrence(template: EventRecord, when: RawEvent, ctx: ExtractContext) -> EventRecord:
    """A copy of a series' record with this occurrence's times and key."""
    start_at, end_at, all_day = times_of(when, ctx)
    return replace(
        template,
        start_at=start_at,
        end_at=end_at,
        all_day=all_day,
        external_id=clean_key(when.external_id),
        titles=dict(template.titles),
        descriptions=dict(template.descriptions),
        languages=list(template.languages),
        categories=list(template.categories),
        audiences=list(template.audiences),
        extra=dict(template.extra),
    )


def _add(
    result: Extraction,
    component: Any,
    uid: str | None,
    calendar_zone: str,
    ctx: ExtractContext,
    templates: dict[tuple[Any, ...], EventRecord] | None = None,
    when: RawEvent | None = None,
    key: tuple[Any, ...] | None = None,
    name: str | None = None,
) -> None:
    """Normalise one event; occurrences of a series copy their first sibling's fields.

    `when`: the occurrence's times and key, when `component` is the series' source VEVENT;
    `key` and `name`: its content key and the name a skipped event is given, when the caller
    has them already.
    """
    if key is None and templates is not None:
        key = _content_key(component, uid)
    template = templates.get(key) if templates is not None and key is not None else None
    if name is None:
        name = _name(component)
    if template is None:
        record = result.add(_raw(component, uid, calendar_zone, ctx, when), ctx, name=name)
        if record is not None and templates is not None and key is not None:
            templates[key] = record
    else:
        copy = partial(_occurrence, template)
        result.add(when or _when(component, uid, calendar_zone), ctx, name=name, make=copy)
