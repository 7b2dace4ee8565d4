"""`vahti sources ...` and `vahti crawl`: organiser sources and crawling them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from scrapers.detect import with_includes
from scrapers.extractors import supported_kinds
from scrapers.runner import child_environment, crawl_many
from store import vocab
from store.models import CrawlRun, Source
from store.serialize import source_json
from vahti.cli.common import console, err_console, fail, now_utc, print_json, state
from vahti.cli.detection import run_probe, show_detection
from vahti.cli.progress import CrawlProgress

app = typer.Typer(
    help="Organiser sources: add, list, inspect, enable, disable, remove, test.",
    no_args_is_help=True,
)

KIND_HELP = "auto (probe the page once), jsonld, ics, rss, linkedevents, css, or spider:NAME"


def _check_kind(kind: str) -> str:
    if not vocab.is_source_kind(kind):
        fail(
            f"--kind {kind!r} is not a source kind; allowed: {', '.join(vocab.SOURCE_KINDS)}, "
            "spider:NAME"
        )
    return kind


def _check_url(url: str) -> str:
    if not url.startswith(("http://", "https://", "webcal://")):
        fail(f"URL {url!r} must start with http://, https:// or webcal://")
    return url.replace("webcal://", "https://", 1) if url.startswith("webcal://") else url


def _get_source(session: Any, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        fail(f"no source with id {source_id} (see `vahti sources list`)")
    return source


@app.command()
def add(
    url: Annotated[str, typer.Argument(help="The organiser page, feed or API URL.")],
    name: Annotated[str | None, typer.Option(help="A name for people (default: the URL).")] = None,
    kind: Annotated[str, typer.Option(help=KIND_HELP)] = "auto",
    interval: Annotated[
        float | None,
        typer.Option(
            help="Hours between crawls (default: crawl.default_interval_hours).", min=0.01
        ),
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Default event language: fi, sv or en.")
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(help="Category given to every event of the source (repeatable)."),
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="Kind options as JSON, e.g. CSS selectors for --kind css.")
    ] = None,
    priority: Annotated[
        int,
        typer.Option(
            help="Higher wins when duplicates are merged (organiser's own site over aggregators)."
        ),
    ] = 0,
    timezone: Annotated[str | None, typer.Option(help="Zone for times without one.")] = None,
) -> None:
    """Add a source and print its id; with --kind auto (the default) the URL is probed once."""
    url = _check_url(url)
    _check_kind(kind)
    settings = state.app.settings
    if language is not None and language not in vocab.LANGUAGES:
        fail(f"--language {language!r}; allowed: {', '.join(vocab.LANGUAGES)}")
    for cat in category or []:
        if cat not in vocab.CATEGORIES:
            fail(f"--category {cat!r}; allowed: {', '.join(vocab.CATEGORIES)}")
    try:
        options = json.loads(config) if config else {}
    except json.JSONDecodeError as exc:
        fail(f"--config is not JSON: {exc}")
    if not isinstance(options, dict):
        fail("--config must be a JSON object")
    detected: dict[str, Any] = {}
    if kind == "auto":
        found = run_probe(url, options, timezone)
        show_detection(found, err_console)
        if found["kind"]:
            detected = found
            options = options or dict(found.get("config") or {})
        elif found.get("reachable", True):
            fail(f"{url}: {found['reason']}; nothing was added")
        else:
            err_console.print("the source is added; its kind will be detected at its first crawl")
    elif kind == "linkedevents" and with_includes(url) != url:
        detected = {"url": with_includes(url)}
    with state.app.sessions.begin() as session:
        source = Source(
            name=name or url,
            url=url,
            kind=kind,
            config=options,
            language=language,
            categories=list(category or []),
            interval_hours=interval or settings.crawl.default_interval_hours,
            priority=priority,
            timezone=timezone or settings.crawl.default_timezone,
            next_crawl_at=now_utc(),
            detected_kind=detected.get("kind"),
            feed_url=detected["url"] if detected.get("url", url) != url else None,
            detected_reason=detected.get("reason"),
        )
        session.add(source)
        session.flush()
        source_id = source.id
    typer.echo(source_id)


@app.command("list")
def list_(
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the sources with their health, last run, records and next crawl."""
    with state.app.sessions() as session:
        rows = list(session.scalars(select(Source).order_by(Source.id)))
        if json_:
            print_json([source_json(s) for s in rows])
            return
        table = Table(
            "id", "name", "kind", "enabled", "health", "last run", "records", "next crawl"
        )
        for s in rows:
            table.add_row(
                str(s.id),
                s.name,
                s.crawl_kind,
                "yes" if s.enabled else "no",
                s.health,
                _when(s.last_run_at),
                "" if s.last_records is None else str(s.last_records),
                _when(s.next_crawl_at) if s.enabled else "",
            )
        console.print(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


@app.command()
def show(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Show a source with its last runs and errors."""
    with state.app.sessions() as session:
        source = _get_source(session, source_id)
        data = source_json(source)
        for key, value in data.items():
            console.print(f"[bold]{key}[/bold]: {value}", highlight=False)
        if source.config:
            console.print(f"[bold]config[/bold]: {json.dumps(source.config)}", highlight=False)
        runs = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_id == source_id)
            .order_by(CrawlRun.started_at.desc())
            .limit(10)
        )
        table = Table(
            "run",
            "started",
            "status",
            "pages",
            "records",
            "new",
            "updated",
            "gone",
            "errors",
            "seconds",
            "first error",
            title="last runs",
        )
        for r in runs:
            table.add_row(
                str(r.id),
                _when(r.started_at),
                r.status,
                str(r.pages),
                str(r.records),
                str(r.new),
                str(r.updated),
                str(r.gone),
                str(r.errors),
                f"{r.duration_s:.1f}" if r.duration_s is not None else "",
                (r.first_error or "")[:120],
            )
        console.print(table)


def _set_enabled(source_id: int, enabled: bool) -> None:
    with state.app.sessions.begin() as session:
        source = _get_source(session, source_id)
        source.enabled = enabled
        if enabled:
            source.next_crawl_at = now_utc()
        typer.echo(f"source {source_id} {'enabled' if enabled else 'disabled'}")


@app.command()
def enable(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Crawl the source again."""
    _set_enabled(source_id, True)


@app.command()
def disable(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Stop crawling the source (its listings stay)."""
    _set_enabled(source_id, False)


@app.command()
def remove(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Delete the source, its runs and its listings."""
    with state.app.sessions.begin() as session:
        source = _get_source(session, source_id)
        session.delete(source)
    typer.echo(f"source {source_id} removed")


@app.command("test")
def try_source(
    url: Annotated[str, typer.Argument(help="The page, feed or API to try.")],
    kind: Annotated[str, typer.Option(help=KIND_HELP)] = "auto",
    config: Annotated[str | None, typer.Option(help="Kind options as JSON.")] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the records as a JSON array.")
    ] = False,
) -> None:
    """Dry run: fetch, extract and print the records; store nothing; past events included.

    With --kind auto (the default) the URL is probed first and the route it finds is used.
    """
    url = _check_url(url)
    _check_kind(kind)
    try:
        options = json.loads(config) if config else {}
    except json.JSONDecodeError as exc:
        fail(f"--config is not JSON: {exc}")
    if not isinstance(options, dict):
        fail("--config must be a JSON object")
    if kind == "auto":
        found = run_probe(url, options, None)
        show_detection(found, err_console if json_ else console)
        if not found["kind"]:
            raise typer.Exit(1)
        url, kind = found["url"], found["kind"]
        options = options or dict(found.get("config") or {})
    elif kind == "linkedevents":
        url = with_includes(url)
    command = [
        sys.executable,
        "-m",
        "scrapers.crawl_process",
        "--dry-run",
        "--url",
        url,
        "--kind",
        kind,
        "--config",
        json.dumps(options),
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=child_environment(state.app.settings_path),
        check=False,
    )
    if completed.returncode != 0 or not completed.stdout.strip():
        fail(
            completed.stderr.strip().splitlines()[-1]
            if completed.stderr.strip()
            else "the dry run printed nothing",
            code=1,
        )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    records = result["records"]
    outcome = result["outcome"]
    if json_:
        print_json(records)
    else:
        table = Table("start", "title", "city", "status", "categories")
        for r in records:
            table.add_row(
                r["start_at"][:16],
                r["title"][:70],
                r["city"] or "",
                r["status"],
                ", ".join(r["categories"]),
            )
        console.print(table)
        console.print(
            f"{len(records)} records from {outcome['pages']} pages; {outcome['errors']} errors"
        )
        for message in outcome["error_messages"][:5]:
            console.print(f"  [red]{message}[/red]", highlight=False)
    if outcome["start_failed"]:
        raise typer.Exit(1)


def crawl(
    source: Annotated[
        list[int] | None,
        typer.Option("--source", metavar="ID", help="Crawl only this source (repeatable)."),
    ] = None,
) -> None:
    """Crawl sources now (every enabled one when none is named); exit 1 when any failed."""
    ctx = state.app
    with ctx.sessions() as session:
        if source:
            ids = []
            for source_id in source:
                _get_source(session, source_id)
                ids.append(source_id)
        else:
            ids = list(session.scalars(select(Source.id).where(Source.enabled).order_by(Source.id)))
    if not ids:
        console.print("no enabled sources (add one with `vahti sources add URL`)")
        return
    known = set(supported_kinds()) | {"auto"}
    with ctx.sessions() as session:
        skipped = [
            s
            for s in ids
            if session.get_one(Source, s).crawl_kind not in known
            and not session.get_one(Source, s).crawl_kind.startswith("spider:")
        ]
    progress = CrawlProgress(console)
    with progress:
        results = asyncio.run(
            crawl_many(
                ctx.sessions,
                [s for s in ids if s not in skipped],
                max_parallel=ctx.settings.crawl.max_parallel,
                time_limit=ctx.settings.crawl.time_limit_seconds,
                settings_path=ctx.settings_path,
                on_event=progress.on_event,
            )
        )
    progress.summary(results)
    for source_id in skipped:
        console.print(f"source {source_id}: its kind is not supported yet; skipped")
    if any(r.failed for r in results):
        raise typer.Exit(1)
