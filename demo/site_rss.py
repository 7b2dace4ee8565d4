"""The integration association: a WordPress-style RSS 2.0 feed of posts about events and calls.

Posts marked ``rss:ev`` carry the RSS 1.0 event module (``ev:startdate`` and friends); the
others only say in their text when things happen ("Tid: torsdag 14 januari 2027 kl. 17–19",
"Ansökningstiden går ut 31.1.2027").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from demo.catalogue import HELSINKI, DemoListing
from demo.render import (
    Resource,
    absolute,
    category_name,
    esc,
    event_page,
    front_page,
    iso,
    location_text,
)
from demo.textdates import en_long, fi_numeric, numeric_date, sv_long

if TYPE_CHECKING:
    from demo.sites import DemoSite

TEXT = {
    "sv": {
        "when": "Tid",
        "where": "Plats",
        "starts": "Programmet startar {}.",
        "deadline": "Ansökningstiden går ut {}.",
        "apply": "Ansök här",
    },
    "fi": {
        "when": "Aika",
        "where": "Paikka",
        "starts": "Ohjelma alkaa {}.",
        "deadline": "Hakuaika päättyy {}.",
        "apply": "Hae tästä",
    },
    "en": {
        "when": "When",
        "where": "Where",
        "starts": "The programme starts on {}.",
        "deadline": "Applications close on {}.",
        "apply": "Apply here",
    },
}
DATE_STYLE = {"sv": sv_long, "fi": fi_numeric, "en": en_long}
DESCRIPTION = "Integration, mentorskap och nätverk i Helsingforsregionen"


def post_number(listing: DemoListing) -> int:
    """The WordPress post id in the guid ``bron:post:<id>``."""
    return int(listing.external_key.rsplit(":", 1)[-1])


def post_path(listing: DemoListing) -> str:
    return f"/bron/aktuellt/post-{post_number(listing)}/"


def published(listing: DemoListing, today: date) -> datetime:
    """When the post went out: a few days before today, different for each post."""
    number = post_number(listing)
    day = today - timedelta(days=2 + number % 11)
    return datetime.combine(day, time(9, number % 60), tzinfo=HELSINKI)


def content_html(listing: DemoListing, base_url: str) -> str:
    """The post body, with the dates written out as the association writes them."""
    text = TEXT[listing.language]
    fmt = DATE_STYLE[listing.language]
    parts = [f"<p>{esc(listing.description)}</p>"]
    if listing.all_day:
        parts.append(f"<p>{esc(text['starts'].format(fmt(listing.start)))}</p>")
    else:
        parts.append(
            f"<p><strong>{text['when']}:</strong> {esc(fmt(listing.start, listing.end))}</p>"
        )
    parts.append(f"<p><strong>{text['where']}:</strong> {esc(location_text(listing))}</p>")
    if listing.deadline is not None:
        deadline = text["deadline"].format(numeric_date(listing.deadline))
        parts.append(f"<p>{esc(deadline)}</p>")
    link = listing.application_url(base_url)
    if link:
        parts.append(f'<p><a href="{esc(link)}">{text["apply"]}</a></p>')
    return "\n".join(parts)


def _item(listing: DemoListing, today: date, base_url: str) -> str:
    link = absolute(base_url, post_path(listing))
    categories = "".join(
        f"\n      <category><![CDATA[{category_name(c, listing.language)}]]></category>"
        for c in listing.categories
    )
    event = ""
    if "rss:ev" in listing.hints:
        event = (
            f"\n      <ev:startdate>{iso(listing.start)}</ev:startdate>"
            + (f"\n      <ev:enddate>{iso(listing.end)}</ev:enddate>" if listing.end else "")
            + f"\n      <ev:location>{escape(location_text(listing))}</ev:location>"
            f"\n      <ev:organizer>{escape(listing.organiser)}</ev:organizer>"
            f"\n      <ev:type>{escape(category_name(listing.categories[0], 'en'))}</ev:type>"
        )
    return f"""    <item>
      <title>{escape(listing.title)}</title>
      <link>{escape(link)}</link>
      <dc:creator><![CDATA[Bron]]></dc:creator>
      <pubDate>{format_datetime(published(listing, today))}</pubDate>{categories}
      <guid isPermaLink="false">{escape(listing.external_key)}</guid>
      <dc:language>{listing.language}</dc:language>
      <description><![CDATA[{listing.description}]]></description>
      <content:encoded><![CDATA[{content_html(listing, base_url)}]]></content:encoded>{event}
    </item>"""


def feed(site: DemoSite, listings: list[DemoListing], today: date, base_url: str) -> bytes:
    posts = sorted(listings, key=lambda item: published(item, today), reverse=True)
    items = "\n".join(_item(listing, today, base_url) for listing in posts)
    built = format_datetime(published(posts[0], today)) if posts else ""
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
  xmlns:ev="http://purl.org/rss/1.0/modules/event/">
  <channel>
    <title>{escape(site.name)}</title>
    <atom:link href="{escape(base_url + site.start_path)}" rel="self" type="application/rss+xml" />
    <link>{escape(base_url + site.home_path)}</link>
    <description>{escape(DESCRIPTION)}</description>
    <lastBuildDate>{built}</lastBuildDate>
    <language>sv-FI</language>
    <sy:updatePeriod>hourly</sy:updatePeriod>
    <sy:updateFrequency>1</sy:updateFrequency>
    <generator>https://wordpress.org/?v=6.7.1</generator>
{items}
  </channel>
</rss>
"""
    return text.encode("utf-8")


def render(
    site: DemoSite, listings: list[DemoListing], today: date, base_url: str
) -> dict[str, Resource]:
    home = base_url + site.home_path
    feed_url = base_url + site.start_path
    files = {
        site.start_path: Resource(
            "application/rss+xml; charset=UTF-8", feed(site, listings, today, base_url)
        )
    }
    items = []
    for listing in listings:
        files[post_path(listing)] = event_page(
            listing, site_name=site.name, home=home, base_url=base_url
        )
        link = absolute(base_url, post_path(listing))
        items.append(
            f'<li lang="{listing.language}"><a href="{esc(link)}">{esc(listing.title)}</a></li>'
        )
    head = (
        f'<link rel="alternate" type="application/rss+xml" title="{esc(site.name)} » Flöde" '
        f'href="{esc(feed_url)}">'
    )
    more = (
        f"<p>{esc(DESCRIPTION)}</p>\n<h2>Aktuellt</h2>\n"
        '<ul class="posts">\n' + "\n".join(items) + "\n</ul>"
    )
    files[site.home_path] = front_page(
        lang="sv",
        site_name=site.name,
        home=home,
        link=feed_url,
        link_text="Flöde (RSS)",
        more=more,
        head=head,
    )
    return files
