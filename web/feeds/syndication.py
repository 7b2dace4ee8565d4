"""Atom 1.0 and RSS 2.0 with feedgen (lxml builds the XML, so text is always escaped).

A feed is its frame (the feed-level elements) with its entries spliced in, each entry
serialised on its own by feedgen and lxml exactly as it appears inside the whole feed (same
depth, same namespaces, same pretty-printing), so entries can be kept per event version
(:class:`web.feeds.cache.EntryCache`) and a feed after a change re-renders only the entries
that changed. The bytes are those of feedgen's whole-feed output
(tests/web/test_feed_cache.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from web.feeds.items import FeedInfo, FeedItem, last_updated

# An entry's bytes, given the item (the caller may take them from a cache).
EntryBytes = Callable[[FeedItem], bytes]

_ATOM_NS = "http://www.w3.org/2005/Atom"


def _frame(info: FeedInfo, items: Sequence[FeedItem]) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(info.feed_url)
    feed.title(info.title)
    feed.subtitle(info.subtitle)
    feed.link(href=info.home_url, rel="alternate")
    feed.link(href=info.feed_url, rel="self")
    feed.language(info.language)
    updated = last_updated(items)
    feed.updated(updated)
    feed.lastBuildDate(updated)
    feed.generator("Tapahtumavahti", uri=info.base_url)
    return feed


def _fill(entry: FeedEntry, item: FeedItem) -> FeedEntry:
    entry.id(item.page_url)
    entry.guid(item.page_url, permalink=True)
    # Entries of a series share a title: the day tells them apart in a reader's list.
    entry.title(item.dated_title)
    # One link only: feedgen 1.0 drops the rel of entry links, so a second one would be
    # another "alternate" (invalid Atom). The organiser's page and the other
    # sources are linked in the content (never an API document: see digest.links).
    entry.link(href=item.page_url, rel="alternate")
    entry.published(item.created_at)
    entry.updated(item.updated_at)
    entry.summary(item.summary)
    body = f"<p>{escape(item.summary)}</p>{item.description_html}{item.links_html}"
    # RSS readers show <description>: give them the whole (escaped) HTML, not the summary.
    # First: in Atom, feedgen's description() replaces the content and drops its type, so
    # readers would show the markup as text.
    entry.description(body)
    entry.content(body, type="html")
    for code, label in zip(item.categories, item.category_labels, strict=True):
        entry.category(term=code, label=label)
    return entry


def atom_entry(item: FeedItem) -> bytes:
    """One Atom entry as it stands inside the feed: two spaces in, a newline after."""
    holder = etree.Element("feed", xmlns=_ATOM_NS)  # as feedgen writes its root
    holder.append(_fill(FeedEntry(), item).atom_entry())
    text: bytes = etree.tostring(holder, pretty_print=True, encoding="UTF-8")
    start = text.index(b">\n") + 2
    return text[start : text.rindex(b"</feed>")]


def rss_entry(item: FeedItem) -> bytes:
    """One RSS item as it stands inside the channel: four spaces in, a newline after."""
    holder = etree.Element("rss", nsmap=_rss_nsmap())
    etree.SubElement(holder, "channel").append(_fill(FeedEntry(), item).rss_entry())
    text: bytes = etree.tostring(holder, pretty_print=True, encoding="UTF-8")
    start = text.index(b"<channel>\n") + len(b"<channel>\n")
    return text[start : text.rindex(b"  </channel>")]


def _rss_nsmap() -> dict[str, str]:
    # feedgen's RSS root declares the Atom and content namespaces.
    return {
        "atom": "http://www.w3.org/2005/Atom",
        "content": "http://purl.org/rss/1.0/modules/content/",
    }


def atom(info: FeedInfo, items: Sequence[FeedItem], entry_bytes: EntryBytes = atom_entry) -> bytes:
    frame: bytes = _frame(info, items).atom_str(pretty=True)
    cut = frame.rindex(b"</feed>")
    return b"".join([frame[:cut], *(entry_bytes(item) for item in items), frame[cut:]])


def rss(info: FeedInfo, items: Sequence[FeedItem], entry_bytes: EntryBytes = rss_entry) -> bytes:
    frame: bytes = _frame(info, items).rss_str(pretty=True)
    cut = frame.rindex(b"  </channel>")
    return b"".join([frame[:cut], *(entry_bytes(item) for item in items), frame[cut:]])


def whole_feed(fmt: str, info: FeedInfo, items: Sequence[FeedItem]) -> bytes:
    """feedgen's own output for the whole feed at once (what the spliced feed must equal)."""
    feed = _frame(info, items)
    for item in items:
        _fill(feed.add_entry(order="append"), item)
    result: bytes = feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)
    return result
