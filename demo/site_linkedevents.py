"""A municipal events API in the Linked Events format (``/v1/event/``), paged by ``meta.next``.

Objects follow the Turku sample (``tests/fixtures/extract/linkedevents/turku-2022.json``):
multilingual ``name``,
``description``, ``short_description`` and ``provider``; ``start_time`` in UTC (a date for
whole-day listings); ``in_language`` links; ``offers``; ``enrolment_*`` on calls; location and
keywords embedded as with ``include=location,keywords``. A weekly language café is a
``recurring`` super event with ``sub_events``, and one row is ``deleted``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from demo.catalogue import HELSINKI, DemoListing
from demo.places import Place
from demo.render import STATUS_SCHEMA, Resource, esc, front_page, iso

if TYPE_CHECKING:
    from demo.sites import DemoSite

PAGE_SIZE = 10
API = "/linkedevents/v1"
JSON = "application/json"
QUERY = "include=location%2Ckeywords&page={page}&page_size=10&sort=start_time"

KEYWORDS: dict[str, tuple[str, str, str]] = {
    "yso:p6357": ("työllisyys", "sysselsättning (tillstånd)", "employment"),
    "yso:p9607": ("työnhakijat", "arbetssökande", "jobseekers"),
    "yso:p7708": ("työttömät", "arbetslösa", "unemployed"),
    "yso:p4892": ("messut", "mässor", "trade fairs"),
    "yso:p6165": ("maahanmuuttajat", "invandrare", "immigrants"),
    "yso:p9270": ("kurssit", "kurser", "courses"),
    "yso:p19245": ("työpajat", "verkstäder", "workshops"),
    "yso:p15875": ("luennot", "föreläsningar", "lectures"),
    "yso:p14004": ("keskustelu", "diskussion", "discussion"),
    "yso:p1178": ("yrittäjät", "företagare", "entrepreneurs"),
    "yso:p16486": ("opiskelijat", "studerande", "students"),
    "yso:p11617": ("nuoret", "unga", "young people"),
    "yso:p26626": ("etäosallistuminen", "distansdeltagande", "remote participation"),
}
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "seminar": ("yso:p15875",),
    "job-fair": ("yso:p4892", "yso:p6357"),
    "course": ("yso:p9270",),
    "workshop": ("yso:p19245",),
    "networking": ("yso:p14004",),
    "mentoring": ("yso:p6357",),
    "webinar": ("yso:p26626",),
    "info-session": ("yso:p15875",),
    "volunteering": (),
    "other": (),
}
AUDIENCE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "unemployed": ("yso:p9607", "yso:p7708"),
    "immigrants": ("yso:p6165",),
    "students": ("yso:p16486",),
    "youth": ("yso:p11617",),
    "entrepreneurs": ("yso:p1178",),
    "women": (),
    "international": (),
}
INTERNET = Place("demo:internet", "Internet", "Internet", "Internet", "", "", "")


def _langs(listing: DemoListing) -> dict[str, tuple[str, str]]:
    texts = {listing.language: (listing.title, listing.description)}
    texts.update({t.language: (t.title, t.description) for t in listing.translations})
    return texts


def _place(place: Place, base_url: str) -> dict[str, Any]:
    street = {"fi": place.street_fi, "sv": place.street_sv} if place.street_fi else None
    return {
        "id": place.id,
        "name": {lang: place.name(lang) for lang in ("fi", "sv", "en")},
        "street_address": street,
        "address_locality": {"fi": place.city_fi, "sv": place.city_sv} if street else None,
        "postal_code": place.postal_code or None,
        "data_source": "demo",
        "divisions": [],
        "@id": f"{base_url}{API}/place/{place.id}/",
        "@context": "http://schema.org",
        "@type": "Place",
    }


def _keyword(keyword_id: str, base_url: str) -> dict[str, Any]:
    return {
        "id": keyword_id,
        "name": dict(zip(("fi", "sv", "en"), KEYWORDS[keyword_id], strict=True)),
        "data_source": "yso",
        "@id": f"{base_url}{API}/keyword/{keyword_id}/",
        "@context": "http://schema.org",
        "@type": "Keyword",
    }


def _time(moment: datetime | date) -> str:
    return iso(moment, utc=True)


def _type_id(listing: DemoListing) -> str:
    if "volunteering" in listing.categories:
        return "Volunteering"
    if {"course", "mentoring"} & set(listing.categories):
        return "Course"
    return "General"


def event_url(base_url: str, event_id: str) -> str:
    return f"{base_url}{API}/event/{event_id}/"


def event_object(listing: DemoListing, today: date, base_url: str) -> dict[str, Any]:
    """One Linked Events ``Event`` for a listing (a leaf event unless told otherwise)."""
    texts = _langs(listing)
    keyword_ids = dict.fromkeys(k for c in listing.categories for k in CATEGORY_KEYWORDS[c])
    audience_ids = dict.fromkeys(k for a in listing.audiences for k in AUDIENCE_KEYWORDS[a])
    enrolment_url = listing.application_url(base_url)
    created = datetime.combine(today - timedelta(days=21), time(9, 12), tzinfo=HELSINKI)
    parent = None
    if listing.occurrence is not None:
        parent = {"@id": event_url(base_url, listing.occurrence.series_id)}
    return {
        "id": listing.external_key,
        "location": _place(listing.place or INTERNET, base_url),
        "keywords": [_keyword(k, base_url) for k in keyword_ids],
        "super_event": parent,
        "event_status": STATUS_SCHEMA[listing.status],
        "type_id": _type_id(listing),
        "external_links": [],
        "offers": [
            {
                "payment_methods": [],
                "is_free": listing.is_free,
                "description": None,
                "price": {lang: listing.price for lang in texts} if listing.price else None,
                "info_url": {lang: enrolment_url for lang in texts} if enrolment_url else None,
            }
        ],
        "data_source": "demo",
        "publisher": "demo:org-paakaupunkiseutu",
        "sub_events": [],
        "images": [],
        "videos": [],
        "in_language": [
            {"@id": f"{base_url}{API}/language/{lang}/"} for lang in listing.event_languages
        ],
        "audience": [_keyword(k, base_url) for k in audience_ids],
        "created_time": _time(created),
        "last_modified_time": _time(created + timedelta(days=7, hours=3)),
        "date_published": _time(created + timedelta(hours=1)),
        "start_time": _time(listing.start),
        "end_time": _time(listing.end) if listing.end is not None else None,
        "is_virtualevent": listing.online,
        "virtualevent_url": listing.online_url,
        "enrolment_start_time": _time(created) if listing.deadline else None,
        "enrolment_end_time": _time(listing.deadline) if listing.deadline else None,
        "enrolment_url": enrolment_url,
        "super_event_type": None,
        "sub_event_type": "sub_recurring" if parent else None,
        "deleted": False,
        "replaced_by": None,
        "name": {lang: title for lang, (title, _) in texts.items()},
        "provider": {lang: listing.organiser for lang in texts},
        "info_url": None,
        "description": {lang: f"<p>{esc(text)}</p>" for lang, (_, text) in texts.items()},
        "short_description": {
            lang: text.split(". ")[0].rstrip(".") + "." for lang, (_, text) in texts.items()
        },
        "location_extra_info": None,
        "@id": event_url(base_url, listing.external_key),
        "@context": "http://schema.org",
        "@type": "Event/LinkedEvent",
    }


def super_event(subs: list[DemoListing], today: date, base_url: str) -> dict[str, Any]:
    """The umbrella of a weekly series: not a listing itself, it links its sub-events."""
    first = subs[0]
    assert first.occurrence is not None
    data = event_object(first, today, base_url)
    series_id = first.occurrence.series_id
    data.update(
        {
            "id": series_id,
            "@id": event_url(base_url, series_id),
            "super_event": None,
            "super_event_type": "recurring",
            "sub_event_type": None,
            "sub_events": [{"@id": event_url(base_url, s.external_key)} for s in subs],
            "end_time": _time(subs[-1].end or subs[-1].start),
        }
    )
    return data


def deleted_event(today: date, base_url: str) -> dict[str, Any]:
    """A withdrawn row, as ``show_deleted`` or an incremental sync shows it."""
    start = datetime.combine(today + timedelta(days=15), time(13), tzinfo=HELSINKI)
    return {
        "id": "demo:1099",
        "deleted": True,
        "event_status": "EventCancelled",
        "name": {"fi": "Työnhakuklinikka"},
        "start_time": _time(start),
        "end_time": _time(start + timedelta(hours=2)),
        "super_event": None,
        "super_event_type": None,
        "sub_events": [],
        "replaced_by": None,
        "last_modified_time": _time(start - timedelta(days=10)),
        "@id": event_url(base_url, "demo:1099"),
        "@context": "http://schema.org",
        "@type": "Event/LinkedEvent",
    }


def all_objects(listings: list[DemoListing], today: date, base_url: str) -> list[dict[str, Any]]:
    objects = [event_object(listing, today, base_url) for listing in listings]
    series: dict[str, list[DemoListing]] = {}
    for listing in listings:
        if listing.occurrence is not None:
            series.setdefault(listing.occurrence.series_id, []).append(listing)
    objects += [super_event(subs, today, base_url) for subs in series.values()]
    objects.append(deleted_event(today, base_url))
    return sorted(objects, key=lambda o: (_utc(o["start_time"]), o["id"]))


def _utc(value: str) -> datetime:
    if len(value) == 10:  # a whole day starts at local midnight
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=HELSINKI)
    return datetime.fromisoformat(value).astimezone(UTC)


def _dump(data: Any) -> Resource:
    return Resource(JSON, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))


def render(
    site: DemoSite, listings: list[DemoListing], today: date, base_url: str
) -> dict[str, Resource]:
    objects = all_objects(listings, today, base_url)
    pages = [objects[i : i + PAGE_SIZE] for i in range(0, len(objects), PAGE_SIZE)]
    list_url = f"{base_url}{API}/event/?"
    files: dict[str, Resource] = {}
    for number, chunk in enumerate(pages, start=1):
        meta = {
            "count": len(objects),
            "next": list_url + QUERY.format(page=number + 1) if number < len(pages) else None,
            "previous": list_url + QUERY.format(page=number - 1) if number > 1 else None,
        }
        path = f"{API}/event/" + (f"?page={number}" if number > 1 else "")
        files[path] = _dump({"meta": meta, "data": chunk})
    for obj in objects:
        files[f"{API}/event/{obj['id']}/"] = _dump(obj)
    start_url = base_url + site.start_path
    files[site.home_path] = front_page(
        lang="fi",
        site_name=site.name,
        home=base_url + site.home_path,
        link=start_url,
        link_text="Rajapinta: /v1/event/",
    )
    return files
