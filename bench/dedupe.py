"""Benchmark deduplication: N generated listings, about 30 % of them duplicates.

    python bench/dedupe.py                 # 100,000 listings, pure clustering
    python bench/dedupe.py -n 1000000      # the 1M run
    python bench/dedupe.py --store 20000   # the store job on SQLite (first and second run)
    python bench/dedupe.py --english-source  # source 2 writes every title in English, so
                                             # the cross-language pairing runs (and its cost)

Prints the time, the peak memory (the process's peak resident set, so an upper bound that
includes the generated listings) and pairwise precision/recall against the generator's truth.
Goals on the 2-core machine: 100k in ≤ 30 s and ≤ 1 GB; 1M in about ten times that.

The generated calendar is a year of weekday events in 24 cities; titles are built from
domain words in Finnish, Swedish and English; duplicates carry the variations a real
aggregator sees (label prefixes, case, typos, translated titles, UTC or date-only times, a
Helsinki time stamped as UTC, venue spellings, missing organisers, links to the organiser's
page). Recurring series repeat a title weekly at one venue and hour. One event in twenty has
a parallel session: another topic by the same organiser at the same venue and hour (the
look-alike that the cross-language rule must keep apart).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedupe.cluster import cluster  # noqa: E402 (the repository root goes on the path first)
from dedupe.model import DedupeListing  # noqa: E402
from dedupe.quality import pairwise_quality  # noqa: E402
from text.language import title_language  # noqa: E402

HELSINKI = ZoneInfo("Europe/Helsinki")
TOPICS = [  # (fi, sv, en)
    ("CV-klinikka", "CV-klinik", "CV clinic"),
    ("LinkedIn-työpaja", "LinkedIn-verkstad", "LinkedIn workshop"),
    ("Palkkaneuvottelun ABC", "Löneförhandlingens ABC", "Salary negotiation basics"),
    ("Työhaastatteluun valmistautuminen", "Förbered dig för intervjun", "Preparing for interviews"),
    ("Rekrytointimessut", "Rekryteringsmässa", "Recruitment fair"),
    ("Kesätyömessut", "Sommarjobbsmässa", "Summer job fair"),
    ("Mentorointiohjelman haku", "Ansökan till mentorskapsprogrammet", "Mentoring programme call"),
    ("Suomen kielen kurssi", "Kurs i finska", "Finnish language course"),
    ("Kielikahvila", "Språkcafé", "Language café"),
    ("Yrittäjyyden infoilta", "Infokväll om företagande", "Entrepreneurship info evening"),
    ("Verkostoitumisilta", "Nätverkskväll", "Networking evening"),
    ("Työnhakuvalmennus", "Jobbsökarträning", "Job search coaching"),
    ("Harjoittelupaikat", "Praktikplatser", "Internships"),
    ("Urapäivä", "Karriärdag", "Career day"),
    ("Palkkatuki työnantajalle", "Lönesubvention för arbetsgivare", "Pay subsidy for employers"),
]
FIELDS = [  # (fi, sv, en)
    ("sote-ala", "vården", "health care"),
    ("IT-ala", "IT-branschen", "IT"),
    ("logistiikka", "logistik", "logistics"),
    ("rakennusala", "byggbranschen", "construction"),
    ("ravintola-ala", "restaurangbranschen", "restaurants"),
    ("opettajat", "lärare", "teachers"),
    ("myynti", "försäljning", "sales"),
    ("insinöörit", "ingenjörer", "engineers"),
]
AUDIENCES = [
    ("maahanmuuttajille", "för invandrare", "for immigrants"),
    ("nuorille", "för unga", "for young people"),
    ("naisille", "för kvinnor", "for women"),
    ("opiskelijoille", "för studerande", "for students"),
    ("kansainvälisille osaajille", "för internationella talanger", "for international talents"),
]
PREFIXES = ["Webinaari: ", "Seminaari: ", "Rekrytointitapahtuma – ", "Työpaja: ", "UUSI: ", ""]
SLOTS = [(9, 0), (10, 0), (12, 0), (13, 0), (14, 0), (15, 0), (16, 30), (17, 0), (17, 30), (18, 0)]
PARALLEL_SHARE = 0.05
SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "vo", "ni", "pa", "ke", "ri", "to", "la"]


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


class World:
    """Places and names grow with the number of listings (a million listings come from many
    more venues and organisers than a hundred thousand), the calendar does not."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self.cities = [name(rng) + "nen" for _ in range(24)]
        venues = max(600, count // 150)
        self.venues = [(f"{name(rng)}{n}-talo", rng.choice(self.cities)) for n in range(venues)]
        self.organisers = [f"{name(rng)}{n} ry" for n in range(max(400, count // 250))]
        self.brands = [f"{name(rng)}{n}" for n in range(max(3000, count // 30))]
        start = date(2027, 1, 4)
        self.days = [start + timedelta(days=d) for d in range(365)]
        self.days = [d for d in self.days if d.weekday() < 5]


def base_event(rng: random.Random, world: World, index: int) -> dict[str, object]:
    topic, field, audience = rng.choice(TOPICS), rng.choice(FIELDS), rng.choice(AUDIENCES)
    brand = rng.choice(world.brands) if rng.random() < 0.6 else None
    with_field = rng.random() < 0.7
    titles = {
        lang: " ".join(
            p for p in (brand, topic[i], field[i] if with_field else "", audience[i]) if p
        )
        for i, lang in enumerate(("fi", "sv", "en"))
    }
    day = rng.choice(world.days)
    hour, minute = rng.choice(SLOTS)
    venue, city = rng.choice(world.venues)
    return {
        "group": index,
        "titles": titles,
        "start": datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI),
        "venue": venue,
        "city": city,
        "organiser": rng.choice(world.organisers),
        "url": f"https://org{index % 97}.example/e/{index}",
        "topic": topic[0],
    }


def as_listing(event: dict[str, object], listing_id: int, source: int) -> DedupeListing:
    titles = event["titles"]
    assert isinstance(titles, dict)
    start = event["start"]
    assert isinstance(start, datetime)
    return DedupeListing(
        id=listing_id,
        source_id=source,
        title=titles["fi"],
        start_at=start,
        venue=str(event["venue"]),
        city=str(event["city"]),
        organiser=str(event["organiser"]),
        url=str(event["url"]),
        priority=10,
    )


def variant(
    rng: random.Random,
    original: DedupeListing,
    titles: dict[str, str],
    listing_id: int,
    english_source: bool = False,
) -> DedupeListing:
    source = rng.randint(2, 12)
    title = original.title
    roll = rng.random()
    if english_source and source == 2:
        title = titles["en"]  # a site that writes in English (dedupe/crosslang.py)
    elif roll < 0.25:
        title = titles[rng.choice(["sv", "en"])]
    if rng.random() < 0.4:
        title = rng.choice(PREFIXES) + title
    if rng.random() < 0.1:
        title = title.upper()
    if rng.random() < 0.1 and len(title) > 8:
        i = rng.randrange(2, len(title) - 3)
        title = title[:i] + title[i + 1] + title[i] + title[i + 2 :]
    start = original.start_at
    all_day, zone = False, "Europe/Helsinki"
    roll = rng.random()
    if roll < 0.3:
        start = start.astimezone(UTC)
    elif roll < 0.38:
        start = start.replace(hour=0, minute=0)
        all_day = True
    elif roll < 0.42:
        start = start.replace(tzinfo=None).replace(tzinfo=UTC)
        zone = "UTC"
    venue = original.venue if rng.random() < 0.7 else f"{original.venue}, {original.city}"
    described = f"Lisätietoja: {original.url}" if rng.random() < 0.5 else ""
    return replace(
        original,
        id=listing_id,
        source_id=source,
        title=title,
        start_at=start,
        all_day=all_day,
        timezone=zone,
        venue=venue,
        organiser=original.organiser if rng.random() < 0.6 else None,
        url=f"https://agg{source}.example/{listing_id}",
        description_text=described,
        priority=0,
    )


def generate(
    count: int, seed: int = 7, english_source: bool = False
) -> tuple[list[DedupeListing], dict[int, str]]:
    rng = random.Random(seed)
    world = World(rng, count)
    listings: list[DedupeListing] = []
    labels: dict[int, str] = {}
    unique = int(count * 0.7)
    series_every = 40
    translations: dict[str, dict[str, str]] = {}
    index = 0
    parallel: dict[str, object] | None = None
    while len(listings) < unique:
        event = base_event(rng, world, index)
        if parallel is not None:  # the same organiser, venue and hour, another topic
            while event["topic"] == parallel["topic"]:
                event = base_event(rng, world, index)
            event.update({k: parallel[k] for k in ("start", "venue", "city", "organiser")})
            parallel = None
        elif index % series_every and rng.random() < PARALLEL_SHARE:
            parallel = event
        translations[str(index)] = event["titles"]  # type: ignore[assignment]
        repeats = 6 if index % series_every == 0 else 1  # a weekly series: same title and place
        for week in range(repeats):
            if len(listings) >= unique:
                break
            start = event["start"]
            assert isinstance(start, datetime)
            occurrence = {
                **event,
                "group": f"{index}/{week}",
                "start": start + timedelta(weeks=week),
            }
            occurrence["url"] = f"{event['url']}/{week}"
            listing = as_listing(occurrence, len(listings) + 1, 1)
            listings.append(listing)
            labels[listing.id] = str(occurrence["group"])
        index += 1
    originals = list(listings)
    while len(listings) < count:
        original = rng.choice(originals)
        group = labels[original.id]
        titles = translations[group.split("/")[0]]
        copy = variant(rng, original, titles, len(listings) + 1, english_source)
        listings.append(copy)
        labels[copy.id] = group
    return listings, labels


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_pure(count: int, english_source: bool = False) -> None:
    started = time.perf_counter()
    listings, labels = generate(count, english_source=english_source)
    generated = time.perf_counter() - started
    print(f"generated {len(listings):,} listings in {generated:.1f} s (peak {peak_mb():.0f} MB)")
    started, cpu = time.perf_counter(), time.process_time()
    found = cluster(listings)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    quality = pairwise_quality([c.listing_ids for c in found.clusters], labels)
    print(
        f"dedupe: {elapsed:.1f} s ({cpu:.1f} s CPU) for {len(listings):,} listings "
        f"({len(listings) / elapsed:,.0f} listings/s), peak memory {peak_mb():.0f} MB"
    )
    print(
        f"candidate pairs {found.candidate_pairs:,} ({found.candidate_pairs / len(listings):.1f}"
        f" per listing), matches {found.matched_pairs:,}, events {len(found.clusters):,}"
    )
    print(
        f"precision {quality.precision:.4f}  recall {quality.recall:.4f}  "
        f"(true pairs {quality.true_pairs:,}, found {quality.found_pairs:,})"
    )
    rules = Counter(w["rule"] for c in found.clusters for w in c.why.values())
    print("joined by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in rules.most_common()))
    print(f"titles whose language was asked: {title_language.cache_info().currsize:,}")
    print(f"goal 100k: ≤ 30 s and ≤ 1024 MB; load average now {os.getloadavg()[0]:.2f}")


def bench_store(count: int) -> None:
    from dedupe.job import run_dedupe
    from store.db import make_engine, session_factory
    from store.listings import upsert_listings
    from store.migrate import upgrade
    from store.models import Source
    from store.record import EventRecord

    listings, _labels = generate(count)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        with sessions.begin() as session:
            sources = {
                s: Source(name=f"s{s}", url=f"https://s{s}.example/", priority=int(s == 1) * 10)
                for s in range(1, 13)
            }
            session.add_all(sources.values())
            session.flush()
            by_source: dict[int, list[EventRecord]] = {}
            for item in listings:
                by_source.setdefault(item.source_id, []).append(
                    EventRecord(
                        external_id=str(item.id),
                        title=item.title,
                        start_at=item.start_at,
                        timezone=item.timezone,
                        all_day=item.all_day,
                        venue=item.venue,
                        city=item.city,
                        organiser=item.organiser,
                        url=item.url,
                        description_text=item.description_text,
                    )
                )
            for source_id, records in by_source.items():
                upsert_listings(session, sources[source_id].id, records, now)
        print(f"stored {count:,} listings in {time.perf_counter() - started:.1f} s")
        for run in ("first", "second"):
            started = time.perf_counter()
            with sessions.begin() as session:
                counts = run_dedupe(session, now, past_days=30)
            print(
                f"{run} run: {time.perf_counter() - started:.1f} s, events {counts.events:,}, "
                f"created {counts.events_created:,}, updated {counts.events_updated:,}, "
                f"peak memory {peak_mb():.0f} MB"
            )
        engine.dispose()
    print(f"load average now {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="listings to generate")
    parser.add_argument("--store", type=int, default=0, help="also run the store job on N")
    parser.add_argument(
        "--english-source", action="store_true", help="source 2 writes its titles in English"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.store:
        bench_store(args.store)
    else:
        bench_pure(args.n, args.english_source)


if __name__ == "__main__":
    main()
