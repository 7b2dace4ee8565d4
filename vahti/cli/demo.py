"""`vahti demo`: the whole flow offline, on the bundled organiser sites.

Serves the demo sites on 127.0.0.1, adds them as sources (updating them by name on a second
run), crawls every site whose format is built, dedupes, adds three demo subscribers (fi, sv,
en), writes their digests to the file outbox, prints a summary, and serves the web app unless
--no-serve.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from demo.server import DemoServer
    from demo.sites import DemoSite
    from scrapers.handoff import ChildSettings
from rich.table import Table
from sqlalchemy import func, select

from services.sources import SourceError
from store.clock import utcnow
from store.models import Delivery, Event, Listing, Source
from vahti.cli.common import console, state
from vahti.unavailable import shown_url

# (email, language, categories, cities, event languages): three people with different needs.
DEMO_SUBSCRIBERS: tuple[tuple[str, str, list[str], list[str], list[str]], ...] = (
    (
        "aino.tyonhakija@example.fi",
        "fi",
        ["job-fair", "workshop", "course", "info-session"],
        ["Helsinki", "Espoo", "Vantaa"],
        [],
    ),
    (
        "sara.nykomling@example.fi",
        "sv",
        ["mentoring", "networking", "course", "seminar"],
        [],
        ["sv", "fi", "en"],
    ),
    (
        "david.newcomer@example.com",
        "en",
        ["seminar", "networking", "mentoring", "webinar", "job-fair", "info-session"],
        [],
        ["en"],
    ),
)
# The crawl children read their settings from the environment: the demo sites are on
# 127.0.0.1, and nobody needs to be polite to them.
# The demo's crawls (and the crawls its web app starts) fetch its 127.0.0.1 sites at once.
DEMO_CRAWL: dict[str, object] = {
    "allow_private_networks": True,
    "download_delay": 0.0,
    "autothrottle": False,
    "retries": 1,
}


def _demo_child_settings() -> ChildSettings:
    """The settings the demo's crawl children get: the crawl section with DEMO_CRAWL."""
    from scrapers.handoff import ChildSettings

    settings = state.app.settings
    crawl = settings.crawl.model_copy(update=DEMO_CRAWL)
    return ChildSettings(crawl=crawl, database=settings.database)


def _start_sites(port: int) -> DemoServer:
    from demo.server import serve_sites

    try:
        return serve_sites(port=port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
        console.print(f"port {port} is taken; serving the demo sites on a free port instead")
        return serve_sites(port=0)


def _source_config(site: DemoSite) -> dict[str, object]:
    if site.css:
        return dict(site.css)
    if site.detail_links:
        return {"follow": site.detail_links}
    return {}


def _upsert_sources(server: DemoServer) -> list[tuple[int, DemoSite]]:
    """Add the demo sites through the source service (or change them, found by name)."""
    from demo.sites import DEMO_SITES
    from services.sources import SourceSpec, add_source, change_source, enable_source
    from vahti.cli.sources import refuse, source_rules

    # The demo sites are on 127.0.0.1.
    rules = dataclasses.replace(source_rules(), allow_private_networks=True)
    now = utcnow()
    result = []
    with state.app.sessions.begin() as session:
        for site in DEMO_SITES:
            values: dict[str, Any] = {
                "url": site.start_url(server.base_url),
                "kind": site.kind,
                "config": _source_config(site),
                "language": site.languages[0],
                "languages": list(site.languages),
                "priority": site.priority,
                "timezone": rules.default_timezone,
            }
            try:
                source_id = session.scalar(select(Source.id).where(Source.name == site.name))
                if source_id is None:
                    spec = SourceSpec(name=site.name, interval_hours=6.0, **values)
                    source_id = add_source(session, spec, rules, now).id
                else:
                    change_source(session, source_id, values, rules, now)
                    enable_source(session, source_id, now)
            except SourceError as exc:
                refuse(exc)
            result.append((source_id, site))
    return result


def _add_subscribers() -> None:
    from services.subscribers import PreferenceValues, save_subscriber
    from vahti.cli.subscribers import digest_defaults

    now = utcnow()
    defaults = digest_defaults()
    with state.app.sessions.begin() as session:
        for email, language, categories, cities, event_languages in DEMO_SUBSCRIBERS:
            values = PreferenceValues(
                language=language,
                categories=categories,
                cities=cities,
                include_online=True,
                event_languages=event_languages,
                send_day=defaults.day,
                send_hour=defaults.hour,
            )
            save_subscriber(
                session,
                email,
                values,
                now=now,
                defaults=defaults,
                timezone=defaults.timezone,
                confirmed=True,
            )


def _count(model: type) -> int:
    with state.app.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after writing digests.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the web app.", min=0, max=65535)] = 8000,
) -> None:
    """Serve bundled demo sites, crawl them, dedupe, write three digests, serve the web app."""
    from dedupe.job import run_dedupe
    from digest.claim import make_worker_id
    from digest.plan import every_subscriber
    from digest.send import send_due
    from digest.transports import FileSender
    from scrapers.extractors import supported_kinds
    from services.crawl_queue import CrawlQueue
    from vahti.cli.digest import digest_config
    from vahti.cli.progress import CrawlProgress

    started = time.monotonic()
    ctx = state.app
    child = _demo_child_settings()
    server = _start_sites(ctx.settings.demo.sites_port)
    try:
        console.print(f"[bold]1/5[/bold] demo organiser sites at {server.base_url}/")
        sources = _upsert_sources(server)
        known = set(supported_kinds())
        crawlable = [sid for sid, site in sources if site.kind in known]
        waiting = [site.name for _sid, site in sources if site.kind not in known]
        console.print(f"[bold]2/5[/bold] crawling {len(crawlable)} of {len(sources)} sites")
        progress = CrawlProgress(console)
        with progress:
            queue = CrawlQueue(  # no dedupe here: step 3 runs it and counts what it joined
                ctx.sessions,
                max_parallel=ctx.settings.crawl.max_parallel,
                time_limit=ctx.settings.crawl.time_limit_seconds,
                child_settings=child,
                on_event=progress.on_event,
            )
            results = asyncio.run(queue.run(crawlable))
        progress.summary(results)
        for name in waiting:
            console.print(f"  not crawled yet (its format is not built yet): {name}")
        console.print("[bold]3/5[/bold] grouping listings into events")
        with ctx.sessions.begin() as session:
            grouped = run_dedupe(session, utcnow(), ctx.settings.dedupe.past_days)
        console.print("[bold]4/5[/bold] three demo subscribers (fi, sv, en) and their digests")
        _add_subscribers()
        outbox = Path(ctx.settings.mail.outbox_dir)
        web_url = f"http://127.0.0.1:{port}"
        config = dataclasses.replace(digest_config(), base_url=web_url)
        summary = asyncio.run(
            send_due(
                ctx.sessions,
                FileSender(outbox),
                config,
                utcnow(),
                make_worker_id(),
                due=every_subscriber,
            )
        )
    finally:
        if no_serve:
            server.stop()
    table = Table("", "", title="demo summary", show_header=False)
    table.add_row("sources", str(len(sources)))
    table.add_row(
        "crawled",
        f"{sum(not r.failed for r in results)} ok, {sum(r.failed for r in results)} failed",
    )
    table.add_row("listings", str(_count(Listing)))
    table.add_row(
        "events", f"{_count(Event)} ({grouped.duplicates_joined} duplicate listings joined)"
    )
    table.add_row(
        "digests",
        f"{summary.sent} written now, {summary.empty} empty; {_count(Delivery)} in all "
        "(one per subscriber and week)",
    )
    table.add_row("outbox", f"{outbox.resolve()}/ ({len(list(outbox.glob('*.eml')))} .eml)")
    table.add_row("database", shown_url(ctx.settings.database.url))
    table.add_row("time", f"{time.monotonic() - started:.1f} s")
    console.print(table)
    console.print("Look at a digest: vahti digest preview aino.tyonhakija@example.fi --text")
    if not no_serve:
        _serve_web(web_url, port, server)


def _serve_web(web_url: str, port: int, server: DemoServer) -> None:
    """The web app on 127.0.0.1:port until Ctrl-C (the demo sites stay up beside it)."""
    import uvicorn

    from digest.transports import FileSender
    from vahti.cli.serve import web_config
    from web.app import create_app

    ctx = state.app
    app = create_app(
        dataclasses.replace(
            web_config(ctx.settings, ctx.secret_key(), _demo_child_settings()), base_url=web_url
        ),
        ctx.sessions,
        sender=FileSender(Path(ctx.settings.mail.outbox_dir)),
    )
    console.print(
        f"[bold]5/5[/bold] web app at {web_url}/ (feeds at {web_url}/feeds/events.atom,"
        f" .ics, .rss, .json); demo sites at {server.base_url}/; Ctrl-C to stop"
    )
    try:
        uvicorn.run(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            server_header=False,
            proxy_headers=False,
        )
    finally:
        server.stop()
