"""Requests per second for the Atom feed with 200 entries: built cold, and answered 304.

    python bench/feeds.py [--events 250] [--cold 300] [--not-modified 3000] [--clients 1]

One uvicorn worker serves the real app on 127.0.0.1 (a child process, SQLite in a temporary
folder, 250 upcoming events with descriptions of about 1.5 KB, so the feed holds its limit of
200); this process is the load loop (httpx, keep-alive, `--clients` threads). Three runs:

* cold: no validators, every answer is the whole feed built from the store (200 OK);
* If-None-Match: the ETag of the last answer (304, from the ETag cache, the events unread);
* If-Modified-Since: the Last-Modified of the last answer (304).

Prints requests per second, latency percentiles, the body size, CPU time of the server and
the machine's load average, and the ratio of each 304 run to the cold one.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ["job-fair", "seminar", "course", "workshop", "networking", "mentoring", "webinar"]
CITIES = ["Helsinki", "Espoo", "Vantaa", "Tampere", "Turku", "Oulu", None]
WORDS = [
    "rekrytointi",
    "työnhaku",
    "ura",
    "verkosto",
    "mentorointi",
    "koulutus",
    "yrittäjyys",
    "kielikahvila",
    "CV",
    "haastattelu",
    "palkkaneuvottelu",
    "työelämä",
    "osaaminen",
    "kansainvälinen",
    "maahanmuuttaja",
]


def seed(database_url: str, count: int, now: datetime) -> None:
    from store.db import make_engine, session_factory
    from store.migrate import upgrade
    from store.models import Event

    engine = make_engine(database_url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        for n in range(count):
            start = now + timedelta(days=1 + n // 4, hours=n % 4 * 2)
            words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(12))
            paragraph = f"<p>{words.capitalize()}. " + ("Lisätietoja ja ilmoittautuminen. " * 6)
            session.add(
                Event(
                    title=f"Tapahtuma {n}: {WORDS[n % len(WORDS)]} {WORDS[n * 7 % len(WORDS)]}",
                    titles={"en": f"Event {n}", "sv": f"Evenemang {n}"},
                    description_html=paragraph * 3 + "</p>",
                    description_text=words * 8,
                    start_at=start,
                    end_at=start + timedelta(hours=2),
                    city=CITIES[n % len(CITIES)],
                    attendance="online" if n % 7 == 6 else "onsite",
                    categories=[CATEGORIES[n % len(CATEGORIES)]],
                    language="fi",
                    url=f"https://organiser{n % 9}.example.fi/events/{n}",
                    urls=[f"https://organiser{n % 9}.example.fi/events/{n}"],
                    deadline_at=start - timedelta(days=2) if n % 5 == 0 else None,
                    created_at=now - timedelta(days=3),
                    updated_at=now - timedelta(days=2, minutes=n),
                )
            )
    engine.dispose()


def serve(database_url: str, port: int) -> None:
    """The child: one uvicorn worker with the real app."""
    import uvicorn

    from store.db import make_engine, session_factory
    from web.app import create_app
    from web.config import WebConfig

    config = WebConfig(base_url=f"http://127.0.0.1:{port}", secret_key=b"bench-secret")
    app = create_app(config, session_factory(make_engine(database_url)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", workers=1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    url: str, requests: int, clients: int, headers: dict[str, str], expect: int
) -> tuple[float, list[float], int]:
    """`requests` GETs from `clients` threads; (seconds, latencies, last body size)."""
    import httpx

    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    per_client = max(requests // clients, 1)

    def work() -> None:
        mine: list[float] = []
        with httpx.Client(timeout=30) as client:
            for _ in range(per_client):
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                mine.append(time.perf_counter() - started)
                if response.status_code != expect:
                    raise SystemExit(f"expected {expect}, got {response.status_code}")
                sizes.append(len(response.content))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, sizes[-1] if sizes else 0


def report(name: str, seconds: float, latencies: list[float], size: int, cpu: float) -> float:
    rate = len(latencies) / seconds
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    print(
        f"{name:<24} {len(latencies):>6} requests in {seconds:6.2f} s: {rate:8.1f} req/s  "
        f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  body {size:>7} B  server CPU {cpu:5.2f} s"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=250)
    parser.add_argument("--cold", type=int, default=300, help="requests without validators")
    parser.add_argument("--not-modified", type=int, default=3000, help="conditional requests")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0

    import httpx

    folder = Path(tempfile.mkdtemp(prefix="vahti-bench-feeds-"))
    database_url = f"sqlite:///{folder / 'bench.db'}"
    seed(database_url, args.events, datetime.now(UTC))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", database_url, "--port", str(port)], env=env
    )
    url = f"http://127.0.0.1:{port}/feeds/events.atom?lang=fi"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                first = httpx.get(url, timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        entries = first.text.count("<entry>")
        print(
            f"Atom feed: {entries} entries of {args.events} events, {len(first.content)} B; "
            f"one uvicorn worker, {args.clients} client thread(s), load average before "
            f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )
        for _ in range(20):  # warm-up: imports, templates, connection pool
            httpx.get(url, timeout=5)
        runs = [
            ("cold (200)", args.cold, {}, 200),
            (
                "If-None-Match (304)",
                args.not_modified,
                {"If-None-Match": first.headers["etag"]},
                304,
            ),
            (
                "If-Modified-Since (304)",
                args.not_modified,
                {"If-Modified-Since": first.headers["last-modified"]},
                304,
            ),
        ]
        rates = []
        for name, count, headers, expect in runs:
            before = cpu_seconds(server.pid)
            seconds, latencies, size = load(url, count, args.clients, headers, expect)
            rates.append(report(name, seconds, latencies, size, cpu_seconds(server.pid) - before))
        print(
            f"ratios to cold: If-None-Match {rates[1] / rates[0]:.1f}x, "
            f"If-Modified-Since {rates[2] / rates[0]:.1f}x; load average after "
            f"{os.getloadavg()[0]:.2f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
