"""Feeds: Atom with 200 entries against a bare Starlette endpoint, data unchanged and changed.

    python bench/feeds.py [--events 250] [--requests 300] [--changes 100] [--rounds 3]

Two uvicorn servers, each one worker on 127.0.0.1 in a child process started the same way:
the real app (SQLite in a temporary folder, 250 upcoming events with descriptions of about
1.5 KB, so the Atom feed holds its limit of 200) and a bare Starlette endpoint that returns the
same feed bytes. This process is the load loop (httpx, keep-alive, one client). Rows in
var/bench/results.json (bench/results.py):

* ``feeds-unchanged``: the feed with the data unchanged, plain GETs (200 with the body):
  our requests/s / the bare endpoint's, in rounds that alternate the two (goal >= 0.5);
* ``feeds-after-change``: the first request after the data changed: before each request one
  event's title changes (and its updated_at and sequence, as the dedupe job writes them), the
  request is timed and must show the new title; figure in requests/s, absolute goal >= 100
  requests/s. Anchor: the bare endpoint's requests/s from the same run (the row's goal is
  100 / anchor, so `met` is the absolute goal).

Also printed (in the rows' details): a render from nothing after every event changed, and
the 304 answers to If-None-Match and If-Modified-Since.
"""

from __future__ import annotations

import argparse
import json
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import load_average, record  # noqa: E402

GOAL_UNCHANGED = 0.5
GOAL_AFTER_CHANGE = 100.0  # requests/s

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


def serve_bare(body_file: str, port: int) -> None:
    """The anchor's child: one uvicorn worker, one Starlette route returning the same bytes."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(body_file).read_bytes()

    def feed(_request: Request) -> Response:
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    app = Starlette(routes=[Route("/feeds/events.atom", feed)])
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


def start(mode: str, target: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, __file__, mode, target, "--port", str(port)], env=env
    )
    return server, port


def wait_for(url: str, server: subprocess.Popen[bytes]) -> Any:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, timeout=10)
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("a server did not start") from None
            time.sleep(0.2)


def change_one(engine: Any, event_id: int, mark: str) -> None:
    """One event changes as the dedupe job changes it: a shown value, updated_at, sequence."""
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE events SET title = :title, updated_at = :now, sequence = sequence + 1 "
                "WHERE id = :id"
            ),
            {"title": mark, "now": datetime.now(UTC), "id": event_id},
        )


def change_all(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(
            text("UPDATE events SET updated_at = :now, sequence = sequence + 1"),
            {"now": datetime.now(UTC)},
        )


def after_change(
    url: str, engine: Any, count: int, changes: Any, check: str | None, pid: int
) -> tuple[float, list[float], float]:
    """`count` times: change the data, then one timed GET; (requests/s, latencies, server CPU
    ms a request)."""
    import httpx

    cpu = cpu_seconds(pid)
    latencies = []
    with httpx.Client(timeout=30) as client:
        for n in range(count):
            mark = changes(n)
            started = time.perf_counter()
            response = client.get(url)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or (check and mark not in response.text):
                raise SystemExit(f"the change {mark!r} is not in the feed")
    cpu_ms = (cpu_seconds(pid) - cpu) / count * 1000
    return len(latencies) / sum(latencies), latencies, cpu_ms


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=250)
    parser.add_argument("--requests", type=int, default=300, help="plain GETs per round")
    parser.add_argument("--changes", type=int, default=100, help="changes, each then one GET")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--not-modified", type=int, default=1000, help="conditional requests")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    if args.serve_bare:
        serve_bare(args.serve_bare, args.port)
        return 0

    from store.db import make_engine

    load_before = load_average()
    folder = Path(tempfile.mkdtemp(prefix="vahti-bench-feeds-"))
    database_url = f"sqlite:///{folder / 'bench.db'}"
    seed(database_url, args.events, datetime.now(UTC))
    engine = make_engine(database_url)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        ours_server, ours_port = start("--serve", database_url)
        servers.append(ours_server)
        ours = f"http://127.0.0.1:{ours_port}/feeds/events.atom?lang=fi"
        first = wait_for(ours, ours_server)
        body_file = folder / "feed.atom"
        body_file.write_bytes(first.content)
        bare_server, bare_port = start("--serve-bare", str(body_file))
        servers.append(bare_server)
        bare = f"http://127.0.0.1:{bare_port}/feeds/events.atom?lang=fi"
        assert wait_for(bare, bare_server).content == first.content
        entries = first.text.count("<entry>")
        print(
            f"Atom feed: {entries} entries of {args.events} events, {len(first.content)} B; "
            f"one uvicorn worker each, one client; load average {load_before:.2f} on "
            f"{os.cpu_count()} CPUs"
        )
        for url in (ours, bare):  # warm-up: imports, templates, connection pool
            load(url, 30, 1, {}, 200)

        # (a) data unchanged: rounds alternating ours and the bare endpoint.
        totals = {"ours": [0.0, 0], "bare": [0.0, 0]}
        cpu = {"ours": 0.0, "bare": 0.0}
        for _ in range(args.rounds):
            for name, url, server in (("ours", ours, ours_server), ("bare", bare, bare_server)):
                before = cpu_seconds(server.pid)
                seconds, latencies, size = load(url, args.requests, 1, {}, 200)
                cpu[name] += cpu_seconds(server.pid) - before
                report(f"{name}, unchanged (200)", seconds, latencies, size, 0.0)
                totals[name][0] += seconds
                totals[name][1] += len(latencies)
        rate = {name: count / seconds for name, (seconds, count) in totals.items()}
        cpu_ms = {name: cpu[name] / totals[name][1] * 1000 for name in cpu}
        ratio = rate["ours"] / rate["bare"]
        print(
            f"unchanged: ours {rate['ours']:.1f} req/s ({cpu_ms['ours']:.2f} ms server CPU "
            f"each), bare {rate['bare']:.1f} req/s ({cpu_ms['bare']:.2f} ms): ratio {ratio:.3f}"
        )

        # (b) the first request after a change, one event at a time; then every event.
        ids = list(range(1, entries + 1))
        changed_rate, changed, changed_cpu = after_change(
            ours,
            engine,
            args.changes,
            lambda n: (change_one(engine, ids[n * 37 % len(ids)], f"Muutos {n}"), f"Muutos {n}")[1],
            "check",
            ours_server.pid,
        )
        report("first after a change", sum(changed), changed, len(first.content), 0.0)
        print(f"  server CPU {changed_cpu:.2f} ms a request")
        every_rate, every, every_cpu = after_change(
            ours,
            engine,
            max(args.changes // 10, 5),
            lambda n: change_all(engine),
            None,
            ours_server.pid,
        )
        report("after every event changed", sum(every), every, len(first.content), 0.0)
        print(f"  server CPU {every_cpu:.2f} ms a request")

        # 304s, for the record (a Last-Modified under a second old is withheld).
        time.sleep(1.1)
        latest = httpx_get(ours)
        not_modified = {}
        for name, headers in (
            ("if-none-match", {"If-None-Match": latest.headers["etag"]}),
            ("if-modified-since", {"If-Modified-Since": latest.headers["last-modified"]}),
        ):
            seconds, latencies, size = load(ours, args.not_modified, 1, headers, 304)
            not_modified[name] = report(f"{name} (304)", seconds, latencies, size, 0.0)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        engine.dispose()

    details = {
        "entries": entries,
        "body_bytes": len(first.content),
        "rounds": args.rounds,
        "requests_per_round": args.requests,
        "server_cpu_ms": {k: round(v, 3) for k, v in cpu_ms.items()},
        "not_modified_req_s": {k: round(v, 1) for k, v in not_modified.items()},
    }
    record(
        "feeds-unchanged",
        figure=rate["ours"],
        anchor=rate["bare"],
        ratio=ratio,
        goal=GOAL_UNCHANGED,
        unit="req/s",
        load_before=load_before,
        details=details,
    )
    record(
        "feeds-after-change",
        figure=changed_rate,
        anchor=rate["bare"],
        ratio=changed_rate / rate["bare"],
        goal=round(GOAL_AFTER_CHANGE / rate["bare"], 4),
        unit="req/s",
        load_before=load_before,
        details={
            **details,
            "goal_req_s": GOAL_AFTER_CHANGE,
            "anchor_is": "the bare endpoint's req/s (the goal is absolute: 100 req/s)",
            "changes": args.changes,
            "p50_ms": round(statistics.median(changed) * 1000, 2),
            "server_cpu_ms_after_change": round(changed_cpu, 2),
            "every_event_changed_req_s": round(every_rate, 1),
            "server_cpu_ms_every_event_changed": round(every_cpu, 2),
        },
    )
    print(json.dumps({"unchanged_ratio": round(ratio, 3), "after_change": round(changed_rate, 1)}))
    return 0


def httpx_get(url: str) -> Any:
    import httpx

    return httpx.get(url, timeout=10)


if __name__ == "__main__":
    sys.exit(main())
