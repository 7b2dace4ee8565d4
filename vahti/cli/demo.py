"""`vahti demo`: the whole flow offline, on the bundled organiser sites.

Serves the demo sites on 127.0.0.1, adds them as sources (updating them on a second run),
crawls every site whose format is built, dedupes, adds three demo subscribers (fi, sv, en),
writes their digests to the file outbox, prints a summary, and serves the web app unless
--no-serve.

The demo touches only what is its own: its own database and outbox (demo.database_url,
demo.outbox_dir: var/demo/ by default; never database.url or mail.outbox_dir unless pointed
there on purpose with --database/--outbox), and in any database only its own sources (a demo
site's name with its start path on 127.0.0.1, whatever the port) and its own subscribers (the
three demo addresses; one that is not active, e.g. unsubscribed, is left as it is).
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.sources import SourceError
from store import vocab
from store.clock import utcnow
from store.models import Delivery, Event, Listing, Source, Subscriber
from vahti.cli.common import console, fail, state
from vahti.unavailable import shown_url

if TYPE_CHECKING:
    from config.schema import Settings
    from demo.server import DemoServer
    from demo.sites import DemoSite
    from scrapers.handoff import ChildSettings

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
    """The demo sites on `port`. A taken port is refused (nothing changed yet): the sources
    must not move to a port that is gone after the demo (VAHTI_DEMO__SITES_PORT=0 asks for any
    free port on purpose)."""
    from demo.server import serve_sites

    try:
        return serve_sites(port=port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
        fail(
            f"port {port} for the demo sites is taken (is another `vahti demo` running?); "
            "stop it, or set VAHTI_DEMO__SITES_PORT to a free port",
            code=1,
        )


def _demo_path(url: str) -> str:
    """A demo site URL without its scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _is_demo_source(source: Source, site: DemoSite) -> bool:
    """The demo's own source: the site's name and start path on the loopback (any port)."""
    host = urlsplit(source.url).hostname
    return (
        source.name == site.name
        and host in ("127.0.0.1", "localhost")
        and _demo_path(source.url) == _demo_path(site.start_url("http://127.0.0.1"))
    )


def _demo_sources(session: Session) -> dict[str, int]:
    """The demo's own sources by site name; a refusal when a source of another has a demo
    site's name (it is not changed)."""
    from demo.sites import DEMO_SITES

    found: dict[str, int] = {}
    for site in DEMO_SITES:
        for source in session.scalars(select(Source).where(Source.name == site.name)):
            if not _is_demo_source(source, site):
                fail(
                    f"source {source.id} {source.name!r} ({shown_url(source.url)}) is not the "
                    "demo's; run the demo on a database of its own (vahti demo --database URL)",
                    code=1,
                )
            found[site.name] = source.id
    return found


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
        own = _demo_sources(session)
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
                source_id = own.get(site.name)
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


def _add_subscribers() -> list[int]:
    """The demo's three subscribers, added or updated; the ids of those that are active. A
    demo address that is there but not active (unsubscribed, or waiting for confirmation) is
    left as it is: the demo never reactivates anyone."""
    from services.subscribers import PreferenceValues, save_subscriber
    from vahti.cli.subscribers import digest_defaults

    now = utcnow()
    defaults = digest_defaults()
    active: list[int] = []
    with state.app.sessions.begin() as session:
        for email, language, categories, cities, event_languages in DEMO_SUBSCRIBERS:
            status = session.scalar(select(Subscriber.status).where(Subscriber.email == email))
            if status is not None and status != vocab.SUBSCRIBER_ACTIVE:
                console.print(f"  left as it is ({status}, not mailed): {email}")
                continue
            values = PreferenceValues(
                language=language,
                categories=categories,
                cities=cities,
                include_online=True,
                event_languages=event_languages,
                send_day=defaults.day,
                send_hour=defaults.hour,
            )
            saved = save_subscriber(
                session,
                email,
                values,
                now=now,
                defaults=defaults,
                timezone=defaults.timezone,
                confirmed=True,
            )
            active.append(saved.subscriber.id)
    return active


def _use_demo_data(database: str | None, outbox: Path | None) -> None:
    """Point this command at the demo's own database and outbox (or those given)."""
    settings = state.app.settings
    url = database or settings.demo.database_url
    folder = outbox or settings.demo.outbox_dir
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    state.close()
    state.load(
        settings.model_copy(
            update={
                "database": settings.database.model_copy(update={"url": url}),
                "mail": settings.mail.model_copy(update={"outbox_dir": folder}),
            }
        )
    )


def _console_script() -> str:
    """How the running `vahti` can be started again from here."""
    script = Path(sys.argv[0])
    if script.name == "__main__.py" or not script.exists():
        return f"{shlex.quote(sys.executable)} -m vahti"
    try:
        return str(script.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _preview_hint(settings: Settings) -> str:
    """The preview command as it can be run, reading the demo's database."""
    # A password in the URL is not printed (the command then needs it put back).
    env = f"VAHTI_DATABASE__URL={shlex.quote(shown_url(settings.database.url))}"
    return f"{env} {_console_script()} digest preview {DEMO_SUBSCRIBERS[0][0]} --text"


def _count(model: type) -> int:
    with state.app.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after writing digests.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the web app.", min=0, max=65535)] = 8000,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Database URL (default: demo.database_url, sqlite:///var/demo/vahti.db). In "
            "a database with other data the demo changes and mails only its own sources and "
            "subscribers.",
        ),
    ] = None,
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="Folder of the digests (default: demo.outbox_dir)."),
    ] = None,
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
    _use_demo_data(database, outbox)
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
        own = _add_subscribers()
        folder = Path(ctx.settings.mail.outbox_dir)
        web_url = f"http://127.0.0.1:{port}"
        config = dataclasses.replace(digest_config(), base_url=web_url)
        summary = asyncio.run(
            send_due(
                ctx.sessions,
                FileSender(folder),
                config,
                utcnow(),
                make_worker_id(),
                due=every_subscriber,
                only=own,
            )
        )
    except BaseException:
        server.stop()
        raise
    if no_serve:
        server.stop()
    table = Table("", "", title="demo summary", show_header=False)
    table.add_row("sources", str(len(sources)))
    suspect = sum(r.status == vocab.RUN_SUSPECT for r in results)
    ok = sum(not r.failed and r.status != vocab.RUN_SUSPECT for r in results)
    failed = sum(r.failed for r in results)
    table.add_row(
        "crawled",
        f"{ok} ok, {suspect} suspect (too many listings vanished at once), {failed} failed",
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
    table.add_row("outbox", f"{folder.resolve()}/ ({len(list(folder.glob('*.eml')))} .eml)")
    table.add_row("database", shown_url(ctx.settings.database.url))
    table.add_row("time", f"{time.monotonic() - started:.1f} s")
    console.print(table)
    console.print(f"Look at a digest: {_preview_hint(ctx.settings)}", soft_wrap=True)
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
