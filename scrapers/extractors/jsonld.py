"""schema.org Event in JSON-LD, microdata and RDFa (read with extruct).

Each JSON-LD block is read on its own, so one broken block does not hide the others.
Microdata and RDFa are read only when the page carries their attributes (``itemscope``,
``typeof``): RDFa parsing costs more than everything else together.

A page with no events is a listing page: its links to event pages are returned for the
spider to read with ``jsonld-detail`` (which never follows further). Links are chosen by the
source's ``follow`` selector, else by where they point (below the listing's path, or under
an ``/event/``-like path on the same site). ``next_page`` or ``rel=next`` gives pagination.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from parsel import Selector

from scrapers.extractors.base import JSONLD_DETAIL_KIND, ExtractContext, ExtractError, Extraction
from scrapers.extractors.decode import decode_text
from scrapers.extractors.jsonload import MAX_DEPTH, load_json, prune
from scrapers.extractors.schemaorg import (
    Reader,
    compact_rdfa,
    event_nodes,
    flatten,
    id_index,
    raw_event,
)
from scrapers.extractors.selectors import select_all

DETAIL_KIND = JSONLD_DETAIL_KIND
_SCRIPTS = lxml.etree.XPath('//script[@type="application/ld+json"]')


@cache
def _extruct() -> Any:
    """extruct, imported on the first page that needs it (microdata, RDFa, or a JSON-LD block
    that strict JSON cannot read): the package brings rdflib, pyRdfa and mf2py with it, a
    tenth of a second of every crawl process's start that a page of plain JSON-LD never
    uses (docs/benchmarks.md, crawling)."""
    import extruct
    import extruct.utils

    return extruct


@cache
def _extruct_jsonld() -> Any:
    from extruct.jsonld import JsonLdExtractor

    return JsonLdExtractor()


# Microdata or RDFa items nested deeper than this are not read (no real page comes close).
MAX_ITEM_NESTING = 32
_SCOPE_ATTRIBUTES = {"microdata": "itemscope", "rdfa": "typeof"}
_EVENT_SEGMENTS = {
    "event",
    "events",
    "tapahtuma",
    "tapahtumat",
    "evenemang",
    "kurssi",
    "kurssit",
    "kurs",
    "kurser",
    "course",
    "courses",
    "koulutus",
    "koulutukset",
    "e",
    "tilaisuudet",
}
_ASSET_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".svg",
    ".pdf",
    ".css",
    ".js",
    ".ics",
    ".xml",
    ".zip",
    ".docx",
    ".webp",
)


def extract_jsonld(body: bytes, ctx: ExtractContext) -> Extraction:
    return _extract(body, ctx, listing=True)


def extract_jsonld_detail(body: bytes, ctx: ExtractContext) -> Extraction:
    """An event page: its events only; no links are followed from it."""
    return _extract(body, ctx, listing=False)


def structured_items(body: bytes, ctx: ExtractContext) -> tuple[list[Any], Any, list[str]]:
    """(schema.org items, the parsed page, errors) from an HTML page or a JSON-LD file."""
    text = decode_text(body, ctx.content_type)
    if not text.strip():
        raise ExtractError("empty page")
    head = text.lstrip()[:1]
    if head in ("{", "[") or (ctx.content_type or "").split(";")[0].endswith("ld+json"):
        try:
            data = load_json(text)
        except ValueError as exc:
            raise ExtractError(
                f"expected an HTML page or JSON-LD, got broken JSON: {exc}"
            ) from None
        return (data if isinstance(data, list) else [data]), None, []
    utf8 = text.encode("utf-8")
    rdfa = b"typeof=" in utf8
    try:
        if rdfa:
            tree = _extruct().utils.parse_xmldom_html(utf8, encoding="utf-8")
        else:
            tree = lxml.html.fromstring(utf8, parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"cannot read the page as HTML: {exc}") from None
    items: list[Any] = []
    errors: list[str] = []
    for number, script in enumerate(_SCRIPTS(tree), start=1):
        try:
            items.extend(_block_items(script))
        except ValueError as exc:
            errors.append(f"{ctx.url}: JSON-LD block {number} is not valid JSON ({exc})")
    for syntax, present in (("microdata", b"itemscope" in utf8), ("rdfa", rdfa)):
        if not present:
            continue
        depth = _nesting(tree, _SCOPE_ATTRIBUTES[syntax])
        if depth > MAX_ITEM_NESTING:
            errors.append(
                f"{ctx.url}: {syntax} items nested {depth} levels deep "
                f"(more than {MAX_ITEM_NESTING}); its {syntax} is not read"
            )
            continue
        try:
            found = _extruct().extract(tree, base_url=ctx.url, syntaxes=[syntax], uniform=True)
        except Exception as exc:  # extruct raises many kinds on broken markup
            errors.append(f"{ctx.url}: cannot read {syntax}: {exc}")
            continue
        values = found.get(syntax, [])
        items.extend(compact_rdfa(values) if syntax == "rdfa" else values)
    return items, tree, errors


def _nesting(tree: Any, attribute: str) -> int:
    """How deep elements that carry `attribute` are nested in each other (extruct reads nested
    microdata and RDFa items recursively: thousands of levels take it minutes)."""
    depth: dict[Any, int] = {}
    deepest = 0
    for element in tree.iter():
        parent = element.getparent()
        level = depth.get(parent, 0) if parent is not None else 0
        if element.get(attribute) is not None:
            level += 1
            deepest = max(deepest, level)
        depth[element] = level
    return deepest


def _block_items(script: Any) -> list[Any]:
    """The items of one JSON-LD script; ValueError when it is no JSON. Read as extruct reads
    it (leading comments allowed), without crashing on depth (scrapers.extractors.jsonload)."""
    try:
        data = load_json(script.xpath("string()"), strict=False)
    except ValueError:
        try:
            data = prune(_extruct_jsonld().extract_items(script))
        except RecursionError:
            raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None
    return [item for item in (data if isinstance(data, list) else [data]) if item]


def _extract(body: bytes, ctx: ExtractContext, listing: bool) -> Extraction:
    items, tree, errors = structured_items(body, ctx)
    result = Extraction(errors=errors)
    nodes = flatten(items)
    reader = Reader(id_index(nodes))
    page_language = tree.get("lang") if tree is not None else None
    found_events = False
    for node, parent in event_nodes(nodes, reader):
        found_events = True
        raw = raw_event(node, parent, reader, ctx.url)
        raw.page_language = page_language
        result.add(raw, ctx)
    _unique_ids(result)
    if listing and tree is not None:
        if not found_events:
            result.follow = detail_links(tree, ctx)
            result.follow_kind = DETAIL_KIND
        result.next_pages = next_links(tree, ctx)
    return result


def _unique_ids(result: Extraction) -> None:
    """Events of one page that share an id (e.g. the page URL) are keyed by content instead."""
    counts = Counter(r.external_id for r in result.records if r.external_id)
    for record in result.records:
        if record.external_id and counts[record.external_id] > 1:
            record.external_id = None


def _same_site_links(hrefs: list[str], ctx: ExtractContext) -> list[str]:
    links: list[str] = []
    for href in hrefs:
        absolute = urljoin(ctx.url, href.strip()).split("#", 1)[0]
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and absolute != ctx.url and absolute not in links:
            links.append(absolute)
    return links


def detail_links(tree: Any, ctx: ExtractContext) -> list[str]:
    """Links from a listing page to event pages (the source's `follow` selector, else guessed)."""
    chosen = ctx.config.get("follow")
    if isinstance(chosen, str) and chosen:
        return _same_site_links(select_all(Selector(root=tree, type="html"), chosen), ctx)
    base = urlsplit(ctx.url)
    base_path = base.path if base.path.endswith("/") else base.path + "/"
    candidates = _same_site_links([str(h) for h in tree.xpath("//a/@href")], ctx)
    below: list[str] = []
    eventish: list[str] = []
    for link in candidates:
        parts = urlsplit(link)
        if parts.netloc != base.netloc or parts.path.lower().endswith(_ASSET_SUFFIXES):
            continue
        if parts.path.startswith(base_path) and parts.path.rstrip("/") != base.path.rstrip("/"):
            below.append(link)
        segments = [s for s in parts.path.lower().split("/") if s]
        if any(s in _EVENT_SEGMENTS for s in segments[:-1]) and parts.path != base.path:
            eventish.append(link)
    return below or eventish


def next_links(tree: Any, ctx: ExtractContext) -> list[str]:
    chosen = ctx.config.get("next_page")
    if isinstance(chosen, str) and chosen:
        hrefs = select_all(Selector(root=tree, type="html"), chosen)
    else:
        hrefs = [str(h) for h in tree.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href')]
    return _same_site_links(hrefs, ctx)
