"""The "scrapyd" crawl backend on real Scrapyd nodes (`python -m scrapyd` on 127.0.0.1, from
this virtual environment): `vahti nodes deploy` and `list`, crawls through two nodes writing
to the test's database, a node killed mid-job, an overrunning job cancelled.

One pair of nodes serves the module (tests.support.scrapyd); a test that kills a node starts
a pair of its own."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config import DatabaseSettings
from scrapers.handoff import ChildSettings
from scrapers.nodes import Node
from services.crawl_queue import CrawlQueue
from services.nodes import build_egg
from store import vocab
from store.models import CrawlRun, Listing, Source
from tests.conftest import Database
from tests.support.daemon import FAST, VahtiProcess, wait_for
from tests.support.http import SiteServer
from tests.support.scrapyd import (
    ScrapydNode,
    deploy_to,
    free_port,
    node_crawl,
    running_nodes,
    start_nodes,
    stop_nodes,
    use_database,
    vahti_env_for,
)
from tests.test_crawl_queue import add_sources, until
from tests.test_crawl_runs import PAGE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ScrapydNode]]:
    with running_nodes(2, tmp_path_factory.mktemp("scrapyd")) as started:
        yield started


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


def test_the_egg_holds_the_crawler_its_data_and_the_settings_entry_point() -> None:
    egg = zipfile.ZipFile(io.BytesIO(build_egg("0.0.1")))
    names = set(egg.namelist())
    assert {"vahti/scrapyd_node.py", "scrapers/crawl_child.py", "store/models.py"} <= names
    assert "text/data/yso_categories.json" in names  # package data the crawl reads
    assert "store/migrations/script.py.mako" in names
    assert not any("__pycache__" in name or name.startswith("tests/") for name in names)
    assert not any(name.startswith(("web/", "digest/", "dedupe/")) for name in names)
    entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = vahti.scrapyd_node" in entry_points


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
    db: Database, site_server: SiteServer, nodes: list[ScrapydNode]
) -> None:
    ids = add_sources(db, site_server, 0.5, "a", "b", "c", "d")
    queue = queue_on(db, nodes)
    results = await queue.run(ids)
    assert [r.status for r in results] == [vocab.RUN_OK] * 4, [r.first_error for r in results]
    done = runs(db)
    assert len(done) == 4 and all(run.status == vocab.RUN_OK for run in done)
    assert {run.node for run in done} == {node.url for node in nodes}  # both got jobs
    assert all(run.job and run.job.startswith(f"run-{run.id}-") for run in done)
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
        (source_id,) = add_sources(db, site_server, 4.0, "slow")
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
    assert lost.node == first.url and lost.job
    assert lost.first_error and f"crawl node {first.url} lost job {lost.job}" in lost.first_error
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
    (source_id,) = add_sources(db, site_server, 30.0, "hangs")
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


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (f'[database]\nurl = "postgresql+psycopg://x@127.0.0.1:{free_port()}/x"\n', "database"),
        ('[database]\nurl = "sqlite:///x.db"\nbusy_timeout_ms = "soon"\n', "settings"),
    ],
    ids=["database-unavailable", "bad-settings"],
)
async def test_a_node_that_cannot_reach_the_database_does_not_blame_the_source(
    sqlite_db: Database,
    site_server: SiteServer,
    nodes: list[ScrapydNode],
    settings: str,
    says: str,
) -> None:
    db = sqlite_db
    (source_id,) = add_sources(db, site_server, 0.0, "fine")
    queue = queue_on(db, nodes)
    for node in nodes:  # after queue_on, which points them at the test's database
        node.settings_file.write_text(settings)
    results = await queue.run([source_id])
    (run,) = runs(db, source_id)
    assert (results[0].status, run.status) == (vocab.RUN_CANCELLED, vocab.RUN_CANCELLED)
    assert run.first_error and run.first_error.startswith("the crawl node could not do it: ")
    assert says in run.first_error
    assert source_state(db, source_id)[:2] == (vocab.HEALTH_NEW, 0)
    # The control: the same source on nodes that reach the database is crawled.
    use_database(nodes, db.url)
    assert (await queue.run([source_id]))[0].status == vocab.RUN_OK


def test_vahti_run_crawls_through_the_nodes_and_a_shutdown_cancels_the_job(
    sqlite_db: Database,
    vahti_env: dict[str, str],
    site_server: SiteServer,
    tmp_path: Path,
    nodes: list[ScrapydNode],
) -> None:
    db = sqlite_db
    quick = add_sources(db, site_server, 0.0, "yksi", "kaksi")
    (slow,) = add_sources(db, site_server, 60.0, "hidas")
    use_database(nodes, db.url)
    env = {
        **vahti_env,
        **FAST,
        **vahti_env_for(nodes),
        "VAHTI_DATABASE__URL": db.url,
        "VAHTI_CRAWL__MAX_PARALLEL": "3",
        "VAHTI_CRAWL__DOWNLOAD_TIMEOUT": "120",
        "VAHTI_SCHEDULER__STOP_TIMEOUT_SECONDS": "1",
    }
    daemon = VahtiProcess("daemon", ["run", "--port", str(free_port())], cwd=tmp_path, env=env)
    try:

        def quick_ones_done() -> bool:
            done = [run for source_id in quick for run in runs(db, source_id)]
            return len(done) == 2 and all(run.status == vocab.RUN_OK for run in done)

        wait_for(quick_ones_done, 120, "the daemon's crawls through the nodes")
        wait_for(lambda: site_server.hits("/hidas/"), 60, "the slow crawl to reach its page")
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()
    assert {run.node for source_id in quick for run in runs(db, source_id)} <= {
        node.url for node in nodes
    }
    (stopped,) = runs(db, slow)
    assert stopped.status == vocab.RUN_CANCELLED and "shutdown" in (stopped.first_error or "")
    assert source_state(db, slow)[:2] == (vocab.HEALTH_NEW, 0)
    node = next(node for node in nodes if node.url == stopped.node)

    def cancelled_there() -> bool:
        return any(job["id"] == stopped.job for job in node.jobs()["finished"])

    wait_for(cancelled_there, 30, "the job cancelled on its node")


async def test_a_job_left_waiting_on_a_busy_node_is_cancelled_not_blamed(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    db = sqlite_db
    (busy,) = start_nodes(1, tmp_path / "busy", max_proc=1)
    try:
        await deploy_to([busy])
        hogging, waiting = add_sources(db, site_server, 0.0, "hogs", "waits")
        site_server.add("/hogs/", PAGE, delay=30.0)  # the one process slot stays taken
        use_database([busy], db.url)
        with db.sessions.begin() as session:
            hog_run = CrawlRun(source_id=hogging)
            session.add(hog_run)
            session.flush()
            hog_args = {"source_id": str(hogging), "run_id": str(hog_run.id), "time_limit": "60"}
        node = Node(busy.url)
        hog_crawl = node_crawl([busy])
        await node.schedule(
            "hog",
            {**hog_args, "crawl": hog_crawl.model_dump_json()},
            # as the backend schedules a job: 127.0.0.1 is allowed (else the hog fails at once)
            {"VAHTI_ALLOW_PRIVATE_NETWORKS": str(hog_crawl.allow_private_networks)},
        )
        await until(lambda: bool(busy.jobs().get("running")), 30, "the hog running")
        queue = queue_on(db, [busy], time_limit=1, kill_grace=1.0)
        results = await asyncio.wait_for(queue.run([waiting]), 60)
        (run,) = runs(db, waiting)
        assert (results[0].status, run.status) == (vocab.RUN_CANCELLED, vocab.RUN_CANCELLED)
        assert run.first_error and "did not start job" in run.first_error
        assert source_state(db, waiting)[:2] == (vocab.HEALTH_NEW, 0)
        assert not busy.jobs()["pending"]  # taken out of the node's queue
        await node.cancel("hog")
    finally:
        stop_nodes([busy])


async def test_a_node_lost_after_its_job_closed_the_run_does_not_crawl_it_again(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    """The job finished (its run closed ok) but the node went before the daemon saw it finish:
    the crawl is done, and is not run a second time on the other node."""
    db = sqlite_db
    pair = start_nodes(2, tmp_path / "own-nodes")
    # The daemon reads the node's jobs every 30 s: the kill comes before its first read, and the
    # node is found lost after three failed reads in a row.
    poll = 30.0
    try:
        await deploy_to(pair)
        (source_id,) = add_sources(db, site_server, 0.0, "fast")
        use_database(pair, db.url)
        crawl_settings = node_crawl(pair, scrapyd_poll_seconds=poll, scrapyd_lost_seconds=0.5)
        queue = CrawlQueue(
            db.sessions,
            max_parallel=1,
            time_limit=120,
            child_settings=ChildSettings(
                crawl=crawl_settings, database=DatabaseSettings(url=db.url)
            ),
        )
        started = asyncio.get_running_loop().time()
        crawl = asyncio.ensure_future(queue.run([source_id]))
        await until(lambda: [r.status for r in runs(db, source_id)] == [vocab.RUN_OK], poll,
                    "the job to close its run")  # fmt: skip
        if asyncio.get_running_loop().time() - started > poll - 5:
            pytest.skip("the job took about as long as the daemon's poll: nothing to tell apart")
        (done,) = runs(db, source_id)
        next(node for node in pair if node.url == done.node).kill()
        results = await asyncio.wait_for(crawl, 4 * poll + 30)
    finally:
        stop_nodes(pair)
    assert [(r.status, r.id) for r in runs(db, source_id)] == [(vocab.RUN_OK, done.id)]
    assert results[0].status == vocab.RUN_OK and results[0].run_id == done.id
