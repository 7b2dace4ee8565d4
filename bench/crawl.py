"""Crawl throughput: our crawl against a bare Scrapy spider on the same local site.

    python bench/crawl.py            # 2,000 event pages
    python bench/crawl.py --pages 200

A local site (its own process, a minimal asyncio server on 127.0.0.1) serves one listing page
linking N event pages, each with one schema.org Event in JSON-LD. Politeness is off for both
(no delay, no AutoThrottle, no robots.txt, 16 requests at once). Both run as child
processes, timed from start to exit:

* bare: a Scrapy spider that only fetches the pages (links read with one CSS selector);
* ours: `scrapers.runner.crawl_one` on a stored source: the guard, conditional requests, the
  JSON-LD extractor, normalisation, upserts into SQLite, page memory, the CrawlRun;
* ours again: the same crawl a second time, when every page answers 304 Not Modified.

Prints pages per second and the ratio ours / bare, end to end, best of `--repeat` rounds; the
row "crawl" of var/bench/results.json (bench/results.py) holds it, goal at least 0.9.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import load_average, record  # noqa: E402
from config import CrawlSettings, DatabaseSettings  # noqa: E402
from scrapers.handoff import ChildSettings  # noqa: E402
from scrapers.runner import child_environment, crawl_one  # noqa: E402
from store.db import make_engine, session_factory  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Source  # noqa: E402

CONCURRENCY = 16
GOAL = 0.9  # our pages per second end to end / the bare spider's, at least

BARE_SPIDER = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        yield scrapy.Request(sys.argv[1], callback=self.listing)
    def listing(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.page)
    def page(self, response):
        pass

process = CrawlerProcess({
    "LOG_LEVEL": "WARNING", "REMOTE_CONTROL_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
    "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": %(concurrency)d, "CONCURRENT_REQUESTS_PER_DOMAIN": %(concurrency)d,
    "COOKIES_ENABLED": False, "RETRY_ENABLED": False,
})
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
stats = crawler.stats
print(stats.get_value("response_received_count", 0), stats.get_value("elapsed_time_seconds"))
"""


def event_page(number: int, start: datetime) -> bytes:
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": f"https://bench.example.fi/tapahtumat/{number}",
        "name": f"Rekrytointitilaisuus {number}: ohjelmistokehittäjät",
        "startDate": (start + timedelta(hours=number)).isoformat(),
        "location": {
            "@type": "Place",
            "name": "Kaapelitehdas",
            "address": {"addressLocality": "Helsinki"},
        },
        "description": "<p>Tapaa työnantajia ja kuule avoimista paikoista.</p>",
    }
    filler = "<p>Lorem ipsum dolor sit amet.</p>" * 20
    return (
        '<html><head><title>Tapahtuma</title><script type="application/ld+json">'
        f"{json.dumps(data, ensure_ascii=False)}</script></head><body>{filler}</body></html>"
    ).encode()


class FastSite:
    """A minimal asyncio HTTP/1.1 server with keep-alive and ETag / 304, so that the crawlers,
    not the site, are what the benchmark measures (http.server tops out first)."""

    def __init__(self, pages: int) -> None:
        start = datetime.now(UTC) + timedelta(days=7)
        links = "".join(f'<a href="/events/e{n}.html">{n}</a>' for n in range(pages))
        bodies = {"/events/": f"<html><body>{links}</body></html>".encode()}
        bodies |= {f"/events/e{n}.html": event_page(n, start) for n in range(pages)}
        self.responses: dict[str, tuple[bytes, bytes]] = {}
        for path, body in bodies.items():
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            self.responses[path] = (etag.encode(), head.encode() + body)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await reader.readuntil(b"\r\n\r\n"):
                lines = request.split(b"\r\n")
                path = lines[0].split(b" ")[1].decode()
                known = self.responses.get(path)
                if known is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif any(line.lower() == b"if-none-match: " + known[0] for line in lines):
                    writer.write(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n")
                else:
                    writer.write(known[1])
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def serve(pages: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    site = FastSite(pages)

    async def run() -> None:
        server = await asyncio.start_server(site.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        ready.put(f"http://127.0.0.1:{port}/events/")
        await server.serve_forever()

    asyncio.run(run())


# seconds end to end, pages, records, crawl seconds, CPU seconds of the child process
Timing = tuple[float, int, int, float, float]


def child_cpu() -> float:
    """CPU seconds used so far by finished child processes (ours and bare alike)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_bare(url: str, folder: Path) -> Timing:
    script = folder / "bare.py"
    script.write_text(BARE_SPIDER % {"concurrency": CONCURRENCY})
    began, cpu = time.perf_counter(), child_cpu()
    done = subprocess.run(
        [sys.executable, str(script), url], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - began
    pages, crawl_seconds = done.stdout.strip().splitlines()[-1].split()
    return seconds, int(pages), 0, float(crawl_seconds), child_cpu() - cpu


def run_ours(url: str, folder: Path, pages: int, source_id: int | None) -> Timing:
    database = f"sqlite:///{folder / 'bench.db'}"
    settings = ChildSettings(
        database=DatabaseSettings(url=database),
        crawl=CrawlSettings(
            allow_private_networks=True,
            obey_robots=False,
            download_delay=0.0,
            autothrottle=False,
            retries=0,
            concurrency_per_domain=CONCURRENCY,
            max_detail_pages=pages,
        ),
    )
    engine = make_engine(database)
    upgrade(engine)
    sessions = session_factory(engine)
    if source_id is None:
        with sessions.begin() as session:
            source = Source(name="bench", url=url, kind="jsonld")
            session.add(source)
            session.flush()
            source_id = source.id
    began, cpu = time.perf_counter(), child_cpu()
    result = asyncio.run(crawl_one(sessions, source_id, time_limit=600, child_settings=settings))
    seconds = time.perf_counter() - began
    engine.dispose()
    if result.failed:
        raise SystemExit(f"our crawl failed: {result.first_error}")
    cpu = child_cpu() - cpu
    return seconds, result.pages, result.records, result.crawl_seconds or seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds (bare, ours, ours again); best one counts"
    )
    args = parser.parse_args()
    os.environ.update(child_environment())
    load_before = load_average()
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(args.pages, ready), daemon=True)
    server.start()
    url = ready.get(timeout=60)
    timings: dict[str, list[Timing]] = {"bare": [], "ours": [], "again": []}
    try:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                timings["bare"].append(run_bare(url, folder))
                timings["ours"].append(run_ours(url, folder, args.pages, None))
                timings["again"].append(run_ours(url, folder, args.pages, 1))
    finally:
        server.terminate()
    print(f"local site: 1 listing page + {args.pages} event pages, {CONCURRENCY} at once")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end; "
        f"best of {args.repeat} rounds"
    )
    print(
        "end to end = child process start to exit; crawl = spider opened to closed; "
        "CPU = the child's CPU time (least disturbed by other load)"
    )
    labels = {
        "bare": ("bare Scrapy spider", ""),
        "ours": ("our crawl", "records stored"),
        "again": ("our crawl, all 304", "records carried"),
    }
    rates: dict[str, tuple[float, float, float]] = {}
    for key, (label, note) in labels.items():
        seconds, pages, records, _, _ = min(timings[key])
        crawl = min(t[3] for t in timings[key])
        cpu = min(t[4] for t in timings[key])
        rates[key] = (pages / seconds, pages / crawl, pages / cpu)
        every = ", ".join(f"{t[0]:.2f}" for t in timings[key])
        extra = f"; {records} {note}" if note else ""
        print(
            f"{label:<19}: {pages} pages; end to end {seconds:5.2f} s = {rates[key][0]:5.1f}/s; "
            f"crawl {crawl:5.2f} s = {rates[key][1]:5.1f}/s; CPU {cpu:5.2f} s = "
            f"{rates[key][2]:5.1f}/s{extra}  [{every}]"
        )
    ratios = [ours / bare for ours, bare in zip(rates["ours"], rates["bare"], strict=True)]
    verdict = "met" if ratios[0] >= GOAL else "NOT met"
    print(
        f"{'ratio ours / bare':<19}: end to end {ratios[0]:.2f} (goal >= {GOAL}: {verdict}); "
        f"crawl only {ratios[1]:.2f}; per CPU second {ratios[2]:.2f}"
    )
    record(
        "crawl",
        figure=rates["ours"][0],
        anchor=rates["bare"][0],
        ratio=ratios[0],
        goal=GOAL,
        unit="pages/s",
        load_before=load_before,
        details={
            "pages": args.pages,
            "rounds": args.repeat,
            "bare_s": [round(t[0], 3) for t in timings["bare"]],
            "ours_s": [round(t[0], 3) for t in timings["ours"]],
            "all_304_s": [round(t[0], 3) for t in timings["again"]],
            "crawl_only_ratio": round(ratios[1], 3),
            "cpu_ratio": round(ratios[2], 3),
            "all_304_ratio": round(rates["again"][0] / rates["bare"][0], 3),
        },
    )


if __name__ == "__main__":
    main()
