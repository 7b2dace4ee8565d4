"""Serve the demo sites over HTTP on 127.0.0.1, for the demo, the tests and by hand.

``serve_sites()`` binds first (port 0 picks a free port), then renders every site with the
real base URL, then serves from a daemon thread. Responses carry ``ETag`` and
``Last-Modified`` and answer conditional requests with 304. A ``page=N`` query parameter
selects a page of a paged endpoint; other query parameters are ignored.

Run by hand: ``python -m demo.server --port 8100``.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import threading
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from demo.catalogue import helsinki_today
from demo.render import Resource
from demo.sites import DEMO_SITES, build_files

NOT_FOUND = b"404 Not Found\n"


def resolve(target: str) -> tuple[str, str]:
    """``(file key, path)`` for a request target: the path, plus ``?page=N`` when N > 1."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    page = parse_qs(parts.query).get("page", ["1"])[-1]
    return (f"{path}?page={page}" if page != "1" else path), path


class _Handler(BaseHTTPRequestHandler):
    server: _DemoHTTPServer
    server_version = "DemoSites/1.0"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        key, path = resolve(self.path)
        files = self.server.files
        resource = files.get(key)
        if resource is None:
            if not path.endswith("/") and path + "/" in files:
                self._redirect(path + "/")
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", NOT_FOUND, send_body)
            return
        etag = self.server.etags[key]
        if self._not_modified(etag):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validators(etag)
            self.end_headers()
            return
        self._send(HTTPStatus.OK, resource.content_type, resource.body, send_body, etag)

    def _not_modified(self, etag: str) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                return parsedate_to_datetime(if_modified_since) >= self.server.generated
            except (TypeError, ValueError):
                return False
        return False

    def _validators(self, etag: str) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", format_datetime(self.server.generated, usegmt=True))
        self.send_header("Cache-Control", "max-age=0, must-revalidate")

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        body: bytes,
        send_body: bool,
        etag: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag is not None:
            self._validators(etag)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    files: dict[str, Resource]
    etags: dict[str, str]
    generated: datetime
    verbose: bool


class DemoServer:
    """A running demo server; use as a context manager or call :meth:`stop`."""

    def __init__(
        self, httpd: _DemoHTTPServer, thread: threading.Thread, base_url: str, today: date
    ) -> None:
        self._httpd = httpd
        self._thread = thread
        self.base_url = base_url
        self.today = today

    @property
    def files(self) -> dict[str, Resource]:
        return self._httpd.files

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_sites(
    host: str = "127.0.0.1", port: int = 0, today: date | None = None, verbose: bool = False
) -> DemoServer:
    """Start serving every demo site; the content is generated once, for ``today``."""
    today = today or helsinki_today()
    httpd = _DemoHTTPServer((host, port), _Handler)
    bound_host, bound_port = httpd.server_address[:2]
    base_url = f"http://{bound_host!s}:{bound_port}"
    httpd.files = build_files(today, base_url)
    httpd.etags = {
        key: '"' + hashlib.sha256(res.body).hexdigest()[:32] + '"'
        for key, res in httpd.files.items()
    }
    httpd.generated = datetime.now(UTC).replace(microsecond=0)
    httpd.verbose = verbose
    thread = threading.Thread(target=httpd.serve_forever, name="demo-sites", daemon=True)
    thread.start()
    return DemoServer(httpd, thread, base_url, today)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the offline demo organiser sites.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="generate the events relative to this day (YYYY-MM-DD)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    server = serve_sites(args.host, args.port, args.today, args.verbose)
    print(f"Demo sites for {server.today.isoformat()} at {server.base_url}/")
    for site in DEMO_SITES:
        print(f"  {site.kind:<12} {site.start_url(server.base_url)}   {site.name}")
    print("Ctrl-C to stop.", flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
