"""The Swedish-speaking adult-education centre: schema.org events as microdata.

All events sit on the listing page as ``itemscope`` items; ``itemprop="url"`` links each to
its own page (the external key). ``startDate`` is local time without an offset, which means
Europe/Helsinki, except on items marked ``tz:offset``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from demo.catalogue import DemoListing
from demo.render import (
    SCHEMA,
    STATUS_SCHEMA,
    Resource,
    absolute,
    attendance_mode,
    esc,
    event_page,
    front_page,
    iso,
    page,
    price_amount,
    status_badge,
)
from demo.textdates import numeric_date, sv_long

if TYPE_CHECKING:
    from demo.sites import DemoSite

INTRO = (
    "Kurser, föreläsningar och evenemang för vuxna på svenska – också för dig som "
    "nyss flyttat till Finland."
)


def _stamp(listing: DemoListing, value: date) -> str:
    return iso(value, naive="tz:offset" not in listing.hints)


def _when(listing: DemoListing) -> str:
    text = esc(sv_long(listing.start, listing.end))
    html = f'<time itemprop="startDate" datetime="{_stamp(listing, listing.start)}">{text}</time>'
    if listing.end is not None:
        html += f'<meta itemprop="endDate" content="{_stamp(listing, listing.end)}">'
    return html


def _place(listing: DemoListing) -> str:
    place = listing.place
    if place is None:
        return (
            f'<div itemprop="location" itemscope itemtype="{SCHEMA}VirtualLocation">'
            f'<link itemprop="url" href="{esc(listing.online_url or "")}">Webbinarium</div>'
        )
    return f"""<div class="plats" itemprop="location" itemscope itemtype="{SCHEMA}Place">
    <span itemprop="name">{esc(listing.venue or place.name_sv)}</span>,
    <span itemprop="address" itemscope itemtype="{SCHEMA}PostalAddress"><span
      itemprop="streetAddress">{esc(place.street_sv)}</span>, <span
      itemprop="postalCode">{place.postal_code}</span> <span
      itemprop="addressLocality">{esc(place.city_sv)}</span></span>
  </div>"""


def _offer(listing: DemoListing, base_url: str) -> str:
    price = f"Pris: {listing.price}" if listing.price else "Avgiftsfritt"
    extra = ""
    if listing.deadline is not None:
        extra += (
            f" Sista anmälningsdag {numeric_date(listing.deadline)}."
            f'<meta itemprop="validThrough" content="{iso(listing.deadline)}">'
        )
    link = listing.application_url(base_url)
    if link:
        extra += f' <a itemprop="url" href="{esc(link)}">Anmäl dig</a>'
    return (
        f'<p class="pris" itemprop="offers" itemscope itemtype="{SCHEMA}Offer">{price}.'
        f'<meta itemprop="price" content="{price_amount(listing)}">'
        f'<meta itemprop="priceCurrency" content="EUR">{extra}</p>'
    )


def item(listing: DemoListing, base_url: str) -> str:
    kind = "EducationEvent" if "course" in listing.categories else "Event"
    url = absolute(base_url, listing.external_key)
    organiser = (
        f'<div itemprop="organizer" itemscope itemtype="{SCHEMA}Organization">'
        f'<meta itemprop="name" content="{esc(listing.organiser)}"></div>'
    )
    scope = f'itemscope itemtype="{SCHEMA}{kind}"'
    return f"""<article class="evenemang" lang="{listing.language}" {scope}>
  <h2 itemprop="name">{esc(listing.title)}</h2>
  {status_badge(listing)}
  <p class="tid">{_when(listing)}</p>
  {_place(listing)}
  <p itemprop="description">{esc(listing.description)}</p>
  {_offer(listing, base_url)}
  {organiser}
  <link itemprop="eventStatus" href="{SCHEMA}{STATUS_SCHEMA[listing.status]}">
  <link itemprop="eventAttendanceMode" href="{attendance_mode(listing)}">
  {"".join(f'<meta itemprop="inLanguage" content="{lang}">' for lang in listing.event_languages)}
  <p><a itemprop="url" href="{esc(url)}">Läs mer</a></p>
</article>"""


def render(
    site: DemoSite, listings: list[DemoListing], today: date, base_url: str
) -> dict[str, Resource]:
    home = base_url + site.home_path
    events_url = base_url + site.start_path
    body = f"<h1>Evenemang och kurser</h1>\n<p>{esc(INTRO)}</p>\n" + "\n".join(
        item(listing, base_url) for listing in listings
    )
    files = {
        site.start_path: page(
            lang="sv", title="Evenemang", site_name=site.name, home=home, body=body
        )
    }
    for listing in listings:
        files[listing.external_key] = event_page(
            listing, site_name=site.name, home=events_url, base_url=base_url
        )
    files[site.home_path] = front_page(
        lang="sv", site_name=site.name, home=home, link=events_url, link_text="Evenemang"
    )
    return files
