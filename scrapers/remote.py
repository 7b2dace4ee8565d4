"""Run a crawl as a job on a Scrapyd node (`crawl.backend = "scrapyd"`): `crawl_remote`, the
counterpart of scrapers.runner.crawl_one, with the same CrawlRun bookkeeping.

1. The CrawlRun row is created here first, as for a local crawl.
2. The job goes to the least busy node (`NodePool.place`: daemonstatus.json's pending + running,
   and the jobs this process gave it that it may not count yet), with schedule.json: job id
   ``run-<run id>-<random>``, the source and run ids, the time limit and the crawl section as spider
   arguments (the node's own environment gives the database: vahti.scrapyd_node). The node and
   job are recorded on the run.
3. listjobs.json is read every `crawl.scrapyd_poll_seconds`. A job running longer than the
   time limit and the kill grace is cancelled (cancel.json, KILL) and its run closed as
   `timeout`; one that waited that long in the node's queue without starting, as `cancelled`
   (the node was too busy, not the source at fault).
   A finished job normally closed its run itself (the same pipeline as a local crawl); one
   still open was a job that died: `failed`, or `cancelled` when its log says the node was at
   fault (its database, its settings).
4. A node that cannot be reached for `crawl.scrapyd_lost_seconds`, or that no longer knows the
   job (restarted), has lost it: the run is closed as `cancelled` ("node ... lost job ...": not
   the source's fault, so its health, failure count and next crawl stay), and the crawl starts
   again, as a new run, on another node (at most once per node).
5. A shutdown cancels the job on its node and closes the run as cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from config import CrawlSettings
from scrapers.handoff import ChildSettings
from scrapers.nodes import NODE_TROUBLE, Node, NodeError, nodes_for
from scrapers.pipelines import DATABASE_UNAVAILABLE_LOG
from scrapers.runner import (
    KILL_GRACE_SECONDS,
    CrawlResult,
    ProgressCallback,
    _close_broken_run,
    _close_when_possible,
    _read_run,
    _start_run,
)
from store import vocab
from store.db import session_scope
from store.models import CrawlRun

log = logging.getLogger(__name__)
# How long the daemon asks each node's status before choosing one (an unanswering node is
# left out of that choice).
STATUS_TIMEOUT_SECONDS = 5.0
CANCEL_TIMEOUT_SECONDS = 5.0
LOST_AFTER_FAILURES = 3


class NodePool:
    """The Scrapyd nodes of one crawl queue, and the jobs this process has given each."""

    def __init__(self, crawl: CrawlSettings) -> None:
        self.nodes: list[Node] = nodes_for(crawl)
        self.poll_seconds = crawl.scrapyd_poll_seconds
        self.lost_seconds = crawl.scrapyd_lost_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._in_flight: Counter[str] = Counter()
        self._given: Counter[str] = Counter()

    def _on_this_loop(self) -> None:
        """The lock belongs to one event loop: made afresh on another (a command may run the
        queue in several asyncio.run calls)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._lock = asyncio.Lock()

    async def _load(self, node: Node) -> int | None:
        try:
            status = await asyncio.wait_for(node.daemon_status(), STATUS_TIMEOUT_SECONDS)
        except (NodeError, TimeoutError):
            return None
        reported = int(status.get("pending", 0)) + int(status.get("running", 0))
        return max(reported, self._in_flight[node.url])

    async def place(
        self, job: str, args: dict[str, str], settings: dict[str, str], avoid: set[str]
    ) -> Node:
        """Schedule the job on the least busy reachable node (nodes in `avoid` only when no
        other can take it); NodeError naming every node's trouble when none could."""
        self._on_this_loop()
        async with self._lock:  # one choice at a time: each sees the jobs given before it
            loads = await asyncio.gather(*(self._load(node) for node in self.nodes))
            ranked = sorted(
                (
                    (node.url in avoid, load, self._given[node.url], index)
                    for index, (node, load) in enumerate(zip(self.nodes, loads, strict=True))
                    if load is not None
                ),
            )
            troubles = [
                f"{node.url}: no answer to daemonstatus.json"
                for node, load in zip(self.nodes, loads, strict=True)
                if load is None
            ]
            for *_, index in ranked:
                node = self.nodes[index]
                try:
                    await node.schedule(job, args, settings)
                except NodeError as exc:
                    troubles.append(str(exc))
                    continue
                self._in_flight[node.url] += 1
                self._given[node.url] += 1
                return node
        raise NodeError("no Scrapyd node could take the crawl: " + "; ".join(troubles))

    def release(self, node: Node) -> None:
        self._in_flight[node.url] -= 1


@dataclass
class _JobEnd:
    how: str  # "finished", "lost", "overran" or "queued too long"
    detail: str = ""
    log_url: str | None = None


def _job_state(jobs: dict[str, object], job: str) -> tuple[str, dict[str, object]] | None:
    for state in ("pending", "running", "finished"):
        entries = jobs.get(state)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("id") == job:
                return state, entry
    return None


async def _follow(pool: NodePool, node: Node, job: str, allowed: float) -> _JobEnd:
    """Read the node's jobs until the job ends, overruns (runs longer than `allowed` seconds,
    or waits that long in the node's queue) or is lost."""
    waiting_since = time.monotonic()
    running_since: float | None = None
    unreachable_since: float | None = None
    failures = 0
    while True:
        await asyncio.sleep(pool.poll_seconds)
        now = time.monotonic()
        try:
            jobs = await node.jobs()
        except NodeError as exc:
            # Unreachable, or answering without our project (restarted with no eggs). Lost
            # after LOST_AFTER_FAILURES failed reads in a row spanning crawl.scrapyd_lost_seconds
            # (one slow answer of a busy node is not a loss).
            unreachable_since = unreachable_since or now
            failures += 1
            if failures >= LOST_AFTER_FAILURES and now - unreachable_since >= pool.lost_seconds:
                return _JobEnd("lost", str(exc))
            continue
        unreachable_since, failures = None, 0
        found = _job_state(jobs, job)
        if found is None:
            return _JobEnd("lost", f"{node.url} no longer knows job {job} (restarted?)")
        state, entry = found
        if state == "finished":
            log_url = entry.get("log_url")
            return _JobEnd("finished", log_url=log_url if isinstance(log_url, str) else None)
        if state == "running" and running_since is None:
            running_since = now
        since = running_since if running_since is not None else waiting_since
        if now - since >= allowed:
            with contextlib.suppress(NodeError, TimeoutError):
                await asyncio.wait_for(node.cancel(job), CANCEL_TIMEOUT_SECONDS)
            return _JobEnd("overran" if running_since is not None else "queued too long")


def _job_arguments(
    result: CrawlResult, time_limit: int, crawl: CrawlSettings
) -> tuple[dict[str, str], dict[str, str]]:
    """The spider arguments and the Scrapy settings (`-s`) of the job."""
    args = {
        "source_id": str(result.source_id),
        "run_id": str(result.run_id),
        "time_limit": str(time_limit),
        "crawl": crawl.for_nodes().model_dump_json(),
    }
    # Read by the guarded resolver when the job's process starts, before any spider.
    settings = {"VAHTI_ALLOW_PRIVATE_NETWORKS": str(crawl.allow_private_networks)}
    if crawl.trusted_hosts:
        settings["VAHTI_TRUSTED_HOSTS"] = ",".join(crawl.trusted_hosts)
    return args, settings


def _record_job(sessions: sessionmaker[Session], result: CrawlResult, node: Node, job: str) -> None:
    with session_scope(sessions) as session:
        session.execute(
            update(CrawlRun).where(CrawlRun.id == result.run_id).values(node=node.url, job=job)
        )
    result.node, result.job = node.url, job


def _run_is_open(sessions: sessionmaker[Session], result: CrawlResult) -> bool:
    with session_scope(sessions) as session:
        return session.get_one(CrawlRun, result.run_id).status == vocab.RUN_RUNNING


def _what_the_log_says(text: str) -> tuple[str, str]:
    """(status, message) for a job that ended without closing its run, from its log's end."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if NODE_TROUBLE in line:
            reason = line.split(NODE_TROUBLE, 1)[1].strip()
            return vocab.RUN_CANCELLED, f"the crawl node could not do it: {reason}"
        if DATABASE_UNAVAILABLE_LOG in line:
            reason = line[line.index(DATABASE_UNAVAILABLE_LOG) :]
            return vocab.RUN_CANCELLED, f"the crawl node could not do it: {reason}"
    errors = [line for line in lines if " ERROR: " in line or "Error" in line]
    last = errors[-1] if errors else (lines[-1] if lines else "no log")
    return vocab.RUN_FAILED, f"the Scrapyd job ended without closing its run: {last}"


async def crawl_remote(
    sessions: sessionmaker[Session],
    source_id: int,
    pool: NodePool,
    *,
    time_limit: int,
    child_settings: ChildSettings,
    on_event: ProgressCallback | None = None,
    kill_grace: float = KILL_GRACE_SECONDS,
) -> CrawlResult:
    """Crawl one source as a Scrapyd job; the result is read from its closed CrawlRun (the
    last one, when a lost node made it start again elsewhere)."""
    started = time.monotonic()
    lost: set[str] = set()
    result = _start_run(sessions, source_id)
    if on_event:
        on_event("started", result)
    while True:
        # Unique on the node however many databases (or resets) its jobs have seen.
        job = f"run-{result.run_id}-{uuid.uuid4().hex[:12]}"
        args, settings = _job_arguments(result, time_limit, child_settings.crawl)
        try:
            node = await pool.place(job, args, settings, lost)
        except NodeError as exc:
            # No node at all: the source is not at fault; it stays due.
            await _close_when_possible(sessions, result, vocab.RUN_CANCELLED, str(exc))
            break
        try:
            _record_job(sessions, result, node, job)
            end = await _follow(pool, node, job, time_limit + kill_grace)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(node.cancel(job), CANCEL_TIMEOUT_SECONDS)
            _close_broken_run(sessions, result, vocab.RUN_CANCELLED, "crawl stopped by a shutdown")
            raise
        finally:
            pool.release(node)
        if end.how == "lost" and not _run_is_open(sessions, result):
            _read_run(sessions, result)  # the job closed its run before the node went
            break
        if end.how == "lost":
            lost.add(node.url)
            message = f"crawl node {node.url} lost job {job}: {end.detail}"
            attempts_left = len(lost) < len(pool.nodes)
            log.warning(
                "crawl: source=%d: %s%s",
                source_id,
                message,
                "; crawling again on another node" if attempts_left else "",
            )
            await _close_when_possible(sessions, result, vocab.RUN_CANCELLED, message)
            if not attempts_left:
                break
            result = _start_run(sessions, source_id)
            continue
        if end.how == "overran":
            status, message = vocab.RUN_TIMEOUT, f"killed after {time_limit + kill_grace:g} s"
            await _close_when_possible(sessions, result, status, message)
            break
        if end.how == "queued too long":  # the node was too busy: not the source's fault
            message = (
                f"crawl node {node.url} did not start job {job} within "
                f"{time_limit + kill_grace:g} s (too busy: raise its max_proc)"
            )
            await _close_when_possible(sessions, result, vocab.RUN_CANCELLED, message)
            break
        if _run_is_open(sessions, result):
            text = await node.log_tail(end.log_url) if end.log_url else ""
            status, message = _what_the_log_says(text)
            await _close_when_possible(sessions, result, status, message)
        else:
            _read_run(sessions, result)
        break
    result.duration_s = time.monotonic() - started
    if on_event:
        on_event("finished", result)
    return result
