"""The Scrapyd nodes of `crawl.scrapyd_urls`: deploy our Scrapy project to them and read their
status (`vahti nodes deploy`, `vahti nodes list`). The crawls themselves go through the crawl
queue (services.crawl_queue, scrapers.remote).

The egg is built from this checkout with setuptools (`bdist_egg`) in a temporary folder: the
packages a crawl needs (config, store, text, scrapers and the shell's `vahti.scrapyd_node`,
the Scrapy settings module named by the egg's ``scrapy`` entry point), with their data files.
The node's Python must have our dependencies installed but not this project itself (Scrapyd
eggs carry code, not dependencies, and Scrapyd appends the egg to sys.path: an installed copy
would win); docs/crawling.md#scrapyd-backend.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from config import CrawlSettings
from scrapers.nodes import PROJECT, Node, NodeError, nodes_for

ROOT = Path(__file__).resolve().parent.parent
# What a node imports: the crawl and what it stands on.
EGG_PACKAGES = ("config", "store", "text", "scrapers", "vahti")
SETTINGS_MODULE = "vahti.scrapyd_node"
BUILD_TIMEOUT_SECONDS = 300.0


class NodesError(Exception):
    """Nothing to deploy to, or the egg could not be built (one line)."""


@dataclass
class Deployed:
    url: str
    ok: bool
    message: str  # "deployed 0.1.0.2026... (1 spider)" or the trouble


@dataclass
class NodeStatus:
    url: str
    reachable: bool
    pending: int = 0
    running: int = 0
    finished: int = 0
    node_name: str = ""
    versions: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def version(self) -> str | None:
        """The version the node runs (Scrapyd runs the latest deployed one)."""
        return self.versions[-1] if self.versions else None

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "reachable": self.reachable,
            "node_name": self.node_name,
            "pending": self.pending,
            "running": self.running,
            "finished": self.finished,
            "version": self.version,
            "versions": self.versions,
            "error": self.error,
        }


def egg_version(release: str, now: datetime | None = None) -> str:
    """The release (vahti.__version__) plus the build time (UTC), so a later deploy is the
    newer version for Scrapyd, which runs the latest (it shows dots as underscores)."""
    return f"{release}.{(now or datetime.now(UTC)):%Y%m%d%H%M%S}"


_SETUP = """\
from setuptools import find_packages, setup

setup(
    name={project!r},
    version={version!r},
    packages=find_packages(include={include!r}),
    package_data={data!r},
    entry_points={{"scrapy": ["settings = {settings}"]}},
    zip_safe=False,
)
"""


def _data_files(package: Path) -> list[str]:
    """Every file of a package that is not Python code (text/data/*.json, the migrations'
    template...), relative to the package."""
    return sorted(
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )


def build_egg(version: str, root: Path = ROOT) -> bytes:
    """The project as a Scrapyd egg (bytes); NodesError when setuptools cannot build it."""
    with tempfile.TemporaryDirectory(prefix="vahti-egg-") as folder:
        work = Path(folder)
        for package in EGG_PACKAGES:
            shutil.copytree(
                root / package,
                work / package,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"),
            )
        (work / "setup.py").write_text(
            _SETUP.format(
                project=PROJECT,
                version=version,
                include=[f"{p}*" for p in EGG_PACKAGES],
                data={package: _data_files(root / package) for package in EGG_PACKAGES},
                settings=SETTINGS_MODULE,
            )
        )
        out = work / "dist"
        try:
            done = subprocess.run(
                [sys.executable, "setup.py", "-q", "bdist_egg", "--dist-dir", str(out)],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NodesError(f"cannot build the egg: {exc}") from None
        eggs = sorted(out.glob("*.egg")) if out.is_dir() else []
        if done.returncode != 0 or not eggs:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            why = lines[-1] if lines else f"exit code {done.returncode}"
            raise NodesError(f"cannot build the egg with setuptools: {why}")
        return eggs[0].read_bytes()


def _nodes(crawl: CrawlSettings) -> list[Node]:
    if not crawl.scrapyd_urls:
        raise NodesError(
            "no Scrapyd nodes: set crawl.scrapyd_urls, e.g. "
            "VAHTI_CRAWL__SCRAPYD_URLS='[\"http://127.0.0.1:6800\"]'"
        )
    return nodes_for(crawl)


async def _deploy_one(node: Node, version: str, egg: bytes) -> Deployed:
    try:
        answer = await node.add_version(version, egg)
    except NodeError as exc:
        return Deployed(node.url, False, str(exc).removeprefix(f"{node.url}: "))
    spiders = int(answer.get("spiders", 0))
    if spiders < 1:
        return Deployed(node.url, False, f"took {version} but lists no spider")
    return Deployed(node.url, True, f"deployed {PROJECT} {version}")


async def deploy(crawl: CrawlSettings, version: str, egg: bytes | None = None) -> list[Deployed]:
    """Build the egg (unless given) and upload it to every node (addversion.json) as
    `version` (see egg_version); one report per node, in the order of `crawl.scrapyd_urls`."""
    nodes = _nodes(crawl)
    if egg is None:
        egg = await asyncio.to_thread(build_egg, version)
    return list(await asyncio.gather(*(_deploy_one(node, version, egg) for node in nodes)))


async def _status(node: Node) -> NodeStatus:
    try:
        status = await node.daemon_status()
        versions = await node.versions()
    except NodeError as exc:
        return NodeStatus(node.url, False, error=str(exc).removeprefix(f"{node.url}: "))
    return NodeStatus(
        node.url,
        True,
        pending=int(status.get("pending", 0)),
        running=int(status.get("running", 0)),
        finished=int(status.get("finished", 0)),
        node_name=str(status.get("node_name", "")),
        versions=versions,
    )


async def node_statuses(crawl: CrawlSettings) -> list[NodeStatus]:
    """Each node's daemonstatus.json and deployed versions (listversions.json)."""
    return list(await asyncio.gather(*(_status(node) for node in _nodes(crawl))))
