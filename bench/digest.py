"""Digest throughput: select + render + send N digests into an SMTP sink on 127.0.0.1.

    python bench/digest.py [--subscribers 20000] [--events 5000] [--connections 4]
                           [--compose-processes 1]

1. Seeds a fresh SQLite database (or --database URL) with N subscribers of varied preferences
   and E events of varied categories, cities, languages, deadlines and texts.
2. Starts an aiosmtpd sink in its own process (it counts and discards messages).
3. Raw limit: N pre-rendered digests (200 real ones, cycled) sent straight through aiosmtplib
   over the same number of connections: what the sink and the transport can take.
4. The real thing, in a fresh child process: `plan_deliveries` + `send_pending` (claim,
   select, render, build, send, record each as sent) for every subscriber.
   The raw limit is measured again afterwards: other work on the machine moves both figures,
   and the ratio is taken to the mean of the two.
5. Prints digests per second, the ratio to the raw limit (goal >= 0.75), the child's peak memory
   and its memory after 10 % and 50 % of the digests (goal: flat, independent of N; subscribers
   are streamed in claimed batches), and records the row `digests` in var/bench/results.json
   (bench/results.py). Compose processes: digest.compose_processes's default (one per core)
   unless --compose-processes says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import load_average, record  # noqa: E402

GOAL = 0.75

CITIES = ["Helsinki", "Espoo", "Vantaa", "Tampere", "Turku", "Oulu", "Jyväskylä", "Lahti"]
WORDS = ["python", "rekrytointi", "mentor", "startup", "data", "hoitoala", "kesätyö", "IT"]
TOPICS = ["Työnhaku", "Rekrytointimessut", "Verkostoitumisilta", "Mentorointi", "Urapolku"]


def rss_mb() -> float:
    """Resident memory now, in MiB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the sink ------------------------------------------------------------------------------


def run_sink(port: int, counter: Any, ready: Any) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- seeding -------------------------------------------------------------------------------


def seed(url: str, subscribers: int, events: int, now: datetime) -> None:
    from sqlalchemy import insert

    from store import vocab
    from store.db import make_engine
    from store.migrate import upgrade
    from store.models import Event, Subscriber

    rng = random.Random(2026)
    engine = make_engine(url)
    upgrade(engine)
    event_rows = []
    for index in range(events):
        start = now + timedelta(hours=rng.uniform(1, 24 * 60))
        has_deadline = rng.random() < 0.15
        topic = rng.choice(TOPICS)
        word = rng.choice(WORDS)
        event_rows.append(
            {
                "title": f"{topic}: {word} {index}",
                "titles": {"fi": f"{topic}: {word} {index}", "en": f"{word} event {index}"},
                "description_html": "",
                "description_text": f"Tervetuloa! {topic} {word}. " * rng.randint(5, 30),
                "descriptions": {},
                "start_at": start,
                "end_at": start + timedelta(hours=2),
                "timezone": "Europe/Helsinki",
                "all_day": False,
                "url": f"https://organiser{index % 50}.example/e/{index}",
                "urls": [f"https://organiser{index % 50}.example/e/{index}"]
                + ([f"https://aggregator.example/{index}"] if rng.random() < 0.3 else []),
                "venue": rng.choice(["Kirjasto", "Messukeskus", "Työväenopisto", None]),
                "city": rng.choice(CITIES),
                "attendance": rng.choice(vocab.ATTENDANCE_MODES),
                "language": rng.choice(["fi", "fi", "en", "sv"]),
                "languages": [],
                "categories": rng.sample(vocab.CATEGORIES, rng.randint(1, 2)),
                "audiences": rng.sample(vocab.AUDIENCES, rng.randint(0, 1)),
                "status": vocab.SCHEDULED,
                "deadline_at": start - timedelta(days=rng.uniform(1, 30)) if has_deadline else None,
                "listing_count": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    people = []
    for index in range(subscribers):
        people.append(
            {
                "email": f"reader{index:06d}@example.fi",
                "status": vocab.SUBSCRIBER_ACTIVE,
                "language": rng.choice(vocab.LANGUAGES),
                "timezone": "Europe/Helsinki",
                "send_day": "mon",
                "send_hour": 8,
                "categories": rng.sample(vocab.CATEGORIES, rng.randint(0, 3)),
                "keywords": rng.sample(WORDS, rng.randint(0, 2)),
                "cities": rng.sample(CITIES, rng.randint(0, 2)),
                "include_online": rng.random() < 0.7,
                "event_languages": rng.sample(["fi", "en", "sv"], rng.randint(0, 2)),
                "audiences": rng.sample(vocab.AUDIENCES, rng.randint(0, 1)),
                "max_items": 15,
                "token_version": 1,
                "permanent_failures": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    with engine.begin() as connection:
        for start in range(0, len(event_rows), 1000):
            connection.execute(insert(Event), event_rows[start : start + 1000])
        for start in range(0, len(people), 2000):
            connection.execute(insert(Subscriber), people[start : start + 2000])
    engine.dispose()


# -- the raw limit -------------------------------------------------------------------------


def sample_messages(url: str, now: datetime, count: int) -> list[tuple[str, bytes]]:
    """`count` real digests, rendered and flattened ahead of time."""
    from digest.compose import compose, to_message
    from digest.load import load_pool, load_subscribers
    from digest.message import new_message_id
    from store.db import make_engine, session_factory

    config = bench_config()
    engine = make_engine(url)
    with session_factory(engine)() as session:
        pool = load_pool(session, now, config.window_days, config.deadline_days)
        rows = load_subscribers(session, list(range(1, count + 1)))
    engine.dispose()
    messages = []
    for row in rows:
        composed = compose(row, pool, {}, config, now)
        message = to_message(
            composed,
            email=row["email"],
            message_id=new_message_id(config.message_id_domain),
            date=now,
            config=config,
        )
        messages.append((row["email"], message.as_bytes()))
    return messages


async def raw_limit(
    port: int, messages: list[tuple[str, bytes]], total: int, connections: int
) -> float:
    import aiosmtplib

    queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
    for index in range(total):
        queue.put_nowait(messages[index % len(messages)])
    for _ in range(connections):
        queue.put_nowait(None)

    async def connection() -> None:
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=False, local_hostname="bench.example"
        )
        await client.connect()
        while (item := await queue.get()) is not None:
            await client.sendmail("digest@vahti.example", [item[0]], item[1])
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return total / (time.perf_counter() - started)


# -- the real thing (child process) --------------------------------------------------------


def bench_config() -> Any:
    from digest.compose import DigestConfig

    return DigestConfig(
        base_url="https://vahti.example",
        secret=b"bench-secret",
        from_address="Tapahtumavahti <digest@vahti.example>",
        message_id_domain="vahti.example",
        connections=4,
    )


def child(url: str, port: int, connections: int, processes: int, now: datetime) -> None:
    from dataclasses import replace

    from digest.claim import make_worker_id
    from digest.plan import every_subscriber, plan_deliveries
    from digest.send import send_pending
    from digest.smtp import SmtpSender
    from store.db import make_engine, session_factory

    config = replace(bench_config(), connections=connections, compose_processes=processes)
    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        planned = plan_deliveries(
            session, now, message_id_domain=config.message_id_domain, due=every_subscriber
        ).created
    planned_at = time.perf_counter()
    samples: dict[str, float] = {}

    def progress(_kind: str, _job: Any, summary: Any) -> None:
        done = summary.sent + summary.empty + summary.failed
        for share in (0.1, 0.5):
            key = f"{int(share * 100)}%"
            if key not in samples and done >= share * planned:
                samples[key] = rss_mb()

    async def go() -> Any:
        sender = SmtpSender(
            host="127.0.0.1", port=port, connections=connections, local_hostname="bench.example"
        )
        try:
            return await send_pending(
                sessions, sender, config, now, make_worker_id(), progress=progress
            )
        finally:
            await sender.close()

    cpu = time.process_time()
    summary = asyncio.run(go())
    finished = time.perf_counter()
    cpu = time.process_time() - cpu
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the compose processes, joined
    engine.dispose()
    print(
        json.dumps(
            {
                "planned": planned,
                "plan_seconds": planned_at - started,
                "send_seconds": finished - planned_at,
                "send_cpu_seconds": cpu,
                "compose_cpu_seconds": helpers.ru_utime + helpers.ru_stime,
                "compose_peak_mb": helpers.ru_maxrss / 1024,
                "sent": summary.sent,
                "empty": summary.empty,
                "failed": summary.failed,
                "rss_samples": samples,
                "peak_mb": peak_mb(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--compose-processes",
        type=int,
        default=None,
        help="processes composing beside the sender (default: digest.compose_processes's "
        "default, one per core)",
    )
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database (default: SQLite)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(
            args.database,
            args.port,
            args.connections,
            args.compose_processes,
            datetime.fromisoformat(args.now),
        )
        return

    if args.compose_processes is None:
        from config import DigestSettings
        from digest.compose import compose_processes

        args.compose_processes = compose_processes(DigestSettings().compose_processes)
    load_before = load_average()
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    workdir = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    url = args.database or f"sqlite:///{workdir / 'bench.db'}"
    print(f"seeding {args.subscribers} subscribers and {args.events} events ({url})")
    started = time.perf_counter()
    seed(url, args.subscribers, args.events, now)
    print(f"  seeded in {time.perf_counter() - started:.1f} s")

    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    ready = context.Event()
    port = free_port()
    sink = context.Process(target=run_sink, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        messages = sample_messages(url, now, min(200, args.subscribers))
        average = sum(len(data) for _, data in messages) / len(messages)
        cpu = time.process_time()
        raw_before = asyncio.run(raw_limit(port, messages, args.subscribers, args.connections))
        raw_cpu = (time.process_time() - cpu) / args.subscribers * 1000
        print(
            f"raw limit before: {raw_before:.0f} messages/s ({args.subscribers} pre-rendered "
            f"digests of {average / 1024:.1f} KB on average, {args.connections} connections; "
            f"the client's CPU: {raw_cpu:.1f} ms a message)"
        )
        before = counter.value
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--database",
                url,
                "--port",
                str(port),
                "--connections",
                str(args.connections),
                "--compose-processes",
                str(args.compose_processes),
                "--now",
                now.isoformat(),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        received = counter.value - before
        raw_after = asyncio.run(raw_limit(port, messages, args.subscribers, args.connections))
        print(f"raw limit after: {raw_after:.0f} messages/s")
    finally:
        sink.terminate()
        sink.join(5)

    rate = figures["sent"] / figures["send_seconds"]
    print(
        f"digests: {figures['sent']} sent, {figures['empty']} empty, {figures['failed']} failed; "
        f"sink received {received}"
    )
    print(f"  planning {figures['planned']} deliveries: {figures['plan_seconds']:.1f} s")
    print(
        f"  select + render + send + record: {figures['send_seconds']:.1f} s = {rate:.0f} digests/s"
    )
    sent = max(figures["sent"], 1)
    print(
        f"  CPU, sending process: {figures['send_cpu_seconds'] / sent * 1000:.1f} ms a digest "
        f"({figures['send_cpu_seconds'] / figures['send_seconds'] * 100:.0f} % of a core while "
        "sending)"
    )
    if args.compose_processes:
        print(
            f"  CPU, {args.compose_processes} compose process(es): "
            f"{figures['compose_cpu_seconds'] / sent * 1000:.1f} ms a digest "
            f"({figures['compose_cpu_seconds'] / figures['send_seconds'] * 100:.0f} % of a core), "
            f"peak memory {figures['compose_peak_mb']:.0f} MiB"
        )
    raw = (raw_before + raw_after) / 2
    print(f"  ratio to the raw limit (mean of before and after): {rate / raw:.2f} (goal >= {GOAL})")
    samples = ", ".join(f"{k}: {v:.0f} MiB" for k, v in figures["rss_samples"].items())
    print(f"  memory: {samples}; peak {figures['peak_mb']:.0f} MiB (goal: flat as N grows)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  load average: {load} on {os.cpu_count()} cores")
    record(
        "digests",
        figure=rate,
        anchor=raw,
        ratio=rate / raw,
        goal=GOAL,
        unit="digests/s",
        load_before=load_before,
        details={
            "subscribers": args.subscribers,
            "events": args.events,
            "compose_processes": args.compose_processes,
            "raw_before": round(raw_before, 1),
            "raw_after": round(raw_after, 1),
            "send_cpu_ms": round(figures["send_cpu_seconds"] / sent * 1000, 2),
            "compose_cpu_ms": round(figures["compose_cpu_seconds"] / sent * 1000, 2),
            "memory_mib": {k: round(v) for k, v in figures["rss_samples"].items()},
            "peak_mib": round(figures["peak_mb"]),
            "compose_peak_mib": round(figures["compose_peak_mb"]),
        },
    )


if __name__ == "__main__":
    main()
