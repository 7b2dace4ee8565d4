"""schema.org Event in JSON-LD and microdata (read with extruct).

A page with no events but with links to event pages (a listing page) returns those links for
the spider to follow: links chosen by the source's `follow` CSS selector, else links on the
same site below the listing page's path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
from parsel import Selector

from scrapers.extractors.base import ExtractContext, ExtractError, Extraction
from scrapers.normalise import clean_title, guess_categories, parse_iso, sanitise_html
from store import vocab
from store.record import EventRecord

_STATUS = {
    "eventcancelled": vocab.CANCELLED,
    "eventpostponed": vocab.POSTPONED,
    "eventrescheduled": vocab.RESCHEDULED,
    "eventscheduled": vocab.SCHEDULED,
    "eventmovedonline": vocab.SCHEDULED,
}
_ATTENDANCE = {
    "onlineeventattendancemode": vocab.ONLINE,
    "offlineeventattendancemode": vocab.ONSITE,
    "mixedeventattendancemode": vocab.HYBRID,
}


def extract_jsonld(body: bytes, ctx: ExtractContext) -> Extraction:
    if not body.strip():
        raise ExtractError("empty page")
    html_text = body.decode("utf-8", errors="replace")
    try:
        data = extruct.extract(
            html_text, base_url=ctx.url, syntaxes=["json-ld", "microdata"], uniform=True
        )
    except Exception as exc:  # extruct raises many kinds on broken markup
        raise ExtractError(f"cannot read structured data: {exc}") from exc
    result = Extraction()
    nodes = [n for syntax in ("json-ld", "microdata") for n in _walk(data.get(syntax, []))]
    for node in nodes:
        if not _is_event(node):
            continue
        try:
            record = _record(node, ctx)
        except (ValueError, TypeError, KeyError) as exc:
            result.errors.append(f"{ctx.url}: skipped an event: {exc}")
            result.skipped += 1
            continue
        if ctx.keeps(record.start_at, record.end_at):
            result.records.append(record)
    if not result.records and not any(_is_event(n) for n in nodes):
        result.follow = _detail_links(html_text, ctx)
    return result


def _walk(items: Any) -> list[dict[str, Any]]:
    """Flatten @graph, arrays and subEvent into a list of nodes."""
    found: list[dict[str, Any]] = []
    stack = list(items) if isinstance(items, list) else [items]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[0:0] = item
        elif isinstance(item, dict):
            found.append(item)
            if "@graph" in item:
                stack.extend(_as_list(item["@graph"]))
            if "subEvent" in item:
                stack.extend(_as_list(item["subEvent"]))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _types(node: dict[str, Any]) -> list[str]:
    return [str(t).rsplit("/", 1)[-1] for t in _as_list(node.get("@type", []))]


def _is_event(node: dict[str, Any]) -> bool:
    return any(t.endswith("Event") and t != "EventSeries" for t in _types(node))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        return _text(value)
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value") or value.get("url"))
    text = " ".join(str(value).split())
    return text or None


def _record(node: dict[str, Any], ctx: ExtractContext) -> EventRecord:
    raw_title = _text(node.get("name"))
    if not raw_title:
        raise ValueError("no name")
    start_raw = _text(node.get("startDate"))
    if not start_raw:
        raise ValueError(f"{raw_title!r} has no startDate")
    start, all_day, zone = parse_iso(start_raw, ctx.timezone)
    end_raw = _text(node.get("endDate"))
    end = parse_iso(end_raw, ctx.timezone)[0] if end_raw else None
    if end is not None and end < start:
        end = None
    title, title_status = clean_title(raw_title)
    status = _STATUS.get(str(_text(node.get("eventStatus")) or "").rsplit("/", 1)[-1].casefold())
    status = status or title_status or vocab.SCHEDULED
    description_html, description_text = sanitise_html(str(node.get("description") or ""))
    venue, address, city, online_url = _location(node.get("location"))
    attendance = _ATTENDANCE.get(
        str(_text(node.get("eventAttendanceMode")) or "").rsplit("/", 1)[-1].casefold()
    )
    if attendance is None:
        attendance = vocab.ONLINE if online_url and not venue else vocab.ONSITE
    language = (_text(node.get("inLanguage")) or ctx.source_language or "other")[:2].casefold()
    language = language if language in vocab.EVENT_LANGUAGES else "other"
    price, is_free = _offers(node.get("offers"))
    url = _text(node.get("url")) or ctx.url
    categories = list(ctx.source_categories) or guess_categories(title, description_text)
    return EventRecord(
        external_id=_text(node.get("@id")) or url,
        title=title,
        titles={language: title} if language != "other" else {},
        description_html=description_html,
        description_text=description_text,
        start_at=start,
        end_at=end,
        timezone=zone,
        all_day=all_day,
        url=urljoin(ctx.url, url),
        venue=venue,
        address=address,
        city=city,
        attendance=attendance,
        online_url=online_url,
        language=language,
        languages=[language] if language != "other" else [],
        categories=categories,
        status=status,
        price=price,
        is_free=is_free,
        organiser=_text(node.get("organizer")),
        page_url=ctx.url,
    )


def _location(value: Any) -> tuple[str | None, str | None, str | None, str | None]:
    venue = address = city = online_url = None
    for place in _as_list(value) if value else []:
        if not isinstance(place, dict):
            venue = venue or _text(place)
            continue
        if "VirtualLocation" in _types(place):
            online_url = online_url or _text(place.get("url"))
            continue
        venue = venue or _text(place.get("name"))
        addr = place.get("address")
        if isinstance(addr, dict):
            street = _text(addr.get("streetAddress"))
            city = city or _text(addr.get("addressLocality"))
            postal = _text(addr.get("postalCode"))
            address = ", ".join(p for p in (street, " ".join(filter(None, (postal, city)))) if p)
        elif addr:
            address = _text(addr)
    return venue, address or None, city, online_url


def _offers(value: Any) -> tuple[str | None, bool | None]:
    for offer in _as_list(value) if value else []:
        if not isinstance(offer, dict):
            continue
        price = offer.get("price")
        if price in (0, "0", "0.0", "0.00"):
            return "0", True
        if price is not None:
            currency = _text(offer.get("priceCurrency")) or ""
            return f"{price} {currency}".strip(), False
    return None, None


def _detail_links(html_text: str, ctx: ExtractContext) -> list[str]:
    selector = Selector(text=html_text)
    follow = ctx.config.get("follow")
    hrefs = selector.css(follow).getall() if follow else selector.css("a::attr(href)").getall()
    base = urlsplit(ctx.url)
    base_path = base.path if base.path.endswith("/") else base.path.rsplit("/", 1)[0] + "/"
    links: list[str] = []
    for href in hrefs:
        absolute = urljoin(ctx.url, href.strip()).split("#", 1)[0]
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or absolute in links or absolute == ctx.url:
            continue
        if not follow and (
            parts.netloc != base.netloc
            or not parts.path.startswith(base_path)
            or parts.path == base.path
        ):
            continue
        links.append(absolute)
    return links
