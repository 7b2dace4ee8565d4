"""Linked Events API pages (Helsinki, Turku, Espoo): ``GET /v1/event/`` as JSON.

Pages are followed through ``meta.next``. Every language of ``name``, ``description`` and
``short_description`` is kept; the record's main title is in the source's language, else in
the language the event is held in, else in the first of the crawl's languages.
``location`` and ``keywords`` are read when the query asked for them with
``include=location,keywords`` (auto-detection adds it); a bare ``{"@id": ...}`` place link is
kept in ``extra`` as an id. A ``recurring`` super event is a container (its sub-events are rows of
their own), and ``deleted`` or replaced rows are no listings. ``enrolment_*`` is the
application window. The config key ``event_url`` (e.g.
``"https://tapahtumat.hel.fi/{lang}/events/{id}"``) makes a page link when ``info_url`` is
missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scrapers.extractors.base import ExtractContext, ExtractError, Extraction
from scrapers.extractors.decode import decode_text, looks_like_html
from scrapers.extractors.jsonload import load_json
from scrapers.normalise import RawEvent
from store import vocab

# YSO keyword ids used by Finnish cities (see docs/real-sources.md).
KEYWORD_CATEGORIES = {
    "yso:p9270": "course",
    "yso:p19245": "workshop",
    "yso:p15875": "seminar",
    "yso:p38203": "seminar",
    "yso:p26626": "webinar",
    "yso:p298": "mentoring",
    "yso:p20390": "volunteering",
    "yso:p3050": "volunteering",
}
KEYWORD_AUDIENCES = {
    "yso:p6165": "immigrants",
    "yso:p9607": "unemployed",
    "yso:p7708": "unemployed",
    "yso:p1178": "entrepreneurs",
    "yso:p16486": "students",
    "yso:p11617": "youth",
}
# Linked Events' event types; a course-type event is often a mentoring call or a fair, so its
# type only counts when nothing else names a category.
TYPE_CATEGORIES = {"course": "course", "volunteering": "volunteering"}
# "messut" (fairs) is a job fair only when nothing else says what kind of fair it is.
FALLBACK_KEYWORD_CATEGORIES = {"yso:p4892": "job-fair"}
REMOTE_KEYWORDS = {"yso:p26626"}
# A row whose values have unexpected types or impossible values (a whole-day start on
# 30 February) fails with these: it is skipped, as a bad row.
_BAD_ROW = (TypeError, AttributeError, ValueError)


def _page(body: bytes, ctx: ExtractContext) -> tuple[list[Any], str | None]:
    text = decode_text(body, ctx.content_type)
    content_type = (ctx.content_type or "").split(";")[0].strip()
    if looks_like_html(text) or content_type == "text/html":
        raise ExtractError(
            "expected JSON from a Linked Events API, got an HTML page "
            f"(content type {content_type or 'not given'}); is the URL the API's /v1/event/?"
        )
    try:
        data = load_json(text)
    except ValueError as exc:
        raise ExtractError(
            f"expected JSON from a Linked Events API, got broken JSON: {exc}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        meta: dict[str, Any] = data["meta"] if isinstance(data.get("meta"), dict) else {}
        return data["data"], meta.get("next")
    if isinstance(data, dict) and "start_time" in data:
        return [data], None
    raise ExtractError(
        'JSON of an unknown shape: a Linked Events page is {"meta": {...}, "data": [...]}'
    )


def extract_linkedevents(body: bytes, ctx: ExtractContext) -> Extraction:
    items, next_page = _page(body, ctx)
    result = Extraction(next_pages=[next_page] if next_page else [])
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            result.skip(f"{ctx.url}: row {number} is not an event object")
            continue
        if item.get("deleted") or item.get("replaced_by"):
            continue
        if item.get("super_event_type") == "recurring" and item.get("sub_events"):
            continue
        try:
            raw = _raw(item, ctx)
        except _BAD_ROW as exc:
            result.skip(f"{ctx.url}: skipped event {item.get('id')!r}: {exc}")
            continue
        result.add(raw, ctx, name=item.get("id"), catch=_BAD_ROW)
    return result


def _texts(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str) and v.strip()}
    if isinstance(value, str) and value.strip():
        return {"fi": value}
    return {}


def _pick(texts: dict[str, str], order: list[str]) -> tuple[str | None, str | None]:
    for lang in order:
        if texts.get(lang):
            return texts[lang], lang
    first = next(iter(texts.items()), None)
    return (first[1], first[0]) if first else (None, None)


def _ids(values: Any) -> list[str]:
    found: list[str] = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, dict):
            ident = value.get("id") or str(value.get("@id") or "").rstrip("/").rsplit("/", 1)[-1]
            if ident:
                found.append(str(ident))
    return found


def _names(values: Any) -> list[str]:
    names: list[str] = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, dict):
            names.extend(_texts(value.get("name")).values())
    return names


def _when(value: Any, has_time: Any, zone: str) -> Any:
    """An ISO start or end; a date (whole day) when the API says it has no time."""
    if not isinstance(value, str) or not value:
        return None
    if has_time is False and len(value) > 10:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment.astimezone(ZoneInfo(zone)) if moment.tzinfo else moment).date()
    return value


def _raw(item: dict[str, Any], ctx: ExtractContext) -> RawEvent:
    held_in = [
        str(v.get("id") or v.get("@id") or "").rstrip("/").rsplit("/", 1)[-1]
        for v in item.get("in_language") or []
        if isinstance(v, dict)
    ]
    order = [lang for lang in (ctx.source_language, *held_in, *ctx.languages) if lang]
    names = _texts(item.get("name"))
    title, lang = _pick(names, order)
    descriptions = _texts(item.get("description")) or _texts(item.get("short_description"))
    location: dict[str, Any] = item["location"] if isinstance(item.get("location"), dict) else {}
    place_names = _texts(location.get("name"))
    keyword_ids = _ids(item.get("keywords")) + _ids(item.get("audience"))
    raw = RawEvent(
        title=title,
        titles=names,
        start=_when(item.get("start_time"), item.get("has_start_time"), ctx.timezone),
        end=_when(item.get("end_time"), item.get("has_end_time"), ctx.timezone),
        description=descriptions.get(lang or "") or _pick(descriptions, order)[0],
        descriptions=descriptions,
        text_language=lang,
        external_id=str(item.get("id") or item.get("@id") or "") or None,
        url=_pick(_texts(item.get("info_url")), order)[0] or _event_url(item, lang, ctx),
        page_url=ctx.url,
        venue=_pick(place_names, order)[0],
        venue_names=place_names,
        address=_pick(_texts(location.get("street_address")), order)[0],
        city=_pick(_texts(location.get("address_locality")), order)[0],
        location_text=_pick(_texts(item.get("location_extra_info")), order)[0],
        online_url=item.get("virtualevent_url") or None,
        online=bool(item.get("is_virtualevent")) or bool(REMOTE_KEYWORDS & set(keyword_ids)),
        languages=[v.get("id") or v.get("@id") for v in item.get("in_language") or []],
        status_text=item.get("event_status"),
        categories=[KEYWORD_CATEGORIES[k] for k in keyword_ids if k in KEYWORD_CATEGORIES],
        keywords=_names(item.get("keywords")) + _names(item.get("audience")),
        audiences=[KEYWORD_AUDIENCES[k] for k in keyword_ids if k in KEYWORD_AUDIENCES],
        deadline=item.get("enrolment_end_time"),
        application_opens=item.get("enrolment_start_time"),
        application_url=item.get("enrolment_url"),
        organiser=_pick(_texts(item.get("provider")), order)[0],
        series_id=(item.get("super_event") or {}).get("@id"),
    )
    if location and not place_names and location.get("@id"):
        raw.extra["location_id"] = str(location["@id"])
    type_category = TYPE_CATEGORIES.get(str(item.get("type_id") or "").casefold())
    if type_category:
        raw.fallback_categories.append(type_category)
    raw.fallback_categories += [
        FALLBACK_KEYWORD_CATEGORIES[k] for k in keyword_ids if k in FALLBACK_KEYWORD_CATEGORIES
    ]
    _read_offers(raw, item.get("offers"), order)
    if raw.venue and str(location.get("id", "")).endswith(":internet"):
        raw.venue, raw.online = None, True
    raw.attendance = vocab.HYBRID if raw.online and raw.venue and raw.address else None
    return raw


def _event_url(item: dict[str, Any], lang: str | None, ctx: ExtractContext) -> str | None:
    template = ctx.config.get("event_url")
    if not isinstance(template, str) or not item.get("id"):
        return None
    return template.format(id=item["id"], lang=lang or "fi")


def _read_offers(raw: RawEvent, offers: Any, order: list[str]) -> None:
    for offer in offers if isinstance(offers, list) else []:
        if not isinstance(offer, dict):
            continue
        if offer.get("is_free") is not None and raw.is_free is None:
            raw.is_free = bool(offer["is_free"])
        price = _pick(_texts(offer.get("price")), order)[0]
        if price and raw.price is None:
            raw.price = price
        info = _pick(_texts(offer.get("info_url")), order)[0]
        if info and raw.application_url is None:
            raw.application_url = info
