"""Real crawls (child processes) of fixture sites on 127.0.0.1, healthy and broken.

Two rounds crawl the same sixteen sources: the first while every site works, the second after
most of them broke in one way each (500, 404, too slow, a redirect loop, robots.txt, too big,
malformed, suddenly empty, a redirect into a private network, a failing detail page). Each test
then reads one source's story: its stored listings are intact, the other sources were crawled
in the same round, and its health and CrawlRun say what happened.

The crawl runs with the private-network guard ON and 127.0.0.1 as a trusted host, so the
fixture server can be crawled while ``localhost`` and a redirect to 169.254.169.254 are refused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scrapers.runner import CrawlResult
from services.crawl_queue import CrawlQueue
from store import vocab
from store.models import CrawlRun, HttpValidator, Listing, Source
from tests.conftest import Database, _backends, migrated_database
from tests.support.children import child_settings
from tests.support.http import SiteServer

pytestmark = pytest.mark.slow

PAGES = Path(__file__).parent / "fixtures" / "sites" / "example_nextjs"
HELSINKI = ZoneInfo("Europe/Helsinki")
MAX_RESPONSE_MB = 0.05


# --- fixture sites -------------------------------------------------------------------------------


def day(offset: int) -> datetime:
    """17:00 in Helsinki, `offset` days from today (the crawls run at the real time)."""
    today = datetime.now(HELSINKI).date()
    return datetime.combine(today + timedelta(days=offset), datetime.min.time(), HELSINKI).replace(
        hour=17
    )


def event(site: str, number: int, start: datetime, title: str | None = None) -> dict[str, str]:
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": f"https://{site}.example.fi/tapahtumat/{number}",
        "name": title or f"{site} seminaari {number}",
        "startDate": start.isoformat(),
        "url": f"https://{site}.example.fi/tapahtumat/{number}",
    }


def jsonld_page(events: list[dict[str, str]]) -> bytes:
    script = json.dumps(events, ensure_ascii=False)
    page = f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    return page.encode()


def five(site: str) -> list[dict[str, str]]:
    return [event(site, n, day(10 + n)) for n in range(1, 6)]


INLINE_SITES = (
    "steady",
    "changing",
    "error500",
    "notfound",
    "slow",
    "loop",
    "robots",
    "oversized",
    "malformed",
    "emptied",
    "moved",
    "flaky",
)
POSTGRES_SOURCES = ("steady", "changing", "error500", "emptied", "details", "nextjs")
PATHS = {name: f"/{name}/" for name in INLINE_SITES} | {"robots": "/private-area/events/"}


def flaky(counter: list[int], body: bytes):  # type: ignore[no-untyped-def]
    """Every other request fails with 503 (the retry after it succeeds)."""

    def handle(_request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        counter.append(1)
        if len(counter) % 2:
            return 503, {"Content-Type": "text/plain", "Retry-After": "0"}, b"busy"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    return handle


def first_round(server: SiteServer, flaky_hits: list[int]) -> None:
    for name in INLINE_SITES:
        server.add(PATHS[name], jsonld_page(five(name)))
    server.add_handler(PATHS["flaky"], flaky(flaky_hits, jsonld_page(five("flaky"))))
    server.add("/list/", "".join(f'<a href="/list/e{n}.html">{n}</a>' for n in range(1, 5)))
    for n in range(1, 5):
        server.add(f"/list/e{n}.html", jsonld_page([event("list", n, day(20 + n))]))
    server.add("/tapahtumat", (PAGES / "tapahtumat.html").read_bytes())
    server.add("/tapahtumat?page=2", (PAGES / "tapahtumat-2.html").read_bytes())


def second_round(server: SiteServer) -> None:
    changed = five("changing")
    changed[0] = event("changing", 1, day(11) + timedelta(days=1))
    changed[4] = event("changing", 6, day(16))
    server.add(PATHS["changing"], jsonld_page(changed))
    server.add(PATHS["error500"], "<h1>Internal Server Error</h1>", status=500)
    server.add(PATHS["notfound"], "<h1>Not Found</h1>", status=404)
    server.add(PATHS["slow"], jsonld_page(five("slow")), delay=4)
    server.redirect(PATHS["loop"], "/loop/again/")
    server.redirect("/loop/again/", PATHS["loop"])
    server.add(
        "/robots.txt", "User-agent: *\nDisallow: /private-area/\n", content_type="text/plain"
    )
    padding = "<!-- " + "x" * int(MAX_RESPONSE_MB * 1024 * 1024 * 2) + " -->"
    server.add(PATHS["oversized"], jsonld_page(five("oversized")) + padding.encode())
    broken = '<html><head><script type="application/ld+json">{"@type": "Event", "name": </script>'
    server.add(PATHS["malformed"], broken)
    server.add(PATHS["emptied"], "<html><body><p>Ei tulevia tapahtumia.</p></body></html>")
    server.redirect(PATHS["moved"], "http://169.254.169.254/latest/meta-data/")
    server.add("/list/e2.html", "<h1>Not Found</h1>", status=404)
    server.add("/list/e4.html", jsonld_page([event("list", 4, day(24), "list: uusi nimi")]))


# --- the scenario --------------------------------------------------------------------------------


@dataclass
class Scenario:
    db: Database
    ids: dict[str, int]
    first: dict[str, CrawlResult]
    second: dict[str, CrawlResult]
    server: SiteServer

    def need(self, *names: str) -> None:
        missing = [name for name in names if name not in self.ids]
        if missing:
            pytest.skip(f"{', '.join(missing)}: crawled on SQLite only (same crawl, same faults)")

    def source(self, name: str) -> Source:
        with self.db.sessions() as session:
            return session.get_one(Source, self.ids[name])

    def runs(self, name: str) -> list[CrawlRun]:
        with self.db.sessions() as session:
            return list(
                session.scalars(
                    select(CrawlRun)
                    .where(CrawlRun.source_id == self.ids[name])
                    .order_by(CrawlRun.id)
                )
            )

    def listings(self, name: str) -> dict[str, Listing]:
        with self.db.sessions() as session:
            rows = session.scalars(select(Listing).where(Listing.source_id == self.ids[name]))
            return {row.external_id: row for row in rows}


@pytest.fixture(scope="module", params=_backends())
def scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    with migrated_database(request.param, tmp_path_factory.mktemp("crawl")) as db:
        yield from _crawled_twice(request.param, db)


def _crawled_twice(backend: str, db: Database) -> Iterator[Scenario]:
    url = db.url
    server = SiteServer()
    server.start()
    settings = child_settings(
        url,
        allow_private_networks=False,
        trusted_hosts=["127.0.0.1"],
        retries=1,
        retry_backoff_seconds=0.1,
        download_timeout=2,
        max_response_mb=MAX_RESPONSE_MB,
    )
    flaky_hits: list[int] = []
    first_round(server, flaky_hits)
    sources = {name: (server.url(PATHS[name]), "jsonld") for name in INLINE_SITES}
    sources |= {
        "steady": (server.url(PATHS["steady"]), "auto"),
        "details": (server.url("/list/"), "jsonld"),
        "nextjs": (server.url("/tapahtumat"), "spider:example_nextjs"),
        "localhost": (server.url(PATHS["steady"]).replace("127.0.0.1", "localhost"), "jsonld"),
    }
    if backend != "sqlite":
        # The faults are the same on every database; PostgreSQL crawls the sources whose
        # listings change, vanish or stand in for failed pages.
        sources = {name: sources[name] for name in POSTGRES_SOURCES}
    with db.sessions.begin() as session:
        rows = {
            name: Source(name=name, url=url, kind=kind, interval_hours=1.0)
            for name, (url, kind) in sources.items()
        }
        session.add_all(rows.values())
        session.flush()
        ids = {name: row.id for name, row in rows.items()}

    def crawl(names: list[str]) -> dict[str, CrawlResult]:
        queue = CrawlQueue(db.sessions, max_parallel=4, time_limit=60, child_settings=settings)
        results = asyncio.run(queue.run([ids[name] for name in names]))
        by_id = {result.source_id: result for result in results}
        return {name: by_id[ids[name]] for name in names}

    # A refused source needs no first round: it is refused either way.
    first = crawl([name for name in ids if name != "localhost"])
    second_round(server)
    second = crawl(list(ids))
    try:
        yield Scenario(db, ids, first, second, server)
    finally:
        server.stop()


def assert_intact(scenario: Scenario, name: str) -> None:
    """The source's five listings from the first round are all there, none gone, unchanged."""
    scenario.need(name)
    listings = scenario.listings(name)
    assert sorted(listings) == [f"https://{name}.example.fi/tapahtumat/{n}" for n in range(1, 6)]
    assert all(row.gone_at is None for row in listings.values())
    assert {row.title for row in listings.values()} == {
        f"{name} seminaari {n}" for n in range(1, 6)
    }


def assert_others_crawled(scenario: Scenario) -> None:
    assert scenario.second["steady"].status == "not_modified"
    assert scenario.second["changing"].status == "ok"
    assert scenario.second["details"].status == "ok"


def assert_failed(scenario: Scenario, name: str, status_key: str, message: str) -> CrawlRun:
    assert_intact(scenario, name)
    assert_others_crawled(scenario)
    run = scenario.runs(name)[-1]
    assert run.status == "failed" and run.gone == 0 and run.records == 0
    assert status_key in run.http_statuses
    assert run.first_error is not None and message in run.first_error
    source = scenario.source(name)
    assert source.health == vocab.HEALTH_FAILING
    assert source.health_reason == f"failed once: {run.first_error}"
    assert source.consecutive_failures == 1 and source.last_records == 5
    assert source.next_crawl_at == run.finished_at + timedelta(hours=2)
    return run


# --- the first round: everything works ---------------------------------------------------------


def test_first_round_crawls_every_working_source(scenario: Scenario) -> None:
    statuses = {name: result.status for name, result in scenario.first.items()}
    assert statuses == {name: "ok" for name in scenario.ids if name != "localhost"}
    for name in set(INLINE_SITES) & set(scenario.ids):
        assert (scenario.first[name].records, scenario.first[name].new) == (5, 5), name
        assert scenario.runs(name)[0].errors == 0


def test_runs_record_statuses_pages_and_duration(scenario: Scenario) -> None:
    run = scenario.runs("details")[0]
    assert run.http_statuses == {"200": 5}
    assert (run.pages, run.records, run.new, run.errors) == (5, 4, 4, 0)
    assert run.finished_at is not None and run.duration_s is not None
    assert 0 < run.duration_s < 60


def test_a_source_on_a_private_address_is_refused(scenario: Scenario) -> None:
    scenario.need("localhost")
    run = scenario.runs("localhost")[0]
    assert run.status == "failed" and run.http_statuses == {"refused": 1}
    assert run.first_error is not None
    assert "localhost (" in run.first_error and "is a loopback address" in run.first_error
    assert scenario.listings("localhost") == {}
    assert scenario.source("localhost").health == vocab.HEALTH_FAILING


def test_auto_detects_the_kind_once_and_keeps_it(scenario: Scenario) -> None:
    source = scenario.source("steady")
    assert (source.kind, source.detected_kind) == ("auto", "jsonld")
    assert source.detected_reason
    assert scenario.second["steady"].status == "not_modified"


def test_a_server_error_is_retried_after_a_pause(scenario: Scenario) -> None:
    scenario.need("flaky")
    run = scenario.runs("flaky")[0]
    assert run.status == "ok" and run.records == 5
    assert run.http_statuses == {"200": 1, "retried": 1}


def test_a_site_spider_reads_every_page_of_its_site(scenario: Scenario) -> None:
    run = scenario.runs("nextjs")[0]
    assert (run.status, run.pages, run.records, run.errors, run.skipped) == ("ok", 2, 4, 1, 1)
    titles = {row.title for row in scenario.listings("nextjs").values()}
    assert "Networking breakfast for internationals" in titles
    assert run.first_error is not None and "skipped event 105" in run.first_error
    assert scenario.runs("nextjs")[-1].status == "not_modified"
    # The broken event is still there: an unchanged site stays degraded.
    source = scenario.source("nextjs")
    assert (source.health, source.health_reason) == (
        vocab.HEALTH_DEGRADED,
        f"1 error in the last crawl: {run.first_error}",
    )


# --- the second round: faults --------------------------------------------------------------------


def test_an_unchanged_site_answers_304_and_costs_no_parsing(scenario: Scenario) -> None:
    run = scenario.runs("steady")[-1]
    assert run.status == "not_modified" and run.http_statuses == {"304": 1}
    assert (run.records, run.unchanged, run.new, run.updated, run.gone) == (5, 5, 0, 0, 0)
    assert_intact(scenario, "steady")
    requests = [r for r in scenario.server.requests if r.path == PATHS["steady"]]
    assert "If-None-Match" in requests[-1].headers
    assert scenario.source("steady").health == vocab.HEALTH_OK


def test_changes_are_recorded_and_a_vanished_listing_is_marked_gone(scenario: Scenario) -> None:
    run = scenario.runs("changing")[-1]
    assert (run.status, run.new, run.updated, run.unchanged, run.gone) == ("ok", 1, 1, 3, 1)
    listings = scenario.listings("changing")
    moved = listings["https://changing.example.fi/tapahtumat/1"]
    assert moved.status == vocab.RESCHEDULED and moved.previous_start_at is not None
    vanished = listings["https://changing.example.fi/tapahtumat/5"]
    first_finished = scenario.runs("changing")[0].finished_at
    assert vanished.gone_at is not None and first_finished is not None
    assert first_finished < vanished.gone_at <= run.finished_at
    assert len(listings) == 6


def test_a_500_fails_the_run_and_keeps_the_listings(scenario: Scenario) -> None:
    run = assert_failed(scenario, "error500", "500", "HTTP 500")
    assert run.http_statuses == {"500": 1, "retried": 1}


def test_a_404_fails_the_run_and_keeps_the_listings(scenario: Scenario) -> None:
    run = assert_failed(scenario, "notfound", "404", "HTTP 404")
    assert "retried" not in run.http_statuses


def test_a_server_that_answers_too_slowly_times_out(scenario: Scenario) -> None:
    assert_failed(scenario, "slow", "timeout", "took longer than 2")


def test_a_redirect_loop_is_given_up(scenario: Scenario) -> None:
    assert_failed(scenario, "loop", "refused", "max redirections reached")


def test_robots_txt_disallowing_the_path_is_obeyed(scenario: Scenario) -> None:
    assert_failed(scenario, "robots", "refused", "Forbidden by robots.txt")
    assert scenario.server.hits(PATHS["robots"]) == 1  # the first round only


def test_an_oversized_response_is_cut_off(scenario: Scenario) -> None:
    assert_failed(scenario, "oversized", "too-large", "larger than download max size")


def test_malformed_content_is_reported_and_marks_nothing_gone(scenario: Scenario) -> None:
    assert_intact(scenario, "malformed")
    assert_others_crawled(scenario)
    run = scenario.runs("malformed")[-1]
    assert (run.status, run.errors, run.gone) == ("suspect", 1, 0)
    assert run.first_error == (
        "5 of 5 upcoming listings vanished (the source lists nothing); none was marked gone"
    )
    assert any("JSON-LD block 1 is not valid JSON" in m for m in run.error_messages)
    assert scenario.source("malformed").health == vocab.HEALTH_DEGRADED


def test_a_redirect_into_a_private_network_is_refused(scenario: Scenario) -> None:
    assert_failed(scenario, "moved", "refused", "169.254.169.254 is a link-local address")


def test_a_source_that_suddenly_lists_nothing_is_suspect(scenario: Scenario) -> None:
    assert_intact(scenario, "emptied")
    assert_others_crawled(scenario)
    run = scenario.runs("emptied")[-1]
    assert (run.status, run.records, run.gone) == ("suspect", 0, 0)
    assert run.first_error == (
        "5 of 5 upcoming listings vanished (the source lists nothing); none was marked gone"
    )
    source = scenario.source("emptied")
    assert (source.health, source.health_reason) == (vocab.HEALTH_DEGRADED, run.first_error)
    assert source.consecutive_failures == 0


def test_a_failing_detail_page_stands_in_with_its_last_listing(scenario: Scenario) -> None:
    run = scenario.runs("details")[-1]
    assert run.status == "ok" and run.gone == 0 and run.records == 4
    assert run.http_statuses == {"304": 3, "200": 1, "404": 1}
    assert run.errors == 1 and run.first_error is not None and "HTTP 404" in run.first_error
    listings = scenario.listings("details")
    assert all(row.gone_at is None for row in listings.values()) and len(listings) == 4
    assert listings["https://list.example.fi/tapahtumat/4"].title == "list: uusi nimi"
    assert scenario.source("details").health == vocab.HEALTH_DEGRADED
    with scenario.db.sessions() as session:
        remembered = set(
            session.scalars(
                select(HttpValidator.url).where(HttpValidator.source_id == scenario.ids["details"])
            )
        )
    assert scenario.server.url("/list/e2.html") in remembered


def test_every_source_was_crawled_in_both_rounds(scenario: Scenario) -> None:
    for name in scenario.ids:
        runs = scenario.runs(name)
        assert len(runs) == (1 if name == "localhost" else 2), name
        assert all(r.status != "running" for r in runs), name
