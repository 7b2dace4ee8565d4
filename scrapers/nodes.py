"""Scrapyd nodes over their JSON API: the crawl backend "scrapyd" (scrapers.remote) and
`vahti nodes` (services.nodes) talk to them only through `Node`.

Every call returns the node's JSON answer or raises `NodeError` with one line saying what went
wrong (unreachable, refused the login, answered with an error). The login comes from
`crawl.scrapyd_username` / `crawl.scrapyd_password` (environment only).
"""

from __future__ import annotations

from typing import Any

import httpx

from config import CrawlSettings

# The project name our egg is deployed under, and the one spider it offers (vahti.scrapyd_node).
PROJECT = "tapahtumavahti"
NODE_SPIDER = "vahti"
TIMEOUT_SECONDS = 10.0
# An egg upload makes the node list the egg's spiders in a process of its own: give it time.
UPLOAD_TIMEOUT_SECONDS = 120.0
LOG_TAIL_BYTES = 20_000
# A job's log line with this says its run failed for a reason of the node, not of the source
# (its settings, its database): the run is closed as cancelled (vahti.scrapyd_node writes it).
NODE_TROUBLE = "[vahti: the crawl node's trouble, not the source's]"


class NodeError(Exception):
    """A node could not be reached or refused the call (one line, naming the node)."""


class NodeUnreachable(NodeError):
    """No answer at all (connection refused, timed out): the node may be gone."""


class Node:
    def __init__(
        self, url: str, *, auth: tuple[str, str] | None = None, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self.url = url.rstrip("/")
        self.auth = auth
        self.timeout = timeout

    def _client(self) -> httpx.AsyncClient:
        # A client per call: nothing left open between calls or tied to one event loop.
        return httpx.AsyncClient(base_url=self.url, auth=self.auth, timeout=self.timeout)

    async def _call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        try:
            async with self._client() as client:
                response = await client.request(
                    method, f"/{endpoint}", params=params, data=data, files=files, **extra
                )
        except httpx.TimeoutException:
            raise NodeUnreachable(f"{self.url}: no answer to {endpoint} (timed out)") from None
        except httpx.TransportError as exc:
            raise NodeUnreachable(f"{self.url}: cannot reach it ({_reason(exc)})") from None
        if response.status_code == 401:
            raise NodeError(
                f"{self.url}: refused the login (set VAHTI_CRAWL__SCRAPYD_USERNAME and "
                "VAHTI_CRAWL__SCRAPYD_PASSWORD to the node's username and password)"
            )
        try:
            answer = response.json()
        except ValueError:
            raise NodeError(
                f"{self.url}: {endpoint} answered HTTP {response.status_code}, not JSON "
                "(is this a Scrapyd node?)"
            ) from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message") if isinstance(answer, dict) else answer
            first = str(message).strip().splitlines()
            raise NodeError(f"{self.url}: {endpoint}: {first[-1] if first else 'error'}")
        return answer

    # -- the JSON API --

    async def daemon_status(self) -> dict[str, Any]:
        """pending, running, finished (counts) and node_name."""
        return await self._call("GET", "daemonstatus.json")

    async def versions(self) -> list[str]:
        """The deployed versions of our project, oldest first (none: [])."""
        answer = await self._call("GET", "listversions.json", params={"project": PROJECT})
        return [str(version) for version in answer.get("versions", [])]

    async def add_version(self, version: str, egg: bytes) -> dict[str, Any]:
        return await self._call(
            "POST",
            "addversion.json",
            data={"project": PROJECT, "version": version},
            files={"egg": (f"{PROJECT}-{version}.egg", egg, "application/octet-stream")},
            timeout=UPLOAD_TIMEOUT_SECONDS,
        )

    async def schedule(
        self, job: str, args: dict[str, str], settings: dict[str, str]
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"project": PROJECT, "spider": NODE_SPIDER, "jobid": job}
        fields.update(args)
        fields["setting"] = [f"{name}={value}" for name, value in settings.items()]
        return await self._call("POST", "schedule.json", data=fields)

    async def jobs(self) -> dict[str, Any]:
        """listjobs.json: pending, running and finished jobs of our project."""
        return await self._call("GET", "listjobs.json", params={"project": PROJECT})

    async def cancel(self, job: str, signal: str = "KILL") -> dict[str, Any]:
        return await self._call(
            "POST", "cancel.json", data={"project": PROJECT, "job": job, "signal": signal}
        )

    async def log_tail(self, log_url: str) -> str:
        """The end of a job's log ("" when the node keeps no logs or it cannot be read)."""
        kept = b""
        try:
            async with self._client() as client, client.stream("GET", log_url) as response:
                if response.status_code != 200:
                    return ""
                async for chunk in response.aiter_bytes():
                    kept = (kept + chunk)[-LOG_TAIL_BYTES:]
        except httpx.HTTPError:
            return ""
        return kept.decode("utf-8", "replace")


def node_auth(crawl: CrawlSettings) -> tuple[str, str] | None:
    if not crawl.scrapyd_username:
        return None
    return crawl.scrapyd_username, crawl.scrapyd_password.get_secret_value()


def nodes_for(crawl: CrawlSettings, timeout: float = TIMEOUT_SECONDS) -> list[Node]:
    """A client for every node in `crawl.scrapyd_urls`, in that order."""
    auth = node_auth(crawl)
    return [Node(url, auth=auth, timeout=timeout) for url in crawl.scrapyd_urls]


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[-1]
