"""`vahti digest ...` and `vahti subscribers import` as real processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from digest.model import SENT
from store import vocab
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import Delivery, Subscriber
from tests.support.digest import add_event
from tests.support.smtp import SmtpServer


def database(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'vahti.db'}")
    upgrade(engine)
    return engine


def add_events(tmp_path: Path, count: int = 4) -> None:
    engine = database(tmp_path)
    now = datetime.now(UTC)
    with session_factory(engine).begin() as session:
        for index in range(count):
            add_event(session, now, title=f"Rekrytointipäivä {index}", days=1 + index)
    engine.dispose()


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["email,language,cities,online,day,hour", *rows]) + "\n")
    return path


def smtp_env(server: SmtpServer, **extra: str) -> dict[str, str]:
    return {
        "VAHTI_MAIL__BACKEND": "smtp",
        "VAHTI_MAIL__HOST": server.host,
        "VAHTI_MAIL__PORT": str(server.port),
        "VAHTI_MAIL__CONNECTIONS": "2",
        "VAHTI_MAIL__RETRY_BACKOFF_SECONDS": "0.1",
        **extra,
    }


def test_import_adds_updates_and_reports_bad_rows(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv_file = write_csv(
        tmp_path / "list.csv",
        [
            "anna@example.fi,fi,Helsinki;Espoo,yes,mon,8",
            "bo@example.fi,sv,,no,friday,17:00",
            "not-an-address,en,,,,",
            "cecilia@example.fi,de,,,mon,25",
            "anna@example.fi,en,,,,",
        ],
    )
    result = run_vahti("subscribers", "import", str(csv_file))
    assert result.returncode == 1, result.stderr
    assert "2 added, 0 updated" in result.stdout
    assert "list.csv:4: 'not-an-address' is not an e-mail address" in result.stderr
    assert "list.csv:5: language 'de' is not one of fi, sv, en; hour '25'" in result.stderr
    assert "list.csv:6: anna@example.fi is already on line 2" in result.stderr
    engine = database(tmp_path)
    with session_factory(engine)() as session:
        people = {s.email: s for s in session.scalars(select(Subscriber))}
    engine.dispose()
    assert set(people) == {"anna@example.fi", "bo@example.fi"}
    anna, bo = people["anna@example.fi"], people["bo@example.fi"]
    assert anna.status == vocab.SUBSCRIBER_ACTIVE and anna.confirmed_at is not None
    assert anna.cities == ["Helsinki", "Espoo"] and anna.include_online
    assert (bo.language, bo.send_day, bo.send_hour, bo.include_online) == ("sv", "fri", 17, False)


def test_importing_again_updates_and_never_resubscribes(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = write_csv(tmp_path / "a.csv", ["anna@example.fi,fi,Helsinki,yes,mon,8"])
    assert run_vahti("subscribers", "import", str(first)).returncode == 0
    engine = database(tmp_path)
    with session_factory(engine).begin() as session:
        session.scalars(select(Subscriber)).one().status = vocab.SUBSCRIBER_UNSUBSCRIBED
    second = write_csv(tmp_path / "b.csv", ["anna@example.fi,en,Turku,yes,tue,9"])
    result = run_vahti("subscribers", "import", str(second))
    assert result.returncode == 0 and "0 added, 1 updated" in result.stdout
    assert "1 had unsubscribed or bounced and stay so" in result.stdout
    with session_factory(engine)() as session:
        anna = session.scalars(select(Subscriber)).one()
    engine.dispose()
    assert (anna.language, anna.cities, anna.status) == ("en", ["Turku"], "unsubscribed")


def test_import_refuses_an_unknown_column(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("email,colour\nanna@example.fi,blue\n")
    result = run_vahti("subscribers", "import", str(bad))
    assert result.returncode == 2
    assert "unknown column(s) 'colour'" in result.stderr


def test_preview_prints_html_or_text(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_events(tmp_path)
    run_vahti("subscribers", "add", "anna@example.fi", "--language", "en", "--confirmed")
    html = run_vahti("digest", "preview", "anna@example.fi")
    text = run_vahti("digest", "preview", "anna@example.fi", "--text")
    assert html.returncode == 0 and html.stdout.startswith("<!DOCTYPE html>")
    assert "Rekrytointipäivä 0" in html.stdout and 'style="' in html.stdout
    assert text.returncode == 0 and "Rekrytointipäivä 3" in text.stdout and "<" not in text.stdout
    missing = run_vahti("digest", "preview", "nobody@example.fi")
    assert missing.returncode == 2 and "no subscriber nobody@example.fi" in missing.stderr


def test_dry_run_renders_but_sends_and_records_nothing(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_events(tmp_path)
    run_vahti("subscribers", "add", "anna@example.fi", "--confirmed")
    result = run_vahti("digest", "send", "--now", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "1 would be sent" in result.stdout and "anna@example.fi" in result.stdout
    assert not (tmp_path / "outbox").exists()
    engine = database(tmp_path)
    with session_factory(engine)() as session:
        assert session.scalars(select(Delivery)).all() == []
    engine.dispose()


def test_send_now_writes_the_outbox_once_per_period(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_events(tmp_path)
    for email in ("anna@example.fi", "bo@example.fi"):
        run_vahti("subscribers", "add", email, "--confirmed")
    first = run_vahti("digest", "send", "--now")
    assert first.returncode == 0, first.stderr
    assert "sent" in first.stdout
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    second = run_vahti("digest", "send", "--now")
    assert second.returncode == 0
    assert sorted((tmp_path / "outbox").glob("*.eml")) == files


def test_send_without_now_sends_only_the_subscribers_whose_slot_has_come(
    run_vahti,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    zone = ZoneInfo("Europe/Helsinki")
    local = datetime.now(zone)
    later = local + timedelta(hours=2)
    if later.isocalendar()[:2] != local.isocalendar()[:2]:
        pytest.skip("the end of the ISO week: no later slot this week")
    day = vocab.WEEKDAYS[local.weekday()]
    add_events(tmp_path)
    run_vahti("subscribers", "add", "due@example.fi", "--confirmed", "--day", day,
              "--hour", str(local.hour))  # fmt: skip
    run_vahti("subscribers", "add", "later@example.fi", "--confirmed",
              "--day", vocab.WEEKDAYS[later.weekday()], "--hour", str(later.hour))  # fmt: skip
    result = run_vahti("digest", "send")
    assert result.returncode == 0, result.stderr
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    assert "To: due@example.fi" in eml.read_text()


def test_a_send_killed_mid_batch_and_run_again_sends_each_digest_once(
    tmp_path: Path,
    vahti_env: dict[str, str],
    run_vahti,  # type: ignore[no-untyped-def]
    smtp_server: SmtpServer,
) -> None:
    add_events(tmp_path)
    emails = [f"reader{i:02d}@example.fi" for i in range(40)]
    csv_file = write_csv(tmp_path / "list.csv", [f"{e},fi,,yes,mon,8" for e in emails])
    assert run_vahti("subscribers", "import", str(csv_file)).returncode == 0

    log = tmp_path / "killed.log"
    with log.open("wb") as errors:
        slow = subprocess.Popen(
            [sys.executable, "-m", "vahti", "digest", "send", "--now"],
            cwd=tmp_path,
            env={**vahti_env, **smtp_env(smtp_server, VAHTI_MAIL__RATE_LIMIT="15")},
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 90
            while len(smtp_server.messages) < 12:
                assert slow.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the send never got going"
                time.sleep(0.02)
            os.kill(slow.pid, signal.SIGKILL)
        finally:
            slow.kill()
            slow.wait(10)
    assert slow.returncode == -signal.SIGKILL
    before = len(smtp_server.messages)
    assert before < len(emails), "killed too late to test anything"

    again = run_vahti("digest", "send", "--now", env=smtp_env(smtp_server))
    assert again.returncode == 0, again.stdout + again.stderr
    resumed = re.search(r"resumed after a crash\W+(\d+)", again.stdout)
    assert resumed and int(resumed.group(1)) >= len(emails) - before

    ids_by_recipient: dict[str, list[str]] = defaultdict(list)
    for email, messages in smtp_server.by_recipient().items():
        ids_by_recipient[email] = [str(m["Message-ID"]) for m in messages]
    assert sorted(ids_by_recipient) == sorted(emails)  # nobody skipped
    assert all(len(set(ids)) == 1 for ids in ids_by_recipient.values())  # one digest each
    twice = [email for email, ids in ids_by_recipient.items() if len(ids) > 1]
    assert len(twice) <= 2, twice  # at most the in-flight ones (two connections)
    assert all(len(ids) <= 2 for ids in ids_by_recipient.values())
    engine = database(tmp_path)
    with session_factory(engine)() as session:
        rows = session.scalars(select(Delivery)).all()
    engine.dispose()
    assert len(rows) == 40 and {r.status for r in rows} == {SENT}
    assert {r.message_id for r in rows} == {ids[0] for ids in ids_by_recipient.values()}


def test_add_takes_audiences_and_max_items(run_vahti) -> None:  # type: ignore[no-untyped-def]
    added = run_vahti(
        "subscribers", "add", "anna@example.fi", "--audience", "immigrants", "--max-items", "5"
    )
    assert added.returncode == 0, added.stderr
    listed = json.loads(run_vahti("subscribers", "list", "--json").stdout)
    assert (listed[0]["audiences"], listed[0]["max_items"]) == (["immigrants"], 5)
    bad = run_vahti("subscribers", "add", "bo@example.fi", "--audience", "aliens")
    assert bad.returncode == 2 and "--audience 'aliens'" in bad.stderr
