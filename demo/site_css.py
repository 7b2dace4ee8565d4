"""The job-fair organiser: a plain HTML event list on two pages, read with CSS selectors.

There is no structured data: the date and time are text in the site's own style, chosen per
listing by a hint (``date:numeric`` "to 14.1.2027 klo 10.00–16.00", ``date:long``
"14. tammikuuta 2027" with a separate "klo 9–15", ``date:en`` "Wed 3 Feb 2027, 5–7 pm").
Links are relative to the site, as a CMS writes them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from demo.catalogue import DemoListing
from demo.render import Resource, esc, event_page, front_page, location_text, page, status_badge
from demo.textdates import en_short, fi_clock, fi_long_date, fi_numeric

if TYPE_CHECKING:
    from demo.sites import DemoSite

PAGE_SIZE = 8
INTRO = (
    "Rekrytointimessuja ja -treffejä pääkaupunkiseudulla. "
    "Job fairs in the Helsinki region, some in English."
)


def page_path(site: DemoSite, number: int) -> str:
    return site.start_path if number == 1 else f"{site.start_path}sivu/{number}/"


def date_html(listing: DemoListing) -> str:
    style = next((h for h in listing.hints if h.startswith("date:")), "date:numeric")
    if style == "date:en":
        return f'<span class="date">{esc(en_short(listing.start, listing.end))}</span>'
    if style == "date:long" and isinstance(listing.start, datetime):
        end = listing.end if isinstance(listing.end, datetime) else None
        return (
            f'<span class="date">{esc(fi_long_date(listing.start))}</span> '
            f'<span class="time">{esc(fi_clock(listing.start, end))}</span>'
        )
    return f'<span class="date">{esc(fi_numeric(listing.start, listing.end))}</span>'


def article(listing: DemoListing) -> str:
    return f"""<article class="event" lang="{listing.language}">
  <h2><a href="{esc(listing.external_key)}">{esc(listing.title)}</a></h2>
  {status_badge(listing)}
  <p class="meta">{date_html(listing)}</p>
  <p class="location">{esc(location_text(listing))}</p>
  <p class="summary">{esc(listing.description)}</p>
</article>"""


def pagination(site: DemoSite, number: int, pages: int) -> str:
    links = []
    if number > 1:
        links.append(f'<a class="prev" href="{page_path(site, number - 1)}">« Edellinen</a>')
    links.append(f'<span class="current">Sivu {number}/{pages}</span>')
    if number < pages:
        links.append(f'<a class="next" href="{page_path(site, number + 1)}">Seuraava sivu »</a>')
    return '<nav class="pagination">' + " ".join(links) + "</nav>"


def render(
    site: DemoSite, listings: list[DemoListing], today: date, base_url: str
) -> dict[str, Resource]:
    home = base_url + site.home_path
    files: dict[str, Resource] = {}
    chunks = [listings[i : i + PAGE_SIZE] for i in range(0, len(listings), PAGE_SIZE)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        body = (
            f'<h1>Tapahtumat</h1>\n<p>{esc(INTRO)}</p>\n<div class="event-list">\n'
            + "\n".join(article(listing) for listing in chunk)
            + f"\n</div>\n{pagination(site, number, len(chunks))}"
        )
        files[page_path(site, number)] = page(
            lang="fi", title="Tapahtumat", site_name=site.name, home=home, body=body
        )
    for listing in listings:
        files[listing.external_key] = event_page(
            listing, site_name=site.name, home=base_url + site.start_path, base_url=base_url
        )
    files[site.home_path] = front_page(
        lang="fi", site_name=site.name, home=home, link=site.start_path, link_text="Tapahtumat"
    )
    return files
