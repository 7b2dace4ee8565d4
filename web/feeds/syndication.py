"""Atom 1.0 and RSS 2.0 with feedgen (lxml builds the XML, so text is always escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from feedgen.feed import FeedGenerator

from web.feeds.items import FeedInfo, FeedItem, last_updated


def _generator(info: FeedInfo, items: Sequence[FeedItem]) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(info.feed_url)
    feed.title(info.title)
    feed.subtitle(info.subtitle)
    feed.link(href=info.home_url, rel="alternate")
    feed.link(href=info.feed_url, rel="self")
    feed.language(info.language)
    feed.updated(last_updated(items))
    feed.lastBuildDate(last_updated(items))
    feed.generator("Tapahtumavahti", uri=info.base_url)
    for item in items:
        entry = feed.add_entry(order="append")
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
    return feed


def atom(info: FeedInfo, items: Sequence[FeedItem]) -> bytes:
    result: bytes = _generator(info, items).atom_str(pretty=True)
    return result


def rss(info: FeedInfo, items: Sequence[FeedItem]) -> bytes:
    result: bytes = _generator(info, items).rss_str(pretty=True)
    return result
