"""Does the daemon's event loop stay free while digests go out? (The web app shares that loop.)

    python bench/daemon.py [--subscribers 5000] [--events 2000]

Seeds N due subscribers and E events (bench/digest.py's seeding), starts an aiosmtpd sink in
its own process, and sends every digest twice, each time on a fresh copy of the database, while
a probe on the main event loop asks for a 5 ms sleep over and over and records how late it
wakes up (what a web request waiting on that loop would feel):

A. the daemon's way: `AppWork.digests` (plan + send) in a worker thread with its own loop;
B. for comparison, `send_pending` awaited on the main loop itself.

Prints digests per second and the probe's lateness (median, p99, max) for each, and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_digest", ROOT / "bench" / "digest.py")
assert _spec is not None and _spec.loader is not None
bench_digest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_digest)

PROBE_SLEEP = 0.005


@dataclass
class Figures:
    sent: int
    seconds: float
    late_ms: list[float]

    @property
    def rate(self) -> float:
        return self.sent / self.seconds

    @property
    def p99(self) -> float:
        late = sorted(self.late_ms)
        return late[int(len(late) * 0.99)]

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.sent} digests in {self.seconds:.1f} s ({self.rate:.0f}/s); "
            f"loop lateness median {statistics.median(self.late_ms):.1f} ms, "
            f"p99 {self.p99:.1f} ms, max {max(self.late_ms):.1f} ms "
            f"over {len(self.late_ms)} probes"
        )


async def probe(late: list[float], running: asyncio.Event) -> None:
    while running.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(PROBE_SLEEP)
        late.append((time.perf_counter() - asked - PROBE_SLEEP) * 1000)


def settings_for(url: str, port: int) -> Any:
    from config import DatabaseSettings, MailSettings, Settings

    return Settings(
        database=DatabaseSettings(url=url),
        mail=MailSettings(backend="smtp", host="127.0.0.1", port=port, connections=4),
    )


async def measure(url: str, port: int, daemon_way: bool) -> Figures:
    from digest.claim import make_worker_id
    from digest.periods import is_due
    from digest.plan import plan_deliveries
    from digest.send import send_pending
    from digest.transports import make_sender
    from scheduler.interface import StopFlags
    from store.db import make_engine, session_factory
    from vahti.daemon_work import AppWork

    settings = settings_for(url, port)
    engine = make_engine(url)
    sessions = session_factory(engine)
    config = bench_digest.bench_config()
    late: list[float] = []
    running = asyncio.Event()
    running.set()
    prober = asyncio.create_task(probe(late, running))
    started = time.perf_counter()
    now = datetime.now(UTC)
    if daemon_way:
        report = await asyncio.to_thread(
            AppWork(settings, sessions, config).digests, now, StopFlags()
        )
        sent = report.sent
    else:
        with sessions.begin() as session:
            plan_deliveries(session, now, message_id_domain=config.message_id_domain, due=is_due)
        sender = make_sender(settings.mail)
        summary = await send_pending(
            sessions, sender, config, now, make_worker_id(), wait_for_retries=False
        )
        await sender.close()
        sent = summary.sent
    seconds = time.perf_counter() - started
    running.clear()
    await prober
    engine.dispose()
    return Figures(sent, seconds, late)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    folder = Path(tempfile.mkdtemp(prefix="vahti-bench-daemon-"))
    try:
        seeded = folder / "seeded.db"
        now = datetime.now(UTC)
        print(f"seeding {args.subscribers} subscribers, {args.events} events ...", flush=True)
        bench_digest.seed(f"sqlite:///{seeded}", args.subscribers, args.events, now)
        engine = create_engine(f"sqlite:///{seeded}")
        with engine.begin() as connection:  # due now, whatever the day: Monday 00:00 UTC
            connection.execute(
                text("UPDATE subscribers SET send_day='mon', send_hour=0, timezone='UTC'")
            )
        engine.dispose()
        port = bench_digest.free_port()
        counter = multiprocessing.Value("i", 0)
        ready = multiprocessing.Event()
        sink = multiprocessing.Process(target=bench_digest.run_sink, args=(port, counter, ready))
        sink.start()
        ready.wait(30)
        try:
            results = {}
            for name, daemon_way in (("A daemon (thread)", True), ("B on the loop", False)):
                copy = folder / f"{'a' if daemon_way else 'b'}.db"
                shutil.copy(seeded, copy)
                results[name] = asyncio.run(measure(f"sqlite:///{copy}", port, daemon_way))
                print(results[name].line(name), flush=True)
        finally:
            sink.terminate()
            sink.join(10)
        a, b = results.values()
        print(
            f"ratios A/B: speed {a.rate / b.rate:.2f}, "
            f"p99 lateness {a.p99 / max(b.p99, 1e-6):.3f}, "
            f"max lateness {max(a.late_ms) / max(max(b.late_ms), 1e-6):.3f}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
