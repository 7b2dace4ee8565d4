"""The "scrapyd" crawl backend on real Scrapyd nodes (`python -m scrapyd` on 127.0.0.1, from
this virtual environment): `vahti nodes deploy` and `list`, crawls through two nodes writing
to the test's database, a node killed mid-job, an overrunning job cancelled.

One pair of nodes serves the module (tests.support.scrapyd); a test that kills a node starts
a pair of its own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config import DatabaseSettings
from scrapers.handoff import ChildSettings
from services.crawl_queue import CrawlQueue
from services.nodes import deploy, egg_version
from store import vocab
from store.models import CrawlRun, Listing, Source
from tests.conftest import Database
from tests.support.http import SiteServer
from tests.support.scrapyd import (
    ScrapydNode,
    free_port,
    node_crawl,
    start_nodes,
    stop_nodes,
    use_database,
)
from tests.test_crawl_queue import until
from tests.test_crawl_runs import PAGE

pytestmark = pytest.mark.slow


async def deploy_to(nodes: list[ScrapydNode]) -> str:
    version = egg_version("0.0.1")
    reports = await deploy(node_crawl(nodes), version)
    assert all(report.ok for report in reports), reports
    return version


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ScrapydNode]]:
    started = start_nodes(2, tmp_path_factory.mktemp("scrapyd"))
    try:
        asyncio.run(deploy_to(started))
        yield started
    finally:
        stop_nodes(started)


def add_sources(db: Database, server: SiteServer, *names: str, delay: float = 0.0) -> list[int]:
    ids = []
    with db.sessions.begin() as session:
        for name in names:
            page = PAGE.replace("https://x.example.fi/1", f"https://x.example.fi/{name}")
            url = server.add(f"/{name}/", page, delay=delay)
            source = Source(name=name, url=url, kind="jsonld", interval_hours=1.0)
            session.add(source)
            session.flush()
            ids.append(source.id)
    return ids


def queue_on(
    db: Database, nodes: list[ScrapydNode], *, max_parallel: int = 4, **options: Any
) -> CrawlQueue:
    use_database(nodes, db.url)
    crawl = node_crawl(nodes)
    return CrawlQueue(
        db.sessions,
        max_parallel=max_parallel,
        time_limit=int(options.pop("time_limit", 60)),
        child_settings=ChildSettings(crawl=crawl, database=DatabaseSettings(url=db.url)),
        **options,
    )


def runs(db: Database, source_id: int | None = None) -> list[CrawlRun]:
    query = select(CrawlRun).order_by(CrawlRun.id)
    if source_id is not None:
        query = query.where(CrawlRun.source_id == source_id)
    with db.sessions() as session:
        return list(session.scalars(query))


def source_state(db: Database, source_id: int) -> tuple[str, int, object]:
    with db.sessions() as session:
        source = session.get_one(Source, source_id)
        return source.health, source.consecutive_failures, source.next_crawl_at


# -- vahti nodes --


def test_nodes_deploy_and_list_show_every_node(run_vahti, nodes: list[ScrapydNode]) -> None:  # type: ignore[no-untyped-def]
    env = {"VAHTI_CRAWL__SCRAPYD_URLS": json.dumps([node.url for node in nodes])}
    deployed_now = run_vahti("nodes", "deploy", env=env, timeout=120)
    assert deployed_now.returncode == 0, deployed_now.stderr
    lines = deployed_now.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [node.url for node in nodes]
    assert all("deployed tapahtumavahti 0.1.0." in line for line in lines), lines
    version = lines[0].rsplit(" ", 1)[1]
    listed = run_vahti("nodes", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    statuses = json.loads(listed.stdout)
    assert [s["url"] for s in statuses] == [node.url for node in nodes]
    for status in statuses:
        assert status["reachable"] and status["error"] is None
        # Scrapyd shows the dots of a version as underscores; the latest is what it runs.
        assert status["version"] == version.replace(".", "_")
        assert {"pending", "running", "finished"} <= set(status)
    table = run_vahti("nodes", "list", env=env)
    assert table.returncode == 0 and nodes[1].url in table.stdout


def test_an_unreachable_node_gets_its_own_error_line_and_exit_1(  # type: ignore[no-untyped-def]
    run_vahti, nodes: list[ScrapydNode]
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {"VAHTI_CRAWL__SCRAPYD_URLS": json.dumps([nodes[0].url, nowhere])}
    result = run_vahti("nodes", "deploy", env=env, timeout=120)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{nodes[0].url}: deployed")  # the reachable one took it
    assert f"{nowhere}: error: cannot reach it" in result.stderr
    listed = run_vahti("nodes", "list", "--json", env=env)
    assert listed.returncode == 1
    good, bad = json.loads(listed.stdout)
    assert good["reachable"] and not bad["reachable"] and "cannot reach it" in bad["error"]
    none = run_vahti("nodes", "list")
    assert none.returncode == 2 and "no Scrapyd nodes" in none.stderr
    backend_without_nodes = run_vahti("nodes", "list", env={"VAHTI_CRAWL__BACKEND": "scrapyd"})
    assert backend_without_nodes.returncode == 2
    assert "scrapyd_urls" in backend_without_nodes.stderr


# -- crawls --


async def test_crawls_go_to_both_nodes_and_store_listings(
    sqlite_db: Database, site_server: SiteServer, nodes: list[ScrapydNode]
) -> None:
    db = sqlite_db
    ids = add_sources(db, site_server, "a", "b", "c", "d", delay=0.5)
    queue = queue_on(db, nodes)
    results = await queue.run(ids)
    assert [r.status for r in results] == [vocab.RUN_OK] * 4, [r.first_error for r in results]
    done = runs(db)
    assert len(done) == 4 and all(run.status == vocab.RUN_OK for run in done)
    assert {run.node for run in done} == {node.url for node in nodes}  # both got jobs
    assert all(run.job == f"run-{run.id}" for run in done)
    with db.sessions() as session:
        keys = set(session.scalars(select(Listing.external_id)))
    assert len(keys) == 4
    # The same conditional-GET memory as a local crawl: the second crawl asks with validators.
    site_server.requests.clear()
    again = await queue.run(ids[:1])
    assert again[0].status == vocab.RUN_NOT_MODIFIED, again[0].first_error
    asked = [r for r in site_server.requests if r.path == "/a/"]
    assert asked and "If-None-Match" in asked[0].headers
    # Nothing went through Scrapyd's items files.
    for node in nodes:
        assert not list(node.folder.rglob("*.jl"))


async def test_a_failing_site_counts_against_its_source_on_a_node(
    sqlite_db: Database, site_server: SiteServer, nodes: list[ScrapydNode]
) -> None:
    """The control of the lost-node test: a failure that is the source's changes its health."""
    db = sqlite_db
    with db.sessions.begin() as session:
        url = site_server.add("/broken/", "down", status=500)
        source = Source(name="broken", url=url, kind="jsonld", interval_hours=1.0)
        session.add(source)
        session.flush()
        source_id = source.id
    results = await queue_on(db, nodes).run([source_id])
    assert results[0].status == vocab.RUN_FAILED
    health, failures, _next = source_state(db, source_id)
    assert (health, failures) == (vocab.HEALTH_FAILING, 1)


async def test_a_node_killed_mid_job_loses_the_run_not_the_source(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path, nodes: list[ScrapydNode]
) -> None:
    db = sqlite_db
    pair = start_nodes(2, tmp_path / "own-nodes")
    try:
        await deploy_to(pair)
        (source_id,) = add_sources(db, site_server, "slow", delay=4.0)
        before = source_state(db, source_id)
        queue = queue_on(db, pair)
        crawl = asyncio.ensure_future(queue.run([source_id]))
        first = pair[0]  # two idle nodes: the first in the list gets the job

        def running_on_first() -> bool:
            return bool(first.jobs().get("running"))

        await until(running_on_first, 30, "the job running on the first node")
        first.kill()
        results = await asyncio.wait_for(crawl, 60)
    finally:
        stop_nodes(pair)
    lost, retried = runs(db, source_id)
    assert lost.status == vocab.RUN_CANCELLED
    assert (lost.node, lost.job) == (first.url, f"run-{lost.id}")
    assert lost.first_error and f"crawl node {first.url} lost job run-{lost.id}" in lost.first_error
    assert lost.errors == 0
    assert (retried.status, retried.node) == (vocab.RUN_OK, pair[1].url)
    assert results[0].run_id == retried.id and results[0].status == vocab.RUN_OK
    health, failures, _next = source_state(db, source_id)
    assert (before[0], before[1]) == (vocab.HEALTH_NEW, 0)
    assert (health, failures) == (vocab.HEALTH_OK, 0)  # the lost job did not count against it


async def test_an_overrunning_job_is_cancelled_on_its_node(
    sqlite_db: Database, site_server: SiteServer, nodes: list[ScrapydNode]
) -> None:
    db = sqlite_db
    (source_id,) = add_sources(db, site_server, "hangs", delay=30.0)
    queue = queue_on(db, nodes, time_limit=1, kill_grace=0.0)
    results = await asyncio.wait_for(queue.run([source_id]), 30)
    (run,) = runs(db, source_id)
    assert (results[0].status, run.status) == (vocab.RUN_TIMEOUT, vocab.RUN_TIMEOUT)
    assert run.first_error == "killed after 1 s"
    node = next(node for node in nodes if node.url == run.node)

    def finished_there() -> bool:
        return any(job["id"] == run.job for job in node.jobs()["finished"])

    await until(finished_there, 10, "the cancelled job among the node's finished ones")
    assert not any(job["id"] == run.job for job in node.jobs()["running"])
