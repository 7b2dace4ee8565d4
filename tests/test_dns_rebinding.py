"""DNS rebinding: a name that answers a public address first and 127.0.0.1 next.

The guard used to resolve a name itself and let Scrapy resolve it again to connect, so the
second answer was never checked before connecting: the request reached a loopback service
(its response was only discarded afterwards). Now the crawler's resolver
(scrapers.resolver.GuardedResolver) checks the answer it connects to.

Every child here runs with tests/support/dns_stub/sitecustomize.py: it resolves names through
`ScriptedDNS` on 127.0.0.1 and connects nowhere but 127.0.0.1 (connections to PUBLIC go to
the same port on 127.0.0.1, a stand-in for a public site; any other address is refused and
logged), so no test traffic leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from sqlalchemy import select

from scrapers.handoff import ChildSettings
from scrapers.runner import child_environment
from services.crawl_queue import CrawlQueue
from services.source_trials import dry_run, probe
from services.sources import Trial
from store.models import CrawlRun, Listing, Source
from tests.conftest import Database
from tests.support.children import child_settings
from tests.support.http import SiteServer

STUB = Path(__file__).parent / "support" / "dns_stub" / "sitecustomize.py"
PUBLIC = "93.184.216.34"  # a public address; connections to it go to the public stand-in
LOOPBACK = "127.0.0.1"


class ScriptedDNS:
    """A DNS server on 127.0.0.1 (UDP) answering A queries from a script: for each name, the
    answers in turn, the last one repeated; unknown names get NXDOMAIN."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = script
        self.asked: dict[str, int] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).casefold()
            response = dns.message.make_response(query)
            answers = self.script.get(name)
            if answers is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A:
                count = self.asked.get(name, 0)
                self.asked[name] = count + 1
                address = answers[min(count, len(answers) - 1)]
                response.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def events_page(site: str) -> bytes:
    start = datetime.now(UTC) + timedelta(days=10)
    event = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": f"https://{site}.example.fi/tapahtumat/1",
        "name": f"{site} seminaari",
        "startDate": start.isoformat(),
        "url": f"https://{site}.example.fi/tapahtumat/1",
    }
    script = f'<script type="application/ld+json">{json.dumps([event])}</script>'
    return f"<html><head>{script}</head></html>".encode()


@dataclass
class Network:
    """The internal service (loopback), the public stand-in and the DNS server."""

    internal: SiteServer
    public: SiteServer
    dns: ScriptedDNS
    blocked: Path
    names: dict[str, str] = field(default_factory=dict)

    def url(self, name: str, server: SiteServer) -> str:
        port = server.base_url.rsplit(":", 1)[1]
        return f"http://{name}:{port}/events/"

    def blocked_connections(self) -> list[str]:
        return self.blocked.read_text().split() if self.blocked.exists() else []


# Name -> the answers it gives, one per lookup.
SCRIPT = {
    # Public first (the guard's own check), loopback for every lookup after it.
    "crawl.rebind.test": [PUBLIC, LOOPBACK],
    "dryrun.rebind.test": [PUBLIC, LOOPBACK],
    "probe.rebind.test": [PUBLIC, LOOPBACK],
    "allowed.private.test": [LOOPBACK],
    "trusted.rebind.test": [LOOPBACK],
    "events.public.test": [PUBLIC],
}


@pytest.fixture
def network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    internal, public = SiteServer(), SiteServer()
    for server, site in ((internal, "sisainen"), (public, "julkinen")):
        server.start()
        server.add("/events/", events_page(site))
        server.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    resolver = ScriptedDNS(SCRIPT)
    stub = tmp_path / "stub"
    stub.mkdir()
    shutil.copy(STUB, stub / "sitecustomize.py")
    blocked = tmp_path / "blocked.txt"
    public_port = int(public.base_url.rsplit(":", 1)[1])
    config = {"dns_port": resolver.port, "nat": [[PUBLIC, public_port]], "blocked": str(blocked)}
    (stub / "dns_stub.json").write_text(json.dumps(config))
    # The children keep PYTHONPATH (scrapers.runner.child_environment) and import the stub.
    monkeypatch.setenv("PYTHONPATH", str(stub))
    try:
        yield Network(internal, public, resolver, blocked)
    finally:
        internal.stop()
        public.stop()
        resolver.close()


def settings(db: Database | None, **crawl: object) -> ChildSettings:
    chosen = {"allow_private_networks": False, "obey_robots": True, **crawl}
    return child_settings(db.url if db is not None else None, **chosen)


def crawl(db: Database, url: str, child: ChildSettings) -> CrawlRun:
    with db.sessions.begin() as session:
        source = Source(name=url, url=url, kind="jsonld", interval_hours=1.0)
        session.add(source)
        session.flush()
        source_id = source.id
    queue = CrawlQueue(db.sessions, max_parallel=1, time_limit=60, child_settings=child)
    asyncio.run(queue.run([source_id]))
    with db.sessions() as session:
        return session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)).one()


def listings(db: Database, run: CrawlRun) -> list[str]:
    with db.sessions() as session:
        rows = session.scalars(select(Listing).where(Listing.source_id == run.source_id))
        return [row.title for row in rows]


# --- the attack --------------------------------------------------------------------------------


def test_a_crawl_never_connects_to_the_rebound_address(
    network: Network, sqlite_db: Database
) -> None:
    run = crawl(sqlite_db, network.url("crawl.rebind.test", network.internal), settings(sqlite_db))
    assert network.dns.asked["crawl.rebind.test"] >= 2, "the name was looked up twice"
    assert network.internal.requests == [], "the loopback service was reached"
    assert run.status == "failed" and run.records == 0
    assert run.http_statuses is not None and "refused" in run.http_statuses
    assert run.first_error is not None
    assert "on connecting, crawl.rebind.test (127.0.0.1) is a loopback address" in run.first_error
    assert "crawl.allow_private_networks" in run.first_error
    assert network.blocked_connections() == []


def test_a_dry_run_never_connects_to_the_rebound_address(network: Network) -> None:
    trial = Trial(network.url("dryrun.rebind.test", network.internal), "jsonld")
    result = asyncio.run(dry_run(trial, None, child_settings=settings(None), timeout=60))
    assert network.internal.requests == [], "the loopback service was reached"
    assert result.records == []
    messages = " ".join([result.start_failed or "", *result.error_messages])
    assert "on connecting, dryrun.rebind.test (127.0.0.1) is a loopback address" in messages


def test_a_probe_never_connects_to_the_rebound_address(network: Network) -> None:
    url = network.url("probe.rebind.test", network.internal)
    found = asyncio.run(probe(url, {}, None, child_settings=settings(None), timeout=60))
    assert network.internal.requests == [], "the loopback service was reached"
    assert found["kind"] is None
    assert "on connecting, probe.rebind.test (127.0.0.1) is a loopback address" in found["reason"]


# --- what still fetches ------------------------------------------------------------------------


def test_a_public_name_is_still_crawled(network: Network, sqlite_db: Database) -> None:
    run = crawl(sqlite_db, network.url("events.public.test", network.public), settings(sqlite_db))
    assert run.status == "ok" and run.records == 1, run.first_error
    assert listings(sqlite_db, run) == ["julkinen seminaari"]
    assert network.public.hits("/events/") == 1
    assert network.internal.requests == []


def test_allow_private_networks_lets_a_loopback_name_through(
    network: Network, sqlite_db: Database
) -> None:
    child = settings(sqlite_db, allow_private_networks=True)
    run = crawl(sqlite_db, network.url("allowed.private.test", network.internal), child)
    assert run.status == "ok" and run.records == 1, run.first_error
    assert listings(sqlite_db, run) == ["sisainen seminaari"]
    assert network.internal.hits("/events/") == 1


def test_a_trusted_host_may_answer_loopback(network: Network, sqlite_db: Database) -> None:
    child = settings(sqlite_db, trusted_hosts=["Trusted.Rebind.Test"])
    run = crawl(sqlite_db, network.url("trusted.rebind.test", network.internal), child)
    assert run.status == "ok" and run.records == 1, run.first_error
    assert network.internal.hits("/events/") == 1


# --- a process without the guarded resolver fetches no names -----------------------------------

FETCH_ONE = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from config import CrawlSettings
from scrapers.scrapy_settings import RESOLVER_SETTING, scrapy_settings

settings = scrapy_settings(CrawlSettings(obey_robots=False, retries=0))
if sys.argv[2] == "without":
    del settings[RESOLVER_SETTING]
seen = []

class One(scrapy.Spider):
    name = "one"

    async def start(self):
        yield scrapy.Request(sys.argv[1], errback=lambda failure: seen.append(str(failure.value)))

    def parse(self, response):
        seen.append(f"fetched {response.status}")

process = CrawlerProcess(settings)
process.crawl(One)
process.start()
print(json.dumps(seen))
"""


@pytest.mark.parametrize("resolver", ["with", "without"])
def test_names_are_fetched_only_through_the_guarded_resolver(
    network: Network, resolver: str
) -> None:
    url = network.url("events.public.test", network.public)
    done = subprocess.run(
        [sys.executable, "-c", FETCH_ONE, url, resolver],
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    if resolver == "with":
        assert seen == ["fetched 200"]
        assert network.public.hits("/events/") == 1
    else:
        assert len(seen) == 1 and "scrapers.resolver.GuardedResolver" in seen[0]
        assert network.public.requests == []
