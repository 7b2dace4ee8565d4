"""Cross-language duplicates (issue 15) on the set of four made-up sites in fi, sv and en
(tests/fixtures/dedupe/xlang.json, written by make_xlang.py), split into a tune half and a
held-out half by scene."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dedupe.cluster import cluster
from dedupe.job import run_dedupe
from dedupe.model import DedupeListing
from dedupe.quality import Quality, pairwise_quality
from store.listings import upsert_listings
from store.models import Listing, Source
from tests.conftest import Database
from tests.support.labelled import XLANG, listings, load, to_record
from text.freedict import Dictionaries, dictionaries

needs_dictionaries = pytest.mark.skipif(
    not dictionaries(),
    reason="Debian's FreeDict dictionaries are not installed (make dictionaries)",
)


def test_the_xlang_set_is_what_its_script_writes() -> None:
    script = XLANG.with_name("make_xlang.py")
    spec = importlib.util.spec_from_file_location("make_xlang", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        assert module.build() == json.loads(XLANG.read_text(encoding="utf-8"))
    finally:
        del sys.modules[spec.name]


def test_the_xlang_set_is_big_varied_and_split_by_event() -> None:
    rows = load(XLANG)["listings"]
    assert len(rows) >= 300
    assert {row["source"] for row in rows} == {1, 2, 3, 4}
    assert {row["language"] for row in rows} == {"fi", "sv", "en"}
    halves: dict[str, set[str]] = {}
    for row in rows:
        halves.setdefault(row["group"], set()).add(row["half"])
    assert all(len(h) == 1 for h in halves.values())  # an event is in one half only
    sizes = Counter(row["half"] for row in rows)
    assert sizes["tune"] >= 100 and sizes["held-out"] >= 100
    languages: dict[str, set[str]] = {}
    for row in rows:
        languages.setdefault(row["group"], set()).add(row["language"])
    assert sum(1 for langs in languages.values() if len(langs) > 1) >= 80
    venues = {row["venue"] for row in rows if row["venue"]}
    assert {"Helsingin kaupunginkirjasto", "Helsinki City Library"} <= venues
    assert {"Messukeskus", "Mässcentrum", "Expo and Convention Centre"} <= venues


# --- the matcher on the set: held-out half against the goals, and without dictionaries ---

MIN_PRECISION = 0.98
MIN_RECALL = 0.95


def _quality(half: str, bilingual: Dictionaries | None = None) -> Quality:
    items, labels = listings(XLANG, half)
    found = cluster(items, bilingual=bilingual)
    return pairwise_quality([c.listing_ids for c in found.clusters], labels)


@needs_dictionaries
def test_held_out_precision_and_recall_reach_the_goals() -> None:
    quality = _quality("held-out")
    assert quality.true_pairs > 150
    assert quality.precision >= MIN_PRECISION, quality
    assert quality.recall >= MIN_RECALL, quality


def test_without_dictionaries_the_matcher_degrades_and_stays_precise(tmp_path: Path) -> None:
    empty = Dictionaries.load(tmp_path)
    assert not empty and empty.found == ()
    assert empty.english_words("kirjasto", "fi") == frozenset()
    quality = _quality("held-out", empty)
    assert quality.precision >= MIN_PRECISION, quality
    assert quality.recall > 0.85, quality  # the sources' venue names and the glossary still help
    before = pairwise_quality(
        [[i] for i in listings(XLANG, "held-out")[1]], listings(XLANG, "held-out")[1]
    )
    assert quality.recall > before.recall  # positive control: something was paired


# --- the dictd reader, on a dictionary written here ---


def _b64(value: int) -> str:
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    text = ""
    while True:
        text = digits[value % 64] + text
        value //= 64
        if not value:
            return text


def _write_dictd(folder: Path, pair: str, entries: dict[str, str]) -> None:
    body = b""
    index = ["00databaseinfo\tA\tA"]
    for head, text in sorted(entries.items()):
        raw = f"{head} /{head}/ <n>\n{text}\n".encode()  # headword, pronunciation, class
        index.append(f"{head}\t{_b64(len(body))}\t{_b64(len(raw))}")
        body += raw
    (folder / f"freedict-{pair}.index").write_text("\n".join(index) + "\n", encoding="utf-8")
    with gzip.open(folder / f"freedict-{pair}.dict.dz", "wb") as packed:
        packed.write(body)


def test_a_dictd_dictionary_is_read_with_inflections_compounds_and_backwards(
    tmp_path: Path,
) -> None:
    _write_dictd(
        tmp_path,
        "fin-eng",
        {
            "kirjasto": "library 2.\nlaitos, josta lainataan kirjoja\n 3.\nkokoelma",
            "kaupunki": "1. city, town\nasutuskeskus",
            "messut": "fair, trade fair",
        },
    )
    _write_dictd(tmp_path, "eng-fin", {"opening": "1. avajaiset\nceremony"})
    _write_dictd(tmp_path, "fin-swe", {"kirjasto": "bibliotek"})
    found = Dictionaries.load(tmp_path)
    assert found.found == ("fin-eng", "eng-fin", "fin-swe")
    assert found.english_words("kirjastossa", "fi") == {"libra"}  # an ending
    assert {"city", "libra"} <= found.english_words("kaupunginkirjasto", "fi")  # a compound
    assert found.english_words("avajaiset", "fi") == {"openi"}  # read backwards
    assert found.english_words("bibliotek", "sv") == {"libra"}  # through Finnish
    assert "lainataan" not in str(found.fi)  # definition lines are no translations
    assert found.english_words("kahvila", "fi") == frozenset()  # positive control above


# --- hard negatives, each with its positive control (the system dictionaries) ---

START = datetime(2027, 2, 10, 13, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
NAMES = {
    "kirjasto": {
        "fi": "Helsingin kaupunginkirjasto",
        "sv": "Helsingfors stadsbibliotek",
        "en": "Helsinki City Library",
    },
    "messut": {"fi": "Messukeskus", "sv": "Mässcentrum", "en": "Expo and Convention Centre"},
    "caisa": {
        "fi": "Kulttuurikeskus Caisa",
        "sv": "Kulturcentret Caisa",
        "en": "Caisa Cultural Centre",
    },
    "itis": {
        "fi": "Itäkeskuksen kirjasto",
        "sv": "Östra centrums bibliotek",
        "en": "Itäkeskus Library",
    },
    "luckan": {"fi": "Luckan", "sv": "Luckan", "en": "Luckan"},
    "stoa": {
        "fi": "Kulttuurikeskus Stoa",
        "sv": "Kulturcentret Stoa",
        "en": "Stoa Cultural Centre",
    },
}
LANGUAGE = {1: "fi", 2: "en", 3: "fi", 4: "sv"}


def _listing(
    id_: int, source: int, title: str, venue: str = "kirjasto", **more: Any
) -> DedupeListing:
    names = NAMES[venue]
    fields: dict[str, Any] = {
        "start_at": START,
        "venue": names[LANGUAGE[source]],
        "city": {"fi": "Helsinki", "sv": "Helsingfors", "en": "Helsinki"}[LANGUAGE[source]],
        "url": f"https://site{source}.example/{id_}",
    }
    fields.update(more)
    return DedupeListing(id=id_, source_id=source, title=title, **fields)


def _groups(*items: DedupeListing) -> list[list[int]]:
    return [c.listing_ids for c in cluster(list(items)).clusters]


# Each source writes enough titles for its language to be clear.
FILLER = [
    _listing(900, 1, "Kesätöitä nuorille ja opiskelijoille", start_at=START + timedelta(days=3)),
    _listing(901, 2, "Summer work for young people", start_at=START + timedelta(days=4)),
    _listing(902, 4, "Sommarjobb för unga studerande", start_at=START + timedelta(days=5)),
]


@needs_dictionaries
def test_translated_titles_and_venue_names_at_one_minute_are_one_event() -> None:
    found = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon"),
        _listing(2, 2, "Polish your CV"),
        _listing(3, 4, "Gör ditt CV bättre"),
        *FILLER,
    )
    assert [1, 2, 3] in found


@needs_dictionaries
def test_parallel_sessions_at_one_time_and_venue_pair_by_title() -> None:
    found = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon"),
        _listing(2, 1, "Valmistaudu työhaastatteluun"),
        _listing(3, 2, "Practise for your job interview"),
        _listing(4, 2, "Polish your CV"),
        *FILLER,
    )
    assert [1, 4] in found and [2, 3] in found  # each session with its translation


@needs_dictionaries
def test_a_weekly_series_stays_apart_across_languages() -> None:
    week = timedelta(weeks=1)
    found = _groups(
        _listing(1, 1, "Suomen kielen kahvila"),
        _listing(2, 2, "Finnish conversation café", start_at=START + week),
        _listing(3, 1, "Suomen kielen kahvila", start_at=START + 2 * week),
        _listing(4, 2, "Finnish conversation café", start_at=START + 2 * week),
        *FILLER,
    )
    assert [1] in found and [2] in found  # other days
    assert [3, 4] in found  # positive control: the same week is one event


@needs_dictionaries
def test_a_fair_and_its_sub_events_stay_apart() -> None:
    fair = {"venue": "messut", "end_at": START + timedelta(hours=6)}
    found = _groups(
        _listing(1, 1, "Rekrytointimessut 2027", **fair),
        _listing(2, 1, "Avajaiset", venue="messut"),
        _listing(3, 2, "Recruitment Expo 2027", **fair),
        _listing(4, 2, "Opening words", venue="messut"),
        _listing(
            5,
            1,
            "Paneeli: työnantajat kertovat",
            venue="messut",
            start_at=START + timedelta(hours=1),
        ),
        _listing(6, 2, "Employer panel", venue="messut", start_at=START + timedelta(hours=1)),
        *FILLER,
    )
    assert [1, 3] in found and [2, 4] in found and [5, 6] in found


@needs_dictionaries
def test_a_sub_event_is_not_paired_with_the_fair_another_site_lists() -> None:
    found = _groups(
        _listing(2, 1, "Avajaiset", venue="messut"),
        _listing(3, 2, "Recruitment Expo 2027", venue="messut"),
        *FILLER,
    )
    assert [2] in found and [3] in found
    control = _groups(  # the same two sites, the same event
        _listing(2, 1, "Avajaiset", venue="messut"),
        _listing(3, 2, "Opening words", venue="messut"),
        *FILLER,
    )
    assert [2, 3] in control


@needs_dictionaries
def test_an_event_that_holds_a_listing_of_a_site_is_not_paired_with_another_of_it() -> None:
    page = "https://organiser.example/cv-2027-02-10"
    found = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon", url=page),
        _listing(2, 3, "Ansioluettelo kuntoon"),  # another Finnish site: the same event
        _listing(3, 2, "CV day at the library", url=page),  # joined through the shared page
        _listing(4, 2, "Improve your résumé"),  # the English site again: no second partner
        *FILLER,
    )
    assert [1, 2, 3] in found and [4] in found
    control = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon", url=page),
        _listing(2, 3, "Ansioluettelo kuntoon"),
        _listing(4, 2, "Improve your résumé"),
        *FILLER,
    )
    assert [1, 2, 4] in control


@needs_dictionaries
def test_two_candidates_from_one_site_too_close_to_tell_are_left_apart() -> None:
    found = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon"),
        _listing(3, 2, "Polish your CV"),
        _listing(4, 2, "Improve your CV"),
        *FILLER,
    )
    assert [1] in found and [3] in found and [4] in found


@needs_dictionaries
def test_unrelated_events_in_one_city_at_one_minute_stay_apart() -> None:
    found = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon"),
        _listing(2, 2, "Restaurants are hiring", venue="messut"),
        *FILLER,
    )
    assert [1] in found and [2] in found


@needs_dictionaries
def test_held_out_half_through_the_store(db: Database, now: datetime) -> None:
    """Extracted as the sites give them (the venue's other names in the listing's extra), stored,
    and grouped by the dedupe job: the same goals."""
    data = load(XLANG)
    rows = [row for row in data["listings"] if row["half"] == "held-out"]
    with db.sessions.begin() as session:
        for source in data["sources"]:
            session.add(Source(id=source["id"], name=source["name"], url="https://x.example/"))
        session.flush()
        for source in data["sources"]:
            records = [to_record(r) for r in rows if r["source"] == source["id"]]
            upsert_listings(session, source["id"], records, now)
    with db.sessions.begin() as session:
        run_dedupe(session, now)
    group_of = {f"labelled-{row['id']}": row["group"] for row in rows}
    with db.sessions() as session:
        labels: dict[int, str] = {}
        events: dict[int, list[int]] = {}
        for listing in session.scalars(select(Listing)):
            labels[listing.id] = group_of[listing.external_id]
            assert listing.event_id is not None
            events.setdefault(listing.event_id, []).append(listing.id)
        assert any(listing.extra.get("venue_names") for listing in session.scalars(select(Listing)))
    quality = pairwise_quality(events.values(), labels)
    assert quality.precision >= MIN_PRECISION, quality
    assert quality.recall >= MIN_RECALL, quality


@needs_dictionaries
def test_a_venue_named_in_three_languages_keeps_another_venue_apart() -> None:
    names = {"venue_names": NAMES["kirjasto"]}  # as a Linked Events place gives them
    found = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon", **names),
        _listing(2, 2, "Polish your CV", venue="messut"),  # the same minute, another venue
        *FILLER,
    )
    assert [1] in found and [2] in found
    control = _groups(
        _listing(1, 1, "Ansioluettelo kuntoon", **names),
        _listing(2, 2, "Polish your CV"),
        *FILLER,
    )
    assert [1, 2] in control


@needs_dictionaries
def test_a_parallel_session_listed_in_one_language_only_stays_apart() -> None:
    found = _groups(
        _listing(1, 1, "Verkostoitumisilta kansainvälisille osaajille", venue="caisa"),
        _listing(2, 2, "Pay subsidy for employers of international talents", venue="caisa"),
        *FILLER,
    )
    assert [1] in found and [2] in found  # one audience, two topics
    control = _groups(
        _listing(1, 1, "Verkostoitumisilta kansainvälisille osaajille", venue="caisa"),
        _listing(2, 2, "Networking evening for international talents", venue="caisa"),
        *FILLER,
    )
    assert [1, 2] in control


@needs_dictionaries
def test_venue_names_that_are_names_keep_two_venues_apart() -> None:
    found = _groups(
        _listing(1, 1, "Englantia työnhakijoille", venue="caisa"),
        _listing(2, 2, "English for job seekers", venue="stoa"),  # "Caisa" is no "Stoa"
        *FILLER,
    )
    assert [1] in found and [2] in found
    control = _groups(
        _listing(1, 1, "Englantia työnhakijoille", venue="caisa"),
        _listing(2, 2, "English for job seekers", venue="caisa"),
        *FILLER,
    )
    assert [1, 2] in control


@needs_dictionaries
def test_an_event_that_has_a_title_in_one_language_at_another_venue_is_not_joined() -> None:
    """One title at one minute at two venues: the Swedish listing joins the event whose Finnish
    listing names its venue, and is not paired with the other one."""
    found = _groups(
        _listing(1, 1, "CV-klinikka maahanmuuttajille", venue="itis"),
        _listing(2, 3, "CV-klinikka maahanmuuttajille", venue="luckan"),
        _listing(3, 4, "CV-klinik för invandrare", venue="luckan"),
        *FILLER,
    )
    assert [1] in found and [2, 3] in found
    control = _groups(
        _listing(1, 1, "CV-klinikka maahanmuuttajille", venue="luckan"),
        _listing(2, 3, "CV-klinikka maahanmuuttajille", venue="luckan"),
        _listing(3, 4, "CV-klinik för invandrare", venue="luckan"),
        *FILLER,
    )
    assert [1, 2, 3] in control
