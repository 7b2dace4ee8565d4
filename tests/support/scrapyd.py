"""Real Scrapyd nodes on 127.0.0.1 for the "scrapyd" crawl backend's tests.

    with running_nodes(2, tmp_path_factory.mktemp("nodes")) as nodes:  # started, deployed
        use_database(nodes, db.url)      # what the nodes' jobs read (their settings file)
        crawl = node_crawl(nodes)        # crawl settings for an in-process CrawlQueue
        env = vahti_env_for(nodes)       # VAHTI_CRAWL__* for `vahti run`, `vahti demo`...
        nodes[0].kill()                  # SIGKILL the node and its running jobs
    # or by hand: start_nodes(2, folder) (skips when Scrapyd cannot start), await
    # deploy_to(nodes), stop_nodes(nodes)

Each node is `python -m scrapyd` from the test's virtual environment in a folder of its own:
its scrapyd.conf (a free port, its eggs, logs and queue there, no items files, a short poll),
HOME there (no ~/.scrapyd.conf of the person running the tests) and an explicit environment
with no VAHTI_* variable but VAHTI_SETTINGS, the node's settings file, which `use_database`
rewrites: each job reads it when it starts (vahti.scrapyd_node), so one pair of nodes serves
a whole test module with a database per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from config import CrawlSettings
from scrapers.runner import child_environment
from services.nodes import deploy, egg_version
from tests.support.children import TEST_CRAWL

START_TIMEOUT_SECONDS = 30.0
# A node on a loaded machine (the test suite runs beside much else) can be slow to answer.
HTTP_TIMEOUT_SECONDS = 30.0
CONF = """\
[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {folder}/eggs
logs_dir = {folder}/logs
dbs_dir = {folder}/dbs
items_dir =
jobs_to_keep = 50
finished_to_keep = 200
max_proc = {max_proc}
poll_interval = 0.2
{auth}"""


@dataclass
class ScrapydNode:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    settings_file: Path
    log_file: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the node with its running jobs (its process group)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def status(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/daemonstatus.json", timeout=HTTP_TIMEOUT_SECONDS)
        return dict(response.json())

    def jobs(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/listjobs.json",
            params={"project": "tapahtumavahti"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        return dict(response.json())

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _node_environment(folder: Path, settings_file: Path) -> dict[str, str]:
    env = child_environment()
    env.pop("PYTHONPATH", None)  # the jobs import the deployed egg, not this checkout
    env["HOME"] = str(folder)
    env["VAHTI_SETTINGS"] = str(settings_file)
    return env


def start_node(
    folder: Path, *, username: str = "", password: str = "", max_proc: int = 4
) -> ScrapydNode:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    auth = f"username = {username}\npassword = {password}\n" if username else ""
    (folder / "scrapyd.conf").write_text(
        CONF.format(port=port, folder=folder, auth=auth, max_proc=max_proc)
    )
    settings_file = folder / "node-settings.toml"
    settings_file.write_text('[database]\nurl = "sqlite:///nowhere/not-set-yet.db"\n')
    log_file = folder / "scrapyd.log"
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=folder,
            env=_node_environment(folder, settings_file),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    node = ScrapydNode(folder, port, process, settings_file, log_file)
    give_up = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < give_up:
        if not node.alive():
            break
        try:
            httpx.get(f"{node.url}/daemonstatus.json", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.1)
            continue
        return node
    tail = node.log()[-1500:]
    node.kill()
    pytest.skip(f"Scrapyd could not start on 127.0.0.1:{port}: {tail or 'no output'}")


def start_nodes(count: int, folder: Path, **options: Any) -> list[ScrapydNode]:
    nodes: list[ScrapydNode] = []
    try:
        for index in range(count):
            nodes.append(start_node(folder / f"node{index + 1}", **options))
    except BaseException:
        stop_nodes(nodes)
        raise
    return nodes


def stop_nodes(nodes: list[ScrapydNode]) -> None:
    for node in nodes:
        if node.alive():
            node.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.process.wait(timeout=10)
        node.kill()


def use_database(nodes: list[ScrapydNode], url: str) -> None:
    """Point the nodes' jobs at this database (each job reads it when it starts)."""
    for node in nodes:
        node.settings_file.write_text(f"[database]\nurl = {url!r}\n".replace("'", '"'))


def node_crawl(nodes: list[ScrapydNode], **crawl: Any) -> CrawlSettings:
    """The tests' crawl settings (TEST_CRAWL) with the scrapyd backend on these nodes, polled
    often and given up soon."""
    values: dict[str, Any] = {
        **TEST_CRAWL,
        "backend": "scrapyd",
        "scrapyd_urls": [node.url for node in nodes],
        "scrapyd_poll_seconds": 0.2,
        "scrapyd_lost_seconds": 3.0,
    }
    return CrawlSettings(**{**values, **crawl})


def vahti_env_for(nodes: list[ScrapydNode], poll: float = 0.2, lost: float = 3.0) -> dict[str, str]:
    """The environment that makes a `vahti` process crawl on these nodes."""
    return {
        "VAHTI_CRAWL__BACKEND": "scrapyd",
        "VAHTI_CRAWL__SCRAPYD_URLS": json.dumps([node.url for node in nodes]),
        "VAHTI_CRAWL__SCRAPYD_POLL_SECONDS": str(poll),
        "VAHTI_CRAWL__SCRAPYD_LOST_SECONDS": str(lost),
    }


async def deploy_to(nodes: list[ScrapydNode]) -> str:
    """Build the egg and deploy it to the nodes (services.nodes, as `vahti nodes deploy`)."""
    version = egg_version("0.0.1")
    reports = await deploy(node_crawl(nodes), version)
    assert all(report.ok for report in reports), reports
    return version


@contextmanager
def running_nodes(
    count: int, folder: Path, *, deployed: bool = True
) -> Iterator[list[ScrapydNode]]:
    """`count` nodes in `folder`, the egg deployed to them (outside an event loop), stopped
    at the end."""
    nodes = start_nodes(count, folder)
    try:
        if deployed:
            asyncio.run(deploy_to(nodes))
        yield nodes
    finally:
        stop_nodes(nodes)


def restart_node(node: ScrapydNode) -> ScrapydNode:
    """Start a killed node again in its folder, on its port, with its eggs (what systemd's
    Restart= does); its running jobs are gone. Waits until it answers."""
    with node.log_file.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=node.folder,
            env=_node_environment(node.folder, node.settings_file),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    again = ScrapydNode(node.folder, node.port, process, node.settings_file, node.log_file)
    give_up = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < give_up and again.alive():
        try:
            httpx.get(f"{again.url}/daemonstatus.json", timeout=1)
            return again
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"Scrapyd did not start again on port {node.port}: {node.log()[-1500:]}")
