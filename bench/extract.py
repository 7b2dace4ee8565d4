"""Extraction speed: JSON-LD detail pages and one large calendar with recurrences.

    python bench/extract.py                 # 5,000 pages, 10,000 VEVENTs (the goals)
    python bench/extract.py --pages 200 --events 500   # a quick check

Goals on our 2-core machine: JSON-LD pages at 300 or more per second on one core; the
calendar (row "calendar" of var/bench/results.json, bench/results.py): our extraction and
normalisation of the crawl window at most 1.5 times python-icalendar's own parse of the same
bytes (`Calendar.from_ical`), both measured in this run (CPU time, best of `--rounds`,
alternating). Everything runs in this process, on one core, from generated but realistic
documents (fi / sv / en text, every page and event different, so the caches of normalisation
do not make it look faster than it is). Prints figures and ratios; asserts nothing. Both the
wall time and this process's CPU time are shown: on a machine shared with other work the CPU
time is what one core spent, the wall time what a user waited.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import icalendar

from bench.results import load_average, record
from scrapers import calls, dates
from scrapers.extractors import ExtractContext, extract
from text import language, lexicon, places, sanitise

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PAGE_GOAL = 300.0  # pages per second, one core
CALENDAR_GOAL = 1.5  # our calendar time / icalendar's parse of the same bytes, at most

_WORDS = {
    "fi": (
        "rekrytointimessut työpaja infotilaisuus webinaari kurssi mentorointi verkostoitumis"
        "ilta työnhakijoille maahanmuuttajille nuorille opiskelijoille yrittäjille kirjasto "
        "Oodi Kaapelitehdas Helsinki Espoo Vantaa tule mukaan ota CV mukaan ilmoittaudu"
    ),
    "sv": (
        "rekryteringsmässa verkstad infotillfälle webbinarium kurs mentorskap nätverkskväll "
        "för arbetssökande inflyttade unga studerande företagare biblioteket Helsingfors Esbo "
        "välkommen ta med ditt CV anmäl dig"
    ),
    "en": (
        "job fair workshop info session webinar course mentoring networking evening for "
        "job seekers newcomers young people students entrepreneurs library Helsinki Espoo "
        "welcome bring your CV register"
    ),
}
WORDS = {lang: words.split() for lang, words in _WORDS.items()}
CITIES = ("Helsinki", "Espoo", "Vantaa", "Turku", "Tampere")


def sentence(rng: random.Random, lang: str, length: int) -> str:
    return " ".join(rng.choice(WORDS[lang]) for _ in range(length)).capitalize()


def page(rng: random.Random, number: int) -> bytes:
    lang = rng.choice(("fi", "fi", "sv", "en"))
    start = NOW + timedelta(days=rng.randint(1, 300), hours=rng.randint(0, 10))
    data = {
        "@context": "https://schema.org",
        "@type": rng.choice(("Event", "EducationEvent", "BusinessEvent", "SocialEvent")),
        "@id": f"https://events.example.fi/{lang}/event-{number}/#event",
        "name": f"{sentence(rng, lang, 4)} {number}",
        "description": "".join(f"<p>{sentence(rng, lang, 25)}.</p>" for _ in range(4)),
        "url": f"https://events.example.fi/{lang}/event-{number}/",
        "startDate": start.astimezone().isoformat(timespec="seconds"),
        "endDate": (start + timedelta(hours=2)).isoformat(timespec="seconds"),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "inLanguage": lang,
        "location": {
            "@type": "Place",
            "name": sentence(rng, lang, 2),
            "address": {
                "@type": "PostalAddress",
                "streetAddress": f"Testikatu {number % 90 + 1}",
                "postalCode": f"00{number % 900 + 100}",
                "addressLocality": rng.choice(CITIES),
            },
        },
        "organizer": {"@type": "Organization", "name": sentence(rng, lang, 3)},
        "offers": {
            "@type": "Offer",
            "price": str(rng.choice((0, 0, 10, 25))),
            "priceCurrency": "EUR",
        },
    }
    nav = "".join(
        f'<li><a href="/{lang}/page-{i}/">{sentence(rng, lang, 2)}</a></li>' for i in range(40)
    )
    body = "".join(f"<p>{sentence(rng, lang, 40)}</p>" for _ in range(12))
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{data['name']}</title>"
        f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
        f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><h1>{data['name']}</h1>"
        f"{body}</main><footer>{sentence(rng, lang, 12)}</footer></body></html>"
    )
    return html.encode("utf-8")


VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Helsinki
BEGIN:DAYLIGHT
TZOFFSETFROM:+0200
TZOFFSETTO:+0300
TZNAME:EEST
DTSTART:19700329T030000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
TZNAME:EET
DTSTART:19701025T040000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def calendar(rng: random.Random, count: int) -> bytes:
    """`count` VEVENTs: 60 % from the last three years, 30 % ahead, 10 % weekly series
    (COUNT=20, some with EXDATE, some with a moved occurrence as its own VEVENT)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bench//EN",
        "X-WR-TIMEZONE:Europe/Helsinki",
    ]
    lines += VTIMEZONE.splitlines()
    made = 0
    while made < count:
        roll = rng.random()
        lang = rng.choice(("fi", "sv", "en"))
        if roll < 0.6:
            start = NOW - timedelta(days=rng.randint(3, 3 * 365), hours=rng.randint(0, 8))
        else:
            start = NOW + timedelta(days=rng.randint(1, 330), hours=rng.randint(0, 8))
        start = start.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        uid = f"bench-{made}@calendar.example"
        event = [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20261101T000000Z",
            f"DTSTART;TZID=Europe/Helsinki:{stamp(start)}",
            f"DTEND;TZID=Europe/Helsinki:{stamp(start + timedelta(hours=2))}",
            f"SUMMARY:{sentence(rng, lang, 4)} {made}",
            f"DESCRIPTION:{sentence(rng, lang, 30)}",
            f"LOCATION:{sentence(rng, lang, 2)}\\, Testikatu {made % 90 + 1}\\, "
            f"{rng.choice(CITIES)}",
        ]
        series = roll >= 0.9 and made + 2 <= count
        if series:
            start = NOW.replace(tzinfo=None, minute=0, second=0, microsecond=0) + timedelta(
                days=rng.randint(-60, 60)
            )
            event[3] = f"DTSTART;TZID=Europe/Helsinki:{stamp(start)}"
            event[4] = f"DTEND;TZID=Europe/Helsinki:{stamp(start + timedelta(hours=1))}"
            event.insert(5, "RRULE:FREQ=WEEKLY;COUNT=20")
            event.insert(6, f"EXDATE;TZID=Europe/Helsinki:{stamp(start + timedelta(weeks=3))}")
        lines += [*event, "END:VEVENT"]
        made += 1
        if series:
            moved = start + timedelta(weeks=5)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                "DTSTAMP:20261101T000000Z",
                f"RECURRENCE-ID;TZID=Europe/Helsinki:{stamp(moved)}",
                f"DTSTART;TZID=Europe/Helsinki:{stamp(moved + timedelta(days=1))}",
                f"DTEND;TZID=Europe/Helsinki:{stamp(moved + timedelta(days=1, hours=1))}",
                f"SUMMARY:{sentence(rng, lang, 4)} (moved)",
                "END:VEVENT",
            ]
            made += 1
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def forget() -> None:
    """Empty the text caches of normalisation, so a run gains nothing from the one before."""
    for cached in (
        sanitise.clean_text,
        sanitise.sanitise_html,
        lexicon.categories_in,
        lexicon.audiences_in,
        lexicon.attendance_in,
        lexicon.says_free,
        places.city_in,
        language.detect_language,
        calls.find_call,
        dates.parse_when,
    ):
        cached.cache_clear()


def bench_pages(count: int) -> None:
    rng = random.Random(1)
    pages = [page(rng, n) for n in range(count)]
    size = sum(len(p) for p in pages) / count / 1024
    warm = ExtractContext(url="https://events.example.fi/warm/", now=NOW)
    extract("jsonld", pages[0], warm)  # imports and model loading are not the steady state
    records = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for number, body in enumerate(pages):
        ctx = ExtractContext(url=f"https://events.example.fi/event-{number}/", now=NOW)
        records += len(extract("jsonld", body, ctx).records)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"JSON-LD detail pages: {count} pages ({size:.1f} KB each), {records} records")
    print(
        f"  wall {elapsed:.2f} s: {count / elapsed:.0f} pages/s, {records / elapsed:.0f} records/s"
    )
    print(f"  cpu  {cpu:.2f} s: {count / cpu:.0f} pages/s on one core")
    print(f"  goal >= {PAGE_GOAL:.0f} pages/s on one core: ratio {count / cpu / PAGE_GOAL:.2f}")


def _cpu(work: Any) -> tuple[float, float, Any]:
    started, cpu_started = time.perf_counter(), time.process_time()
    value = work()
    return time.perf_counter() - started, time.process_time() - cpu_started, value


def bench_calendar(count: int, rounds: int) -> None:
    body = calendar(random.Random(2), count)
    warm = ExtractContext(url="https://calendar.example.fi/warm.ics", now=NOW)
    extract("ics", calendar(random.Random(3), 50), warm)  # first-use costs of the libraries
    icalendar.Calendar.from_ical(calendar(random.Random(3), 50))
    print(f"Calendar: {count} VEVENTs, {len(body) / 1_048_576:.1f} MB")
    load_before = load_average()
    ours: list[float] = []
    anchor: list[float] = []
    dry: list[float] = []
    for _ in range(rounds):  # alternating, so that a swing of the machine hits both alike
        anchor.append(_cpu(lambda: icalendar.Calendar.from_ical(body))[1])
        for include_past in (False, True):
            forget()
            ctx = ExtractContext(
                url="https://calendar.example.fi/events.ics", now=NOW, include_past=include_past
            )
            elapsed, cpu, result = _cpu(partial(extract, "ics", body, ctx))
            (dry if include_past else ours).append(cpu)
            label = "dry run, past kept" if include_past else "crawl window"
            print(
                f"  {label}: {len(result.records)} records, {result.outside_window} outside "
                f"the window, {result.skipped} skipped; wall {elapsed:.2f} s, cpu {cpu:.2f} s "
                f"({len(result.records) / cpu:.0f} records/s)"
            )
        print(f"  icalendar Calendar.from_ical of the same bytes: cpu {anchor[-1]:.2f} s")
    figure, base = min(ours), min(anchor)
    print(
        f"  best of {rounds}: ours {figure:.2f} s (dry run {min(dry):.2f} s), icalendar "
        f"{base:.2f} s: ratio {figure / base:.2f} (goal <= {CALENDAR_GOAL})"
    )
    record(
        "calendar",
        figure=figure,
        anchor=base,
        ratio=figure / base,
        goal=CALENDAR_GOAL,
        higher_is_better=False,
        unit="s cpu",
        load_before=load_before,
        details={
            "events": count,
            "rounds": rounds,
            "ours_s": [round(x, 3) for x in ours],
            "icalendar_s": [round(x, 3) for x in anchor],
            "dry_run_s": [round(x, 3) for x in dry],
            "dry_run_ratio": round(min(dry) / base, 3),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="calendar rounds; best one counts")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.pages:
        bench_pages(args.pages)
    bench_calendar(args.events, args.rounds)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
