"""The whole system losing nodes (issue 16, item 4), on PostgreSQL.

Two `vahti run` (a leader and a standby), two `vahti worker`, two Scrapyd nodes on 127.0.0.1
(`crawl.backend = "scrapyd"`, the project deployed by `vahti nodes deploy`), 100 sources served
by a site server on 127.0.0.1 and 5,000 subscribers whose digest is due now, sent into an
aiosmtpd sink. At random moments (drawn from the seed) the leader, one worker and one Scrapyd
node (with its running jobs) are killed with SIGKILL, and every database connection of the
system is terminated once (pg_terminate_backend). In the end:

- every source was crawled successfully exactly once (runs the faults cut short are closed as
  cancelled or failed, never left "running");
- every subscriber got exactly one digest for the period, the Message-ID its Delivery row
  holds; a second copy only of a message in flight at a kill, with the same Message-ID;
- no crawl run is left `running`, no delivery `sending`.

Each seed prints what was killed when, and how long the run took.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import CrawlRun, Delivery, Source, Subscriber
from tests.conftest import POSTGRES_ENV, POSTGRES_URL, fresh_database_url
from tests.support.daemon import FAST, VahtiProcess, free_port
from tests.support.digest import add_event
from tests.support.http import SiteServer
from tests.support.scrapyd import (
    ScrapydNode,
    restart_node,
    start_nodes,
    stop_nodes,
    use_database,
)
from tests.support.smtp import SmtpServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        POSTGRES_URL is None, reason=f"the whole-system test needs {POSTGRES_ENV} (set by .ci/run)"
    ),
]

SOURCES = 100
SUBSCRIBERS = 5_000
SEEDS = [1, 2, 3, 4, 5]
# Faults fall in this window (seconds after a daemon first took the lease): crawls and digests
# are running.
FAULT_WINDOW = (0.5, 15.0)
DONE_WITHIN = 600.0
# A killed process is started again this long after (systemd's RestartSec in deploy/).
RESTART_AFTER = 3.0
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)
RECIPIENT = re.compile(rb"^To:\s*([^\r\n]+)", re.MULTILINE | re.IGNORECASE)


def event_page(number: int) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3 + number % 20)
    events = [
        {
            "@context": "https://schema.org",
            "@type": "Event",
            "@id": f"https://site{number}.example.fi/tapahtumat/{n}",
            "name": f"Järjestäjä {number}: työnhakupaja {n}",
            "startDate": (start + timedelta(hours=n)).isoformat(),
            "location": {"@type": "Place", "name": "Kirjasto", "address": "Helsinki"},
        }
        for n in (1, 2)
    ]
    script = json.dumps(events, ensure_ascii=False)
    return f'<html><head><script type="application/ld+json">{script}</script></head></html>'


@dataclass
class Fault:
    at: float  # seconds after a daemon first took the lease
    what: str
    done: str = ""  # what it hit, once done

    def line(self) -> str:
        return f"{self.at:5.1f} s  {self.what}: {self.done or 'not done'}"


@dataclass
class System:
    url: str  # the processes' database URL (tagged with their application_name)
    tag: str
    engine: Engine
    folder: Path
    env: dict[str, str]
    nodes: list[ScrapydNode] = field(default_factory=list)
    daemons: list[VahtiProcess] = field(default_factory=list)
    workers: list[VahtiProcess] = field(default_factory=list)
    started: float = 0.0
    led: float | None = None
    # (when, what): killed processes to start again, as their supervisor would.
    restarts: list[tuple[float, Callable[[], None]]] = field(default_factory=list)

    def restart_later(self, again: Callable[[], None]) -> None:
        self.restarts.append((time.monotonic() + RESTART_AFTER, again))

    def restart_due(self) -> None:
        due = [item for item in self.restarts if item[0] <= time.monotonic()]
        for item in due:
            self.restarts.remove(item)
            item[1]()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def since_lead(self) -> float | None:
        """Seconds since a daemon first held the lease (None: none yet)."""
        if self.led is None and self.leader() is not None:
            self.led = time.monotonic()
        return None if self.led is None else time.monotonic() - self.led

    def scalar(self, query: object) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)  # type: ignore[call-overload]

    def leader(self) -> VahtiProcess | None:
        """The daemon that holds the lease now (its holder is host/pid/nonce)."""
        with self.engine.connect() as connection:
            holder = connection.execute(
                text("SELECT holder FROM scheduler_leases WHERE expires_at > now()")
            ).scalar()
        if holder is None:
            return None
        pid = int(str(holder).split("/")[1])
        return next((d for d in self.daemons if d.pid == pid and d.process.poll() is None), None)

    def terminate_connections(self) -> int:
        """pg_terminate_backend for every connection of the system's processes."""
        with self.engine.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE application_name = :tag"
                ),
                {"tag": self.tag},
            ).scalar()
        return int(killed or 0)


def tagged(url: str, tag: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}application_name={tag}"


def seed_database(url: str, site: SiteServer) -> None:
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for number in range(SOURCES):
            page = site.add(f"/site{number}/", event_page(number))
            session.add(Source(name=f"Järjestäjä {number}", url=page, kind="jsonld",
                               interval_hours=24.0, timezone="Europe/Helsinki"))  # fmt: skip
        # An event every digest can carry while the crawled ones are still being grouped.
        add_event(session, now, title="Rekrytointimessut Messukeskuksessa", days=2)
        confirmed = now - timedelta(days=8)
        session.execute(
            insert(Subscriber),
            [
                {
                    "email": f"reader{n:05d}@example.fi",
                    "status": "active",
                    "language": ("fi", "sv", "en")[n % 3],
                    "timezone": "UTC",
                    "send_day": "mon",
                    "send_hour": 0,  # Monday 00:00 UTC has come in every week: due now
                    "confirmed_at": confirmed,
                    "created_at": confirmed,
                    "updated_at": confirmed,
                }
                for n in range(SUBSCRIBERS)
            ],
        )
    engine.dispose()


@pytest.fixture
def system(
    tmp_path: Path, vahti_env: dict[str, str], site_server: SiteServer, smtp_server: SmtpServer
) -> Iterator[System]:
    with fresh_database_url("postgresql", tmp_path) as base_url:
        tag = f"vahti_fault_{uuid.uuid4().hex[:10]}"
        url = tagged(base_url, tag)
        seed_database(base_url, site_server)
        env = {
            **vahti_env,
            **FAST,
            "VAHTI_DATABASE__URL": url,
            "VAHTI_MAIL__BACKEND": "smtp",
            "VAHTI_MAIL__HOST": smtp_server.host,
            "VAHTI_MAIL__PORT": str(smtp_server.port),
            "VAHTI_MAIL__CONNECTIONS": "2",
            "VAHTI_MAIL__RETRY_BACKOFF_SECONDS": "0.5",
            "VAHTI_MAIL__MESSAGE_ID_DOMAIN": "vahti.example",
            "VAHTI_CRAWL__MAX_PARALLEL": "6",
            "VAHTI_CRAWL__TIME_LIMIT_SECONDS": "300",  # a busy machine is no fault
            "VAHTI_SCHEDULER__CRAWL_REQUEST_SECONDS": "0.5",
            # A standby takes over within 8 + 2 s of a leader's death; a leader whose loop is
            # slow for a moment on a busy machine keeps its lease.
            "VAHTI_SCHEDULER__LEASE_TTL_SECONDS": "8",
            "VAHTI_SCHEDULER__LEASE_RENEW_SECONDS": "2",
            "VAHTI_SCHEDULER__SOURCE_SYNC_SECONDS": "2",
            "VAHTI_SCHEDULER__STOP_TIMEOUT_SECONDS": "5",
        }
        nodes = start_nodes(2, tmp_path / "scrapyd")  # skips when Scrapyd cannot start
        engine = make_engine(base_url)
        found = System(url, tag, engine, tmp_path, env, nodes)
        try:
            use_database(nodes, url)
            env.update(
                {
                    "VAHTI_CRAWL__BACKEND": "scrapyd",
                    "VAHTI_CRAWL__SCRAPYD_URLS": json.dumps([node.url for node in nodes]),
                    "VAHTI_CRAWL__SCRAPYD_POLL_SECONDS": "0.5",
                    "VAHTI_CRAWL__SCRAPYD_LOST_SECONDS": "3",
                }
            )
            deployed = subprocess.run(
                [sys.executable, "-m", "vahti", "nodes", "deploy"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert deployed.returncode == 0, deployed.stderr
            yield found
        finally:
            for process in found.daemons + found.workers:
                process.close()
            stop_nodes(nodes)
            engine.dispose()


def start(system: System) -> None:
    system.started = time.monotonic()
    for name in ("daemon-a", "daemon-b"):
        system.daemons.append(
            VahtiProcess(name, ["run", "--port", str(free_port())], system.folder, system.env)
        )
    for name in ("worker-1", "worker-2"):
        system.workers.append(VahtiProcess(name, ["worker"], system.folder, system.env))


def kill(system: System, process: VahtiProcess, group: list[VahtiProcess]) -> str:
    """SIGKILL a daemon or worker; its supervisor starts it again RESTART_AFTER later."""
    process.send_signal(signal.SIGKILL)
    process.process.wait(10)

    def again() -> None:
        args = [str(arg) for arg in process.process.args][3:]  # after python -m vahti
        group.append(VahtiProcess(f"{process.name}-again", args, system.folder,
                                  system.env))  # fmt: skip

    system.restart_later(again)
    return f"{process.name} (pid {process.pid})"


def plan_faults(rng: random.Random) -> list[Fault]:
    faults = [
        Fault(rng.uniform(*FAULT_WINDOW), "SIGKILL the leader"),
        Fault(rng.uniform(*FAULT_WINDOW), "SIGKILL a worker"),
        Fault(rng.uniform(*FAULT_WINDOW), "SIGKILL a Scrapyd node"),
        Fault(rng.uniform(*FAULT_WINDOW), "terminate every database connection"),
    ]
    return sorted(faults, key=lambda fault: fault.at)


def act(system: System, fault: Fault, rng: random.Random) -> None:
    if fault.what == "SIGKILL the leader":
        leader = system.leader()
        if leader is None:  # between two leaders: wait for the next one
            fault.at += 0.5
            return
        fault.done = kill(system, leader, system.daemons)
    elif fault.what == "SIGKILL a worker":
        worker = rng.choice([w for w in system.workers if w.process.poll() is None])
        fault.done = kill(system, worker, system.workers)
    elif fault.what == "SIGKILL a Scrapyd node":
        # The node with the most running jobs (one drawn from the seed when none has any).
        busy = [len(node.jobs().get("running", [])) for node in system.nodes]
        index = busy.index(max(busy)) if max(busy) else rng.randrange(len(system.nodes))
        node, running = system.nodes[index], busy[index]
        node.kill()

        def again() -> None:
            system.nodes[index] = restart_node(node)

        system.restart_later(again)
        fault.done = f"node on port {node.port} with {running} running jobs"
    else:
        fault.done = f"{system.terminate_connections()} connections"


def state(system: System) -> dict[str, int]:
    crawled = system.scalar(
        select(func.count(func.distinct(CrawlRun.source_id))).where(CrawlRun.status == "ok")
    )
    running = system.scalar(select(func.count()).where(CrawlRun.status == "running"))
    open_deliveries = system.scalar(
        select(func.count()).where(Delivery.status.in_(["pending", "sending"]))
    )
    deliveries = system.scalar(select(func.count()).select_from(Delivery))
    return {
        "sources crawled": crawled,
        "runs running": running,
        "deliveries": deliveries,
        "deliveries pending or sending": open_deliveries,
    }


def finished(system: System) -> bool:
    return state(system) == {
        "sources crawled": SOURCES,
        "runs running": 0,
        "deliveries": SUBSCRIBERS,
        "deliveries pending or sending": 0,
    }


def run_with_faults(system: System, faults: list[Fault], rng: random.Random) -> float:
    start(system)
    pending = list(faults)
    deadline = system.started + DONE_WITHIN
    while True:
        system.restart_due()
        since = system.since_lead()
        while pending and since is not None and since >= pending[0].at:
            fault = pending.pop(0)
            act(system, fault, rng)
            if not fault.done:
                pending = sorted([*pending, fault], key=lambda later: later.at)
                break
        if not pending and finished(system):
            return system.elapsed()
        for process in system.daemons + system.workers:
            if process.process.poll() is not None and process.process.returncode != -9:
                raise AssertionError(f"{process.name} exited by itself:\n{process.log()[-4000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in system.daemons)
            raise AssertionError(f"not done within {DONE_WITHIN:g} s: {state(system)}\n{logs}")
        time.sleep(0.25)


def stop_all(system: System) -> None:
    for process in system.daemons + system.workers:
        if process.process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in system.daemons + system.workers:
        if process.process.poll() is None:
            assert process.wait(30) == 0, process.log()[-3000:]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_system_survives_losing_a_leader_a_worker_a_node_and_its_connections(
    seed: int, system: System, smtp_server: SmtpServer
) -> None:
    rng = random.Random(seed)
    faults = plan_faults(rng)
    took = run_with_faults(system, faults, rng)
    stop_all(system)

    sessions = session_factory(system.engine)
    with sessions() as session:
        ok_runs = Counter(
            session.scalars(select(CrawlRun.source_id).where(CrawlRun.status == "ok"))
        )
        statuses = Counter(session.scalars(select(CrawlRun.status)))
        message_ids = dict(
            session.execute(
                select(Subscriber.email, Delivery.message_id).join(
                    Delivery, Delivery.subscriber_id == Subscriber.id
                )
            ).all()
        )
        delivery_statuses = Counter(session.scalars(select(Delivery.status)))
    received: dict[str, list[str]] = {}
    for message in list(smtp_server.messages):
        found = MESSAGE_ID.search(message.data)
        assert found is not None
        for recipient in message.rcpt_tos:
            received.setdefault(recipient.lower(), []).append(found.group(1).decode())
    duplicates = {email: ids for email, ids in received.items() if len(ids) > 1}

    print(f"\nseed {seed}: done in {took:.1f} s")
    for fault in faults:
        print("  " + fault.line())
    print(f"  crawl runs: {dict(statuses)}; deliveries: {dict(delivery_statuses)}")
    print(f"  digests received: {sum(map(len, received.values()))}, duplicates: {len(duplicates)}")

    assert sorted(ok_runs) == sorted(set(ok_runs)) and len(ok_runs) == SOURCES
    assert set(ok_runs.values()) == {1}, "a source crawled successfully twice"
    assert statuses["running"] == 0
    assert set(delivery_statuses) == {"sent"}, delivery_statuses
    assert len(message_ids) == SUBSCRIBERS
    assert set(received) == set(message_ids), "a subscriber got no digest"
    for email, ids in received.items():
        assert set(ids) == {message_ids[email]}, f"{email}: another Message-ID {ids}"
    # A second copy only of what was in flight at a kill: a few per fault at most.
    assert len(duplicates) <= 20 * len(faults), duplicates
