"""Benchmark deduplication: N generated listings, about 30 % of them duplicates.

    python bench/dedupe.py                 # 100,000 listings, pure clustering
    python bench/dedupe.py -n 1000000      # the 1M run
    python bench/dedupe.py --incremental 100000  # the store job on SQLite: full, 1 % changed,
                                                 # incremental, full again (the anchor)
    python bench/dedupe.py --english-source  # source 2 writes every title in English, so
                                             # the cross-language pairing runs (and its cost)

Prints the time, the peak memory (this process's peak resident set, a worker's, and the
peak of all of them together as the sum of their PSS, sampled; the generated listings are
included) and pairwise precision/recall against the generator's truth, and records the rows
in var/bench/results.json (bench/results.py). Goals on the 2-core machine (issue 17): 1M in
≤ 60 s and ≤ 2 GB; an incremental run after 1 % of 100k listings changed in ≤ 0.1 of a full
run's time on the same data.

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
import cProfile
import os
import pstats
import random
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedupe.cluster import cluster  # noqa: E402 (the repository root goes on the path first)
from dedupe.model import DedupeListing  # noqa: E402
from dedupe.quality import pairwise_quality  # noqa: E402
from store.record import EventRecord  # noqa: E402
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


@contextmanager
def profiled(on: bool, what: str) -> Iterator[None]:
    """cProfile around a step, its top functions by own time printed afterwards."""
    if not on:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        print(f"--- profile of the {what}, by own time ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the dedupe workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pss_kb(pid: int) -> int:
    """A process's proportional set size (shared pages split between the processes sharing
    them), from /proc; 0 where there is none."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _family(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_family(int(child)))
    return found


class PeakMemory(threading.Thread):
    """Samples the memory of this process and its worker processes together (the sum of
    their PSS) every 2 s and keeps the peak, in MB. Reading a large process's smaps costs the
    kernel a walk of its page tables: sampled every 0.2 s it took more than half of the
    parent's CPU at 1M listings."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(2.0):
            total = sum(_pss_kb(pid) for pid in _family(os.getpid())) / 1024
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def bench_pure(count: int, processes: int | None, english_source: bool = False) -> None:
    from bench.results import load_average, record

    load_before = load_average()
    started = time.perf_counter()
    listings, labels = generate(count, english_source=english_source)
    generated = time.perf_counter() - started
    print(f"generated {len(listings):,} listings in {generated:.1f} s (peak {peak_mb():.0f} MB)")
    sampler = PeakMemory()
    sampler.start()
    started, cpu, total = time.perf_counter(), time.process_time(), _cpu()
    found = cluster(listings, processes=processes)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    total = _cpu() - total
    together = sampler.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    quality = pairwise_quality([c.listing_ids for c in found.clusters], labels)
    print(
        f"dedupe: {elapsed:.1f} s ({cpu:.1f} s CPU in this process, {total:.1f} s with the "
        f"workers) for {len(listings):,} "
        f"listings ({len(listings) / elapsed:,.0f} listings/s)"
    )
    print(
        f"memory: this process's peak {peak_mb():.0f} MB (resident; the generated listings "
        f"included), a worker's peak {children:.0f} MB; all together at most {together:.0f} MB "
        "(sum of PSS, sampled every 2 s)"
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
    asked = title_language.cache_info().currsize
    print(f"titles whose language was asked in this process (workers ask on their own): {asked:,}")
    print(f"load average now {os.getloadavg()[0]:.2f}")
    size = {100_000: "100k", 1_000_000: "1M"}.get(count)
    if size is None:
        return
    anchor_s, anchor_mb = (60.0, 2048.0) if size == "1M" else (30.0, 1024.0)
    details = {
        "listings": count,
        "processes": processes or os.cpu_count(),
        "cpu_s_parent": round(cpu, 1),
        "cpu_s_all": round(total, 1),
        "peak_mb_parent": round(peak_mb()),
        "peak_mb_worker": round(children),
        "precision": round(quality.precision, 4),
        "recall": round(quality.recall, 4),
    }
    record(
        f"dedupe {size} full run: time",
        figure=elapsed,
        anchor=anchor_s,
        ratio=elapsed / anchor_s,
        goal=1.0,
        higher_is_better=False,
        unit="s",
        load_before=load_before,
        details=details,
    )
    record(
        f"dedupe {size} full run: memory",
        figure=together,
        anchor=anchor_mb,
        ratio=together / anchor_mb,
        goal=1.0,
        higher_is_better=False,
        unit="MB",
        load_before=load_before,
        details=details,
    )


def _record_of(item: DedupeListing, key: str | None = None) -> EventRecord:
    return EventRecord(
        external_id=key or str(item.id),
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


def _changes(
    rng: random.Random, listings: list[DedupeListing], share: float
) -> tuple[dict[int, list[EventRecord]], list[tuple[int, str]]]:
    """`share` of the listings changed: titles reworded, times moved, places changed, new
    listings (copies under a new key on another source), listings gone."""
    puts: dict[int, list[EventRecord]] = {}
    gone: list[tuple[int, str]] = []
    for n, item in enumerate(rng.sample(listings, int(len(listings) * share))):
        roll = rng.random()
        if roll < 0.15:
            gone.append((item.source_id, str(item.id)))
            continue
        key = None
        if roll < 0.45:
            item = replace(item, title=item.title + " (uusi)")
        elif roll < 0.65:
            item = replace(item, start_at=item.start_at + timedelta(minutes=rng.choice([15, 60])))
        elif roll < 0.8:
            item = replace(item, venue=rng.choice(listings).venue)
        else:
            item = replace(item, source_id=rng.randint(2, 12))
            key = f"new-{n}"
        puts.setdefault(item.source_id, []).append(_record_of(item, key))
    return puts, gone


def bench_incremental(
    count: int, share: float, profile: bool = False, english_source: bool = False
) -> None:
    """The store job on SQLite: a full run, `share` of the listings changed, an incremental
    run, and a full run on the same data (the anchor, which must find nothing to change)."""
    from sqlalchemy import update

    from bench.results import load_average, record
    from dedupe.job import run_dedupe
    from dedupe.memory import Memory
    from store.db import make_engine, session_factory
    from store.listings import upsert_listings
    from store.migrate import upgrade
    from store.models import Listing, Source

    load_before = load_average()
    listings, _labels = generate(count, english_source=english_source)
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
                by_source.setdefault(item.source_id, []).append(_record_of(item))
            for source_id, records in by_source.items():
                upsert_listings(session, sources[source_id].id, records, now)
        print(f"stored {count:,} listings in {time.perf_counter() - started:.1f} s")
        memory = Memory()
        with sessions.begin() as session:
            first = run_dedupe(session, now, past_days=30, memory=memory)
        print(f"first run (full, fills the memory): {first.seconds:.1f} s, {first.events:,} events")
        puts, gone = _changes(random.Random(11), listings, share)
        later = now + timedelta(hours=1)
        with sessions.begin() as session:
            for source_id, records in puts.items():
                upsert_listings(session, sources[source_id].id, records, later)
            for source_id, key in gone:
                session.execute(
                    update(Listing)
                    .where(Listing.source_id == sources[source_id].id, Listing.external_id == key)
                    .values(gone_at=later)
                )
        changed = sum(map(len, puts.values())) + len(gone)
        started, cpu = time.perf_counter(), _cpu()
        with sessions.begin() as session, profiled(profile, "incremental run"):
            step = run_dedupe(session, later, past_days=30, memory=memory)
        step.seconds = time.perf_counter() - started  # with the commit
        step_cpu = _cpu() - cpu
        print(
            f"incremental run after {changed:,} changes: {step.seconds:.2f} s, regrouped "
            f"{step.regrouped:,} listings ({step.rewritten:,} written again), scored "
            f"{step.candidate_pairs:,} pairs, "
            f"created {step.events_created:,}, updated {step.events_updated:,}"
        )
        started, cpu = time.perf_counter(), _cpu()
        with sessions.begin() as session, profiled(profile, "full run"):
            full = run_dedupe(session, later, past_days=30)
        full.seconds = time.perf_counter() - started  # with the commit
        full_cpu = _cpu() - cpu
        print(
            f"full run on the same data: {full.seconds:.2f} s ({full_cpu:.1f} s CPU with its "
            f"workers; the incremental run {step_cpu:.2f} s CPU, ratio "
            f"{step_cpu / full_cpu:.3f}); it changed "
            f"{'something: the incremental run was WRONG' if full.changed else 'nothing'}"
        )
        engine.dispose()
    print(f"peak memory {peak_mb():.0f} MB")
    record(
        "dedupe 100k, 1 % changed: incremental / full"
        if count == 100_000 and not english_source
        else f"dedupe {count:,}, {share:.0%} changed"
        + (", English source" if english_source else "")
        + ": incremental / full",
        figure=step.seconds,
        anchor=full.seconds,
        ratio=step.seconds / full.seconds,
        goal=0.1,
        higher_is_better=False,
        unit="s",
        load_before=load_before,
        details={
            "listings": count,
            "changes": changed,
            "regrouped": step.regrouped,
            "pairs_scored": step.candidate_pairs,
            "same_as_full": not full.changed,
            "cpu_s": round(step_cpu, 2),
            "full_cpu_s": round(full_cpu, 2),
            "cpu_ratio": round(step_cpu / full_cpu, 4),
            "first_full_run_s": round(first.seconds, 2),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="listings to generate")
    parser.add_argument(
        "--incremental",
        type=int,
        default=0,
        metavar="N",
        help="the store job on N listings: full, 1 %% changed, incremental, full again",
    )
    parser.add_argument("--share", type=float, default=0.01, help="share changed (--incremental)")
    parser.add_argument("--profile", action="store_true", help="cProfile the runs")
    parser.add_argument(
        "--english-source", action="store_true", help="source 2 writes its titles in English"
    )
    parser.add_argument(
        "--processes", type=int, default=None, help="worker processes (default: one per core)"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.incremental:
        bench_incremental(args.incremental, args.share, args.profile, args.english_source)
    else:
        bench_pure(args.n, args.processes, args.english_source)


if __name__ == "__main__":
    main()
