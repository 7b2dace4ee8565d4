"""Dedupe quality on data its author did not write: the bundled demo sites, crawled for real.

The six demo organiser sites are served on 127.0.0.1, added with `vahti sources add` as
`vahti demo` adds them, crawled with `vahti crawl` and grouped with `vahti dedupe`
(real processes, a real SQLite file). The events found are then compared, pair by pair,
with the demo's own ground truth (demo/ground_truth.json), written by someone else.

One test: the crawl is the slow part (about 15 s).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from itertools import combinations
from pathlib import Path
from subprocess import CompletedProcess
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from dedupe.quality import pairwise_quality
from demo.catalogue import build_catalogue, helsinki_today
from demo.ground_truth import load_static
from demo.server import DemoServer, serve_sites
from demo.sites import DEMO_SITES, DemoSite
from store.db import make_engine, session_factory
from store.models import Listing, Source

MIN_PRECISION = 0.98
MIN_RECALL = 0.95
Key = tuple[str, str]  # (site slug, external key), as the ground truth names a listing


@pytest.fixture
def demo_sites() -> Iterator[DemoServer]:
    server = serve_sites(port=0, today=helsinki_today())
    try:
        yield server
    finally:
        server.stop()


def _source_config(site: DemoSite) -> dict[str, object]:
    """What `vahti demo` gives each site: CSS selectors, or which detail pages to follow."""
    if site.css:
        return dict(site.css)
    return {"follow": site.detail_links} if site.detail_links else {}


def _occurrence_keys(today: date) -> dict[tuple[str, datetime], str]:
    """(UID, original start) of each iCalendar occurrence → its ground-truth key ("UID#n").

    The extractor keys an occurrence by its RECURRENCE-ID in UTC ("UID#20270105T120000Z");
    the ground truth by its position in the series.
    """
    keys: dict[tuple[str, datetime], str] = {}
    for item in build_catalogue(today):
        if item.occurrence is not None:
            uid = item.external_key.split("#", 1)[0]
            keys[(uid, item.occurrence.recurrence_id.astimezone(UTC))] = item.external_key
    return keys


def _truth_key(slug: str, external_id: str, occurrences: dict[tuple[str, datetime], str]) -> Key:
    if external_id.startswith("http"):
        return slug, urlsplit(external_id).path  # an event page: its path
    if "#" in external_id:
        uid, stamp = external_id.split("#", 1)
        instant = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return slug, occurrences[(uid, instant)]
    return slug, external_id


def _crawled_events(db_path: Path, today: date) -> dict[Key, tuple[int, str]]:
    """Each crawled listing, named as the ground truth names it → (event id, title)."""
    slugs = {site.name: site.slug for site in DEMO_SITES}
    occurrences = _occurrence_keys(today)
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(Source.name, Listing.external_id, Listing.event_id, Listing.title).join(
                    Source, Source.id == Listing.source_id
                )
            ).all()
    finally:
        engine.dispose()
    found: dict[Key, tuple[int, str]] = {}
    for name, external_id, event_id, title in rows:
        assert event_id is not None, f"{title!r} was given no event"
        found[_truth_key(slugs[name], external_id, occurrences)] = (event_id, title)
    return found


def test_the_demo_sites_crawled_for_real_are_grouped_as_their_ground_truth_says(
    demo_sites: DemoServer,
    run_vahti: Callable[..., CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    for site in DEMO_SITES:
        added = run_vahti(
            "sources", "add", site.start_url(demo_sites.base_url), "--name", site.name,
            "--kind", site.kind, "--language", site.languages[0],
            "--priority", str(site.priority), "--config", json.dumps(_source_config(site)),
        )  # fmt: skip
        assert added.returncode == 0, added.stdout + added.stderr
    crawled = run_vahti("crawl", timeout=180)
    assert crawled.returncode == 0, crawled.stdout + crawled.stderr
    grouped = run_vahti("dedupe")
    assert grouped.returncode == 0, grouped.stdout + grouped.stderr

    truth = load_static()
    labels = {
        (site, key): group["event"] for group in truth["groups"] for site, key in group["listings"]
    }
    found = _crawled_events(tmp_path / "vahti.db", demo_sites.today)
    assert set(found) == set(labels), "crawled listings and ground truth differ"

    events: dict[int, list[Key]] = {}
    for key, (event_id, _title) in found.items():
        events.setdefault(event_id, []).append(key)
    quality = pairwise_quality(events.values(), labels)
    wrong = [
        ("joined" if found[a][0] == found[b][0] else "missed", found[a][1], found[b][1])
        for a, b in combinations(sorted(found), 2)
        if (found[a][0] == found[b][0]) != (labels[a] == labels[b])
    ]
    assert quality.precision >= MIN_PRECISION, (quality, wrong)
    assert quality.recall >= MIN_RECALL, (quality, wrong)
    for negative in truth["hard_negatives"]:
        a, b = tuple(negative["a"]), tuple(negative["b"])
        assert found[a][0] != found[b][0], negative["why"]
