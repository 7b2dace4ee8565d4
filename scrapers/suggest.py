"""When nothing on a page reads as events: a css config to start from, guessed from the page.

The item is the most repeated element (tag and first class) that contains a date and a link;
inside the first item, the title is its first heading (else link) and the date the smallest
element holding the date. The guess is a starting point shown to the admin, never applied.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from datetime import date
from typing import Any

from parsel import Selector

from scrapers.dates import find_mentions

_SKIP = {"html", "body", "head", "script", "style", "nav", "header", "footer", "form"}
MAX_ITEM_TEXT = 1500


def _key(element: Any) -> str | None:
    tag = element.root.tag if isinstance(element.root.tag, str) else None
    classes = (element.attrib.get("class") or "").split()
    if tag is None or tag in _SKIP or not classes:
        return None
    return f"{tag}.{classes[0]}"


def _text(element: Any) -> str:
    return " ".join(" ".join(element.xpath(".//text()").getall()).split())


def guess_selectors(html_text: str, today: date) -> dict[str, str] | None:
    """A css config (item, title, date, link) for a page of repeated dated items, or None."""
    page = Selector(text=html_text)
    counts: Counter[str] = Counter()
    first: dict[str, Any] = {}
    linked: set[str] = set()
    for element in page.xpath("//body//*[@class]"):
        key = _key(element)
        if key is None:
            continue
        text = _text(element)
        if len(text) > MAX_ITEM_TEXT or not find_mentions(text, today):
            continue
        counts[key] += 1
        first.setdefault(key, element)
        if element.xpath(".//a[@href]"):
            linked.add(key)
    repeated = [k for k, n in counts.items() if n >= 2 and k in linked]
    if not repeated:
        return None
    item_key = max(repeated, key=lambda k: (counts[k], len(_text(first[k]))))
    item = first[item_key]
    config = {"item": item_key}
    heading = next((h for h in item.xpath(".//h1|.//h2|.//h3|.//h4") if _text(h)), None)
    if heading is not None:
        tag = heading.root.tag
        config["title"] = f"{tag} a::text" if heading.xpath(".//a") else f"{tag}::text"
        config["link"] = f"{tag} a::attr(href)" if heading.xpath(".//a") else "a::attr(href)"
    else:
        config["title"] = "a::text"
        config["link"] = "a::attr(href)"
    dated = [e for e in item.xpath(".//*") if find_mentions(_text(e), today)]
    if dated:
        # the smallest element holding the date; of equal ones the innermost (last)
        smallest = min(reversed(dated), key=lambda e: len(_text(e)))
        classes = (smallest.attrib.get("class") or "").split()
        config["date"] = f".{classes[0]}::text" if classes else f"{smallest.root.tag}::text"
    return config


def css_hint(html_text: str, url: str, today: date) -> str:
    """What to tell an admin whose page matched nothing: how to configure selectors."""
    guess = guess_selectors(html_text, today)
    example = guess or {
        "item": "article.event",
        "title": "h2 a::text",
        "date": ".date::text",
        "link": "h2 a::attr(href)",
    }
    config = shlex.quote(json.dumps(example, ensure_ascii=False))
    lead = (
        "The page looks like a list of dated items; these selectors are a guess to start from:"
        if guess
        else "If the page lists events in HTML, describe one event with CSS selectors, e.g.:"
    )
    return (
        f"{lead}\n"
        f"  vahti sources test {shlex.quote(url)} --kind css --config {config}\n"
        "and when the records look right, add it the same way:\n"
        f"  vahti sources add {shlex.quote(url)} --kind css --config {config}\n"
        "Keys: item, title, date, time, location, link, description, next_page, follow, "
        "date_languages, date_formats (see docs/sources.md, 'css sources')."
    )
