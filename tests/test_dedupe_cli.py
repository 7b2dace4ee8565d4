"""`vahti dedupe`, `vahti events show/merge/split` as real processes on SQLite."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.listings import upsert_listings
from store.migrate import upgrade
from store.models import Listing, Source
from store.record import EventRecord

START = datetime.now(UTC).astimezone(timezone(timedelta(hours=2))).replace(
    hour=17, minute=0, second=0, microsecond=0
) + timedelta(days=10)


def seed(tmp_path: Path) -> None:
    """An organiser and an aggregator listing one clinic; the organiser also lists a talk."""
    engine = make_engine(f"sqlite:///{tmp_path / 'vahti.db'}")
    upgrade(engine)
    now = datetime.now(UTC)
    base = {"start_at": START, "venue": "Keskustakirjasto Oodi", "city": "Helsinki"}
    with session_factory(engine).begin() as session:
        organiser = Source(name="Työllisyyspalvelut", url="https://hel.example/", priority=10)
        aggregator = Source(name="Tapahtumakalenteri", url="https://agg.example/", priority=0)
        session.add_all([organiser, aggregator])
        session.flush()
        upsert_listings(
            session,
            organiser.id,
            [
                EventRecord(
                    external_id="cv", title="CV-klinikka", url="https://hel.example/cv", **base
                ),
                EventRecord(
                    external_id="talk",
                    title="Palkkaneuvottelun ABC",
                    url="https://hel.example/p",
                    **base,
                ),
            ],
            now,
        )
        upsert_listings(
            session,
            aggregator.id,
            [
                EventRecord(
                    external_id="1",
                    title="Työpaja: CV-KLINIKKA",
                    url="https://agg.example/1",
                    **base,
                )
            ],
            now,
        )
    engine.dispose()


def listing_ids(tmp_path: Path) -> dict[str, tuple[int, int | None]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'vahti.db'}")
    with session_factory(engine)() as session:
        rows = {r.external_id: (r.id, r.event_id) for r in session.scalars(select(Listing))}
    engine.dispose()
    return rows


def test_dedupe_prints_listings_events_duplicates_and_time(tmp_path: Path, run_vahti) -> None:  # type: ignore[no-untyped-def]
    seed(tmp_path)
    result = run_vahti("dedupe")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"listings: 3\s+events: 2\s+duplicates joined: 1\s+new events: 2", result.stdout
    )
    assert re.search(r"time: \d+\.\d\d s", result.stdout)
    again = run_vahti("dedupe")
    assert "new events: 0  updated: 0  merged away: 0" in again.stdout


def test_events_show_lists_the_listings_and_why(tmp_path: Path, run_vahti) -> None:  # type: ignore[no-untyped-def]
    seed(tmp_path)
    run_vahti("dedupe")
    event_id = listing_ids(tmp_path)["cv"][1]
    result = run_vahti("events", "show", str(event_id))
    assert result.returncode == 0, result.stderr
    assert "Tapahtumakalenteri" in result.stdout and "Työllisyyspalvelut" in result.stdout
    assert "title with" in result.stdout and "score" in result.stdout


def test_events_merge_and_split_from_the_command_line(tmp_path: Path, run_vahti) -> None:  # type: ignore[no-untyped-def]
    seed(tmp_path)
    run_vahti("dedupe")
    ids = listing_ids(tmp_path)
    clinic, talk = ids["cv"][1], ids["talk"][1]
    merged = run_vahti("events", "merge", str(clinic), str(talk))
    assert merged.returncode == 0, merged.stderr
    assert f"event {talk} merged into event {clinic} (3 listings)" in merged.stdout
    assert listing_ids(tmp_path)["talk"][1] == clinic
    shown = run_vahti("events", "show", str(clinic))
    assert "same event" in shown.stdout and f"merge {clinic} {talk}" in shown.stdout
    talk_listing = ids["talk"][0]
    split = run_vahti("events", "split", str(clinic), str(talk_listing))
    assert split.returncode == 0, split.stderr
    assert f"listing {talk_listing} split from event {clinic}" in split.stdout
    assert listing_ids(tmp_path)["talk"][1] != clinic
    assert run_vahti("dedupe").returncode == 0
    assert listing_ids(tmp_path)["talk"][1] != clinic


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("events", "merge", "1", "999"), "no event with id 999"),
        (("events", "split", "1", "999"), "listing 999 is not in event 1"),
        (("events", "show", "999"), "no event with id 999"),
    ],
)
def test_bad_ids_exit_2_with_a_reason(
    tmp_path: Path, run_vahti, args: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    seed(tmp_path)
    run_vahti("dedupe")
    result = run_vahti(*args)
    assert result.returncode == 2
    assert message in result.stderr
