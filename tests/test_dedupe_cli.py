"""`vahti dedupe`, `vahti events show/merge/split` as real processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.listings import upsert_listings
from store.models import Listing, Source
from store.record import EventRecord
from tests.conftest import Database

Run = Callable[..., subprocess.CompletedProcess[str]]

START = datetime.now(UTC).astimezone(timezone(timedelta(hours=2))).replace(
    hour=17, minute=0, second=0, microsecond=0
) + timedelta(days=10)


def seed(sessions: sessionmaker[Session]) -> None:
    """An organiser and an aggregator listing one clinic; the organiser also lists a talk."""
    now = datetime.now(UTC)
    base = {"start_at": START, "venue": "Keskustakirjasto Oodi", "city": "Helsinki"}
    with sessions.begin() as session:
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


def listing_ids(sessions: sessionmaker[Session]) -> dict[str, tuple[int, int | None]]:
    with sessions() as session:
        return {r.external_id: (r.id, r.event_id) for r in session.scalars(select(Listing))}


@pytest.fixture
def vahti(db: Database, run_vahti: Run) -> tuple[Run, sessionmaker[Session]]:
    """`vahti` on the test database (both backends), seeded; and its sessions."""
    seed(db.sessions)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_vahti(*args, env={"VAHTI_DATABASE__URL": db.url})

    return run, db.sessions


def test_dedupe_prints_listings_events_duplicates_and_time(
    vahti: tuple[Run, sessionmaker[Session]],
) -> None:
    run, _sessions = vahti
    result = run("dedupe")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"listings: 3\s+events: 2\s+duplicates joined: 1\s+new events: 2", result.stdout
    )
    assert re.search(r"time: \d+\.\d\d s", result.stdout)
    again = run("dedupe")
    assert "new events: 0  updated: 0  merged away: 0" in again.stdout


def test_events_show_lists_the_listings_and_why(vahti: tuple[Run, sessionmaker[Session]]) -> None:
    run, sessions = vahti
    run("dedupe")
    event_id = listing_ids(sessions)["cv"][1]
    result = run("events", "show", str(event_id))
    assert result.returncode == 0, result.stderr
    assert "Tapahtumakalenteri" in result.stdout and "Työllisyyspalvelut" in result.stdout
    assert "title with" in result.stdout and "score" in result.stdout


def test_events_merge_and_split_from_the_command_line(
    vahti: tuple[Run, sessionmaker[Session]],
) -> None:
    run, sessions = vahti
    run("dedupe")
    ids = listing_ids(sessions)
    clinic, talk = ids["cv"][1], ids["talk"][1]
    merged = run("events", "merge", str(clinic), str(talk))
    assert merged.returncode == 0, merged.stderr
    assert f"event {talk} merged into event {clinic} (3 listings)" in merged.stdout
    assert listing_ids(sessions)["talk"][1] == clinic
    shown = run("events", "show", str(clinic))
    assert "same event" in shown.stdout and f"merge {clinic} {talk}" in shown.stdout
    talk_listing = ids["talk"][0]
    split = run("events", "split", str(clinic), str(talk_listing))
    assert split.returncode == 0, split.stderr
    assert f"listing {talk_listing} split from event {clinic}" in split.stdout
    assert listing_ids(sessions)["talk"][1] != clinic
    assert run("dedupe").returncode == 0
    assert listing_ids(sessions)["talk"][1] != clinic


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("events", "merge", "1", "999"), "no event with id 999"),
        (("events", "split", "1", "999"), "listing 999 is not in event 1"),
        (("events", "show", "999"), "no event with id 999"),
    ],
)
def test_bad_ids_exit_2_with_a_reason(
    vahti: tuple[Run, sessionmaker[Session]], args: tuple[str, ...], message: str
) -> None:
    run, _sessions = vahti
    run("dedupe")
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
