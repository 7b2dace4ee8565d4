"""Real Scrapyd nodes on 127.0.0.1 for the "scrapyd" crawl backend's tests.

    nodes = start_nodes(2, tmp_path_factory.mktemp("nodes"))   # skips when Scrapyd cannot start
    use_database(nodes, db.url)          # what the nodes' jobs read (their settings file)
    crawl = node_crawl(nodes)            # crawl settings for the daemon side: backend scrapyd
    nodes[0].kill()                      # SIGKILL the node and its running jobs
    stop_nodes(nodes)

Each node is `python -m scrapyd` from the test's virtual environment in a folder of its own:
its scrapyd.conf (a free port, its eggs, logs and queue there, no items files, a short poll),
HOME there (no ~/.scrapyd.conf of the person running the tests) and an explicit environment
with no VAHTI_* variable but VAHTI_SETTINGS, the node's settings file, which `use_database`
rewrites: each job reads it when it starts (vahti.scrapyd_node), so one pair of nodes serves
a whole test module with a database per test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from config import CrawlSettings
from scrapers.runner import child_environment
from tests.support.children import TEST_CRAWL

START_TIMEOUT_SECONDS = 30.0
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
max_proc = 4
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
        response = httpx.get(f"{self.url}/daemonstatus.json", timeout=5)
        return dict(response.json())

    def jobs(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/listjobs.json", params={"project": "tapahtumavahti"}, timeout=5
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


def start_node(folder: Path, *, username: str = "", password: str = "") -> ScrapydNode:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    auth = f"username = {username}\npassword = {password}\n" if username else ""
    (folder / "scrapyd.conf").write_text(CONF.format(port=port, folder=folder, auth=auth))
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


def start_nodes(count: int, folder: Path, **login: str) -> list[ScrapydNode]:
    nodes: list[ScrapydNode] = []
    try:
        for index in range(count):
            nodes.append(start_node(folder / f"node{index + 1}", **login))
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
        "scrapyd_lost_seconds": 2.0,
    }
    return CrawlSettings(**{**values, **crawl})
