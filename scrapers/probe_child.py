"""Auto-detection in its own process: `python -m scrapers.probe_child --url U`.

Fetches the URL (and the few pages auto-detection wants to check) with Scrapy, under the same
settings as crawls (robots.txt, politeness, size and time limits, the private-network guard),
and prints the detection as one JSON object on stdout:

    {"kind": "ics", "url": "...", "reason": "...", "records": 12, "config": {},
     "tried": ["..."], "hint": null}

``kind`` is null when nothing fits; ``hint`` then says how to configure selectors. The crawl
settings come from the parent as JSON on stdin (``scrapers.handoff``), nowhere else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from twisted.python.failure import Failure

from scrapers.handoff import HandoffError, read_settings
from scrapers.route_probe import Probe
from scrapers.scrapy_settings import scrapy_settings
from text.sanitise import clean_data

PROBE_TIME_LIMIT = 60


class ProbeSpider(scrapy.Spider):
    """Fetches what the probe asks for, one page after the other."""

    name = "probe"

    def __init__(self, probe: Probe, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = probe

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._next():
            yield request

    def _next(self) -> Iterator[scrapy.Request]:
        url = self.probe.next_url()
        if url is not None:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error, dont_filter=True)

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        self.probe.feed(response.url, response.status, content_type, response.body)
        yield from self._next()

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        self.probe.failed(url, failure.getErrorMessage() or repr(failure.value))
        yield from self._next()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scrapers.probe_child", epilog="The settings come as JSON on stdin."
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--config", default="{}", help="source config as JSON")
    parser.add_argument("--timezone")
    parser.add_argument("--time-limit", type=int, default=PROBE_TIME_LIMIT)
    args = parser.parse_args(argv)
    try:
        crawl = read_settings(sys.stdin).crawl
    except HandoffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    probe = Probe(
        args.url,
        datetime.now(UTC),
        config=json.loads(args.config),
        timezone=args.timezone or crawl.default_timezone,
        languages=tuple(crawl.languages),
    )
    process = CrawlerProcess(
        {**scrapy_settings(crawl, time_limit=args.time_limit), "LOG_INSTALL_ROOT_HANDLER": True}
    )
    process.crawl(ProbeSpider, probe=probe)
    process.start()
    # The reasons quote the site (a content type, a link): no control or format characters.
    json.dump(clean_data(probe.result().to_json()), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
