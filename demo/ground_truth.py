"""Which demo listings are the same event, and which look alike but are not.

A listing is named by ``(site slug, external key)``. External keys never depend on the date
or the port, so the groups are the same for every ``today`` and ship as
``demo/ground_truth.json``:

- JSON-LD, HTML and microdata sites: the event page's path, e.g.
  ``/tyollisyys/tapahtumat/rekrytointimessut-kaapelitehtaalla/``;
- RSS: the item ``guid`` (``bron:post:405``);
- iCalendar: the ``UID``; an occurrence of the weekly series is ``<UID>#<n>``, ``n`` being its
  1-based position in the RRULE (skipped EXDATEs count). A crawler that keys occurrences by
  ``RECURRENCE-ID`` can map them with ``DemoListing.occurrence.recurrence_id``;
- Linked Events: the API ``id`` (``demo:1001``). The recurring super event (``demo:2100``) and
  the deleted row (``demo:1099``) are not listings.

The JSON file holds ``{"groups": [{"event": <canonical key>, "listings": [[site, key], ...]},
...], "hard_negatives": [{"kind": ..., "a": [site, key], "b": [site, key], "why": ...}]}``;
every listing is in exactly one group, singletons included.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from demo.catalogue import build_catalogue, helsinki_today

ListingId = tuple[str, str]
STATIC_PATH = Path(__file__).with_name("ground_truth.json")

CV_CLINIC = "cv-clinic@urapalvelut.demo"
HARD_NEGATIVES: tuple[tuple[str, ListingId, ListingId, str], ...] = (
    (
        "series",
        ("urapalvelut", f"{CV_CLINIC}#1"),
        ("urapalvelut", f"{CV_CLINIC}#2"),
        "two weeks of the same weekly CV clinic",
    ),
    (
        "series",
        ("urapalvelut", f"{CV_CLINIC}#5"),
        ("linkedevents", "demo:1015"),
        "the CV clinic re-listed on the API is the moved 6th session, not the 5th",
    ),
    (
        "series",
        ("linkedevents", "demo:2101"),
        ("linkedevents", "demo:2102"),
        "consecutive Wednesdays of the language café",
    ),
    (
        "same-venue-and-time",
        ("tyollisyys", "/tyollisyys/tapahtumat/yrittajaksi-suomeen/"),
        ("tyollisyys", "/tyollisyys/tapahtumat/palkkatuki-infotilaisuus/"),
        "two different talks in Oodi at the same hour (Kuutio and Maijansali)",
    ),
    (
        "same-venue-and-time",
        ("bron", "bron:post:412"),
        ("linkedevents", "demo:1009"),
        "the same two Oodi talks, on other sites",
    ),
    (
        "course-parts",
        ("linkedevents", "demo:1005"),
        ("linkedevents", "demo:1006"),
        "part 1 and part 2 of the Finnish course, a week apart",
    ),
    (
        "course-parts",
        ("medborgarinstitut", "/medborgarinstitut/evenemang/finska-for-inflyttare-del-1/"),
        ("medborgarinstitut", "/medborgarinstitut/evenemang/finska-for-inflyttare-del-2/"),
        "del 1 and del 2 of the same course",
    ),
    (
        "similar-title",
        ("tyomessut", "/tyomessut/tapahtumat/rekrytointimessut-helsinki/"),
        ("tyomessut", "/tyomessut/tapahtumat/rekrytointimessut-espoo/"),
        "Rekrytointimessut Helsinki and Espoo, three weeks apart",
    ),
    (
        "similar-title",
        ("urapalvelut", "startup-meetup-founders-1@urapalvelut.demo"),
        ("urapalvelut", "startup-meetup-founders-2@urapalvelut.demo"),
        "the monthly startup meetup: identical titles, different months",
    ),
    (
        "similar-title",
        ("linkedevents", "demo:1001"),
        ("linkedevents", "demo:1014"),
        "recruitment fairs in Helsinki and Espoo",
    ),
)


def _groups(today: date) -> dict[str, list[ListingId]]:
    groups: dict[str, list[ListingId]] = defaultdict(list)
    for listing in build_catalogue(today):
        groups[listing.event_key].append((listing.site, listing.external_key))
    return {event: sorted(members) for event, members in sorted(groups.items())}


def ground_truth(today: date) -> list[list[ListingId]]:
    """Groups of listings that are one event; every listing is in exactly one group."""
    return sorted(_groups(today).values())


def ground_truth_document(today: date) -> dict[str, object]:
    """The JSON document: named groups plus the hard negatives (see the module docstring)."""
    return {
        "groups": [
            {"event": event, "listings": [list(item) for item in members]}
            for event, members in _groups(today).items()
        ],
        "hard_negatives": [
            {"kind": kind, "a": list(a), "b": list(b), "why": why}
            for kind, a, b, why in HARD_NEGATIVES
        ],
    }


def write_ground_truth(path: str | Path, today: date) -> None:
    """Write :func:`ground_truth_document` for ``today`` as UTF-8 JSON."""
    text = json.dumps(ground_truth_document(today), ensure_ascii=False, indent=1)
    Path(path).write_text(text + "\n", encoding="utf-8")


def load_static() -> dict[str, Any]:
    """The shipped ``demo/ground_truth.json`` (the same for every ``today``)."""
    data: dict[str, Any] = json.loads(STATIC_PATH.read_text(encoding="utf-8"))
    return data


if __name__ == "__main__":
    write_ground_truth(STATIC_PATH, helsinki_today())
    print(f"wrote {STATIC_PATH}")
