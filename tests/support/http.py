"""A real HTTP server on 127.0.0.1 serving saved pages, with routes for faults.

    server.add("/events/", b"<html>...", content_type="text/html")
    server.serve_folder(FIXTURES / "jsonld", prefix="/site/")
    server.add("/slow", b"...", delay=5)
    server.add("/broken", b"oops", status=500)
    server.redirect("/old", "/new")
    server.url("/events/")  # -> http://127.0.0.1:PORT/events/

Static routes answer ETag / If-None-Match and Last-Modified / If-Modified-Since with 304.
Every request is logged in ``server.requests``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

LAST_MODIFIED = "Wed, 25 Nov 2026 10:00:00 GMT"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    conditional: bool = True
    handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]] | None = None


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]


class SiteServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[LoggedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- configuration -------------------------------------------------------------------
    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        conditional: bool = True,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        if content_type is None:
            guessed = mimetypes.guess_type(urlsplit(path).path)[0] or "text/html"
            content_type = guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
        self.routes[path] = Route(
            data, status, content_type, dict(headers or {}), delay, conditional
        )
        return self.url(path)

    def add_handler(
        self,
        path: str,
        handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]],
    ) -> str:
        self.routes[path] = Route(handler=handler)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.add(path, b"", status=status, headers={"Location": location}, conditional=False)

    def serve_folder(self, folder: Path, prefix: str = "/") -> None:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                relative = file.relative_to(folder).as_posix()
                path = prefix + relative
                if relative.endswith("index.html"):
                    self.add(
                        path[: -len("index.html")],
                        file.read_bytes(),
                        content_type="text/html; charset=utf-8",
                    )
                self.add(path, file.read_bytes())

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}{path}"

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _answer(self, head: bool) -> None:
                server.requests.append(
                    LoggedRequest(self.command, self.path, dict(self.headers.items()))
                )
                route = server.routes.get(self.path) or server.routes.get(
                    urlsplit(self.path).path if "?" not in self.path else self.path
                )
                if route is None:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found", head)
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.handler is not None:
                    status, headers, body = route.handler(self)
                    self._send(status, headers, body, head)
                    return
                headers = {"Content-Type": route.content_type, **route.headers}
                if route.conditional and route.status == 200:
                    etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                    headers.setdefault("ETag", etag)
                    headers.setdefault("Last-Modified", LAST_MODIFIED)
                    if self.headers.get("If-None-Match") == headers["ETag"] or (
                        self.headers.get("If-Modified-Since") == headers["Last-Modified"]
                        and "If-None-Match" not in self.headers
                    ):
                        self._send(304, {"ETag": headers["ETag"]}, b"", head=True)
                        return
                self._send(route.status, headers, route.body, head)

            def _send(self, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header(
                        "Content-Length", str(len(body)) if not head or status != 304 else "0"
                    )
                    self.end_headers()
                    if not head:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
