"""Composing in processes of their own beside the sender (digest.batches): the same digests,
each sent once, and nothing lost when a run stops or a compose process fails."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from digest.batches import shareable_url
from digest.claim import make_worker_id
from digest.model import PENDING, SENT
from digest.plan import every_subscriber
from digest.send import SendSummary, send_due
from digest.smtp import SmtpSender
from scrapers.runner import child_environment
from store.db import make_engine, session_factory
from store.models import Delivery, DeliveryItem, Subscriber
from tests.conftest import Database
from tests.support.digest import config, seed
from tests.support.smtp import SmtpServer

STARTED = "composing digests in 1 process(es) beside the sender"


def smtp(server: SmtpServer) -> SmtpSender:
    return SmtpSender(host=server.host, port=server.port, timeout=5, connections=2)


def statuses(db: Database) -> dict[str, Delivery]:
    with db.sessions() as session:
        rows = session.execute(select(Subscriber.email, Delivery).join(Delivery.subscriber))
        return {email: delivery for email, delivery in rows}


async def send(db: Database, server: SmtpServer, now: datetime, **cfg: object) -> SendSummary:
    sender = smtp(server)
    try:
        return await send_due(
            db.sessions,
            sender,
            config(compose_processes=1, batch_size=5, **cfg),
            now,
            make_worker_id(),
            due=every_subscriber,
        )
    finally:
        await sender.close()


async def test_digests_composed_in_a_process_go_out_once_each_and_are_recorded(
    db: Database, smtp_server: SmtpServer, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    emails = seed(db.sessions, now, 23)
    with caplog.at_level(logging.INFO, logger="digest.send"):
        summary = await send(db, smtp_server, now)
    assert STARTED in caplog.text  # more than one batch: the process did the composing
    assert summary.sent == 23 and summary.ok
    received = smtp_server.by_recipient()
    assert {email: len(got) for email, got in received.items()} == dict.fromkeys(emails, 1)
    recorded = statuses(db)
    for email, (message,) in received.items():
        assert message["Message-ID"] == recorded[email].message_id
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert "Työnhakuklinikka 3" in next(message.iter_parts()).get_content()
        assert recorded[email].status == SENT and recorded[email].item_count == 3
    with db.sessions() as session:
        assert session.query(DeliveryItem).count() == 23 * 3


async def test_a_small_run_composes_in_the_sending_process(
    db: Database, smtp_server: SmtpServer, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    seed(db.sessions, now, 4)  # less than one batch of 5
    with caplog.at_level(logging.INFO, logger="digest.send"):
        summary = await send(db, smtp_server, now)
    assert summary.sent == 4
    assert STARTED not in caplog.text


async def test_a_failing_compose_process_fails_the_run_and_loses_nothing(
    db: Database, smtp_server: SmtpServer, now: datetime
) -> None:
    emails = seed(db.sessions, now, 12)
    # Only the compose process reads the events: without the table it fails on its first batch.
    with db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE events RENAME TO events_away"))
    with pytest.raises(Exception, match="events"):
        await send(db, smtp_server, now)
    assert smtp_server.messages == []
    assert {row.status for row in statuses(db).values()} == {PENDING}  # handed back at once
    with db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE events_away RENAME TO events"))
    again = await send(db, smtp_server, now)
    assert again.sent == 12
    received = smtp_server.by_recipient()
    assert {email: len(got) for email, got in received.items()} == dict.fromkeys(emails, 1)


def test_only_a_database_another_process_can_open_is_shared(tmp_path: Path) -> None:
    memory = session_factory(make_engine("sqlite://"))
    assert shareable_url(memory) is None
    assert shareable_url(session_factory(make_engine("sqlite:///:memory:"))) is None
    path = f"sqlite:///{tmp_path}/vahti.db"
    assert shareable_url(session_factory(make_engine(path))) == path
    postgres = "postgresql+psycopg://vahti:secret@db.example:5432/vahti"
    assert shareable_url(session_factory(make_engine(postgres))) == postgres


ORPHAN_SCRIPT = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from digest.batches import ComposeProcesses, _compose_batch
from store.db import make_engine
from store.migrate import ensure_schema
from tests.support.digest import config

url = sys.argv[1]
ensure_schema(make_engine(url))
now = datetime.now(UTC)
processes = ComposeProcesses(url, config(), now, 1)
assert processes.executor.submit(_compose_batch, [], now).result() == []
children = set()
for task in Path("/proc/self/task").iterdir():
    children |= {int(p) for p in (task / "children").read_text().split()}
print(" ".join(map(str, sorted(children))), flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_compose_process_ends_when_the_sending_process_is_killed(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, f"sqlite:///{tmp_path / 'vahti.db'}"],
        cwd=Path(__file__).resolve().parent.parent,
        env=child_environment(),
        stdout=subprocess.PIPE,
        text=True,
    ) as script:
        try:
            assert script.stdout is not None
            children = [int(pid) for pid in script.stdout.readline().split()]
            assert children and all(alive(pid) for pid in children)
        finally:
            script.kill()
            script.wait(10)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in children)
