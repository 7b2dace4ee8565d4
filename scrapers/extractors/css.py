"""HTML listings read with selectors from the source's config: a new site is configuration.

    {"item": "article.event", "title": "h2 a::text", "date": ".date::text",
     "time": ".time::text", "location": ".location::text", "link": "h2 a::attr(href)",
     "description": ".summary", "next_page": "a.next::attr(href)",
     "date_languages": ["fi", "en"], "date_formats": ["%d.%m.%Y"], "follow": false}

``item`` and ``title`` are required, and ``date`` unless ``follow`` is true; every selector is
CSS, or XPath when it starts with ``/``, ``(`` or ``xpath:``. With ``"follow": true`` each
item's link is read instead, for schema.org events or with the ``detail`` selectors (the same
field names, applied to the whole page). A status word standing alone in an item
("PERUTTU", "Inställt") becomes the status when no ``status`` selector is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from scrapers.extractors.base import CSS_DETAIL_KIND, ExtractContext, ExtractError, Extraction
from scrapers.extractors.decode import decode_text
from scrapers.extractors.jsonld import extract_jsonld_detail
from scrapers.extractors.selectors import (
    SelectorError,
    check_selector,
    query,
    select_all,
    select_text,
)
from scrapers.normalise import RawEvent
from text.lexicon import status_word

DETAIL_KIND = CSS_DETAIL_KIND
FIELDS = (
    "title",
    "date",
    "time",
    "end_date",
    "location",
    "link",
    "description",
    "id",
    "status",
    "deadline",
    "price",
    "organiser",
    "keywords",
)
OPTIONS = ("item", "next_page", "follow", "detail", "date_languages", "date_formats", "language")


def check_config(config: Mapping[str, Any], *, detail: bool = False) -> None:
    """Raise ExtractError naming the first problem in a css source's config."""
    allowed = FIELDS if detail else FIELDS + OPTIONS
    for key in config:
        if key not in allowed:
            raise ExtractError(
                f"unknown key {key!r} in the css config; allowed: {', '.join(allowed)}"
            )
    required: tuple[str, ...] = ("title",) if detail else ("item", "title")
    if not detail and not config.get("follow"):
        required += ("date",)
    for key in required:
        if not isinstance(config.get(key), str) or not config[key].strip():
            raise ExtractError(
                f"the css config needs {key!r}: a CSS or XPath selector "
                '(e.g. {"item": "article.event", "title": "h2::text", "date": ".date::text"})'
            )
    for key in (*FIELDS, "item", "next_page"):
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ExtractError(f"css config {key!r} must be a selector string, got {value!r}")
        try:
            check_selector(value)
        except SelectorError as exc:
            raise ExtractError(f"css config {key!r}: {exc}") from None
    if "detail" in config:
        if not isinstance(config["detail"], Mapping):
            raise ExtractError("css config 'detail' must be an object of field selectors")
        check_config(config["detail"], detail=True)


def _context(ctx: ExtractContext) -> ExtractContext:
    languages = ctx.config.get("date_languages")
    if isinstance(languages, list) and languages:
        return dataclasses.replace(ctx, languages=tuple(str(x) for x in languages))
    return ctx


def _page(body: bytes, ctx: ExtractContext) -> Selector:
    text = decode_text(body, ctx.content_type)
    if not text.strip():
        raise ExtractError("empty page")
    return Selector(text=text, type="html", base_url=ctx.url)


def _raw(scope: Selector, fields: Mapping[str, Any], ctx: ExtractContext, lang: Any) -> RawEvent:
    def get(name: str) -> str | None:
        expr = fields.get(name)
        return select_text(scope, expr) if isinstance(expr, str) and expr else None

    links = select_all(scope, fields["link"]) if fields.get("link") else []
    link = urljoin(ctx.url, links[0]) if links else None
    formats = ctx.config.get("date_formats") or ()
    when_text, end_text = get("date"), get("end_date")
    if when_text and end_text:
        when_text = f"{when_text} – {end_text}"  # read as one range
    return RawEvent(
        title=get("title"),
        when_text=when_text,
        time_text=get("time"),
        date_formats=tuple(str(f) for f in formats),
        description=get("description"),
        text_language=ctx.config.get("language") or scope.attrib.get("lang"),
        page_language=lang,
        external_id=get("id") or link,
        url=link or ctx.url,
        page_url=ctx.url,
        location_text=get("location"),
        status_text=get("status") or _standalone_status(scope),
        deadline=get("deadline"),
        price=get("price"),
        organiser=get("organiser"),
        keywords=[k.strip() for k in (get("keywords") or "").split(",") if k.strip()],
    )


def _standalone_status(scope: Selector) -> str | None:
    for text in scope.xpath(".//text()").getall():
        if len(text.strip()) < 25 and status_word(text):
            return text.strip()
    return None


def _add(result: Extraction, raw: RawEvent, ctx: ExtractContext) -> None:
    """One item or event page into `result` (a skipped one is named by its title)."""
    result.add(raw, ctx, noun="item", name=raw.title or "(no title)")


def extract_css(body: bytes, ctx: ExtractContext) -> Extraction:
    check_config(ctx.config)
    ctx = _context(ctx)
    page = _page(body, ctx)
    lang = page.xpath("/html/@lang").get()
    result = Extraction()
    items = select_items(page, ctx.config["item"])
    follow = bool(ctx.config.get("follow"))
    for item in items:
        if follow:
            links = select_all(item, ctx.config.get("link") or "a::attr(href)")
            if links:
                result.follow.append(urljoin(ctx.url, links[0]))
            continue
        _add(result, _raw(item, ctx.config, ctx, lang), ctx)
    if result.follow:
        result.follow_kind = DETAIL_KIND
    if not items:
        result.errors.append(f"{ctx.url}: the item selector {ctx.config['item']!r} found nothing")
    next_page = ctx.config.get("next_page")
    if next_page:
        result.next_pages = [urljoin(ctx.url, h) for h in select_all(page, next_page)]
    return result


def select_items(page: Selector, expr: str) -> list[Selector]:
    try:
        return list(query(page, expr))
    except SelectorError as exc:
        raise ExtractError(f"css config 'item': {exc}") from None


def extract_css_detail(body: bytes, ctx: ExtractContext) -> Extraction:
    """An item's own page: its schema.org events, else the ``detail`` selectors."""
    structured = extract_jsonld_detail(body, ctx)
    if structured.records or structured.skipped or structured.outside_window:
        return structured
    fields = ctx.config.get("detail")
    if not isinstance(fields, Mapping):
        raise ExtractError(
            "the event page has no schema.org event and the css config has no 'detail' "
            'selectors (e.g. "detail": {"title": "h1::text", "date": ".date::text"})'
        )
    ctx = _context(ctx)
    page = _page(body, ctx)
    result = Extraction()
    _add(result, _raw(page, fields, ctx, page.xpath("/html/@lang").get()), ctx)
    return result
