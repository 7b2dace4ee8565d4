"""`vahti sources ...` and `vahti crawl`: organiser sources and crawling them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, select

from services.sources import (
    SourceError,
    SourceNotFound,
    SourceRules,
    SourceSpec,
    add_source,
    change_source,
    check_config,
    check_kind,
    check_not_a_source,
    check_source_url,
    check_spec,
    disable_source,
    enable_source,
    plan_trial,
    remove_source,
)
from store import vocab
from store.clock import utcnow
from store.models import CrawlRun, Source
from store.serialize import source_json
from vahti.cli.common import console, err_console, fail, plain, print_json, state, visible

app = typer.Typer(
    help="Organiser sources: add, list, inspect, change, enable, disable, remove, test.",
    no_args_is_help=True,
)

KIND_HELP = "auto (probe the page once), jsonld, ics, rss, linkedevents, css, or spider:NAME"

# The option that carries each field the source service names in its refusals.
OPTIONS = {
    "url": "URL",
    "name": "--name",
    "kind": "--kind",
    "config": "--config",
    "timezone": "--timezone",
    "interval_hours": "--interval",
    "priority": "--priority",
    "language": "--language",
    "categories": "--category",
}


def refuse(exc: SourceError, hint: str = "") -> NoReturn:
    """Exit 2 with one line naming the option (and value) the service refused."""
    option = OPTIONS.get(exc.field, exc.field)
    shown = option if exc.value is None else f"{option} {exc.value!r}"
    fail(f"{shown}: {exc.message}" + (f" ({exc.detail})" if exc.detail else "") + hint)


def source_rules() -> SourceRules:
    """The source service's rules from the settings (crawl.*)."""
    crawl = state.app.settings.crawl
    return SourceRules(
        allow_private_networks=crawl.allow_private_networks,
        trusted_hosts=tuple(crawl.trusted_hosts),
        default_interval_hours=crawl.default_interval_hours,
        default_timezone=crawl.default_timezone,
    )


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
            help="Hours between crawls, 0.01-720 (default: crawl.default_interval_hours)."
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
            help="-1000-1000; higher wins when duplicates are merged (organiser's own site over "
            "aggregators)."
        ),
    ] = 0,
    timezone: Annotated[
        str | None,
        typer.Option(help="Zone for times without one (default: crawl.default_timezone)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Add the URL even when it is a source already.")
    ] = False,
) -> None:
    """Add a source and print its id; with --kind auto (the default) the URL is probed once."""
    from vahti.cli.detection import run_probe, show_detection

    rules = source_rules()
    spec = SourceSpec(
        url=url,
        name=name,
        kind=kind,
        config=config,
        interval_hours=interval,
        priority=priority,
        language=language,
        categories=list(category or []),
        timezone=timezone,
    )
    try:
        checked = check_spec(spec, rules)  # every value, before the probe
    except SourceError as exc:
        refuse(exc)
    options: dict[str, Any] = checked["config"]
    spec.url, spec.config = checked["url"], options
    if not force:  # before the probe: a duplicate is refused without fetching anything
        with state.app.sessions() as session:
            try:
                check_not_a_source(session, spec.url)
            except SourceError as exc:
                refuse(exc, "; add it again with --force")
    if checked["kind"] == "auto":
        found = run_probe(spec.url, options, checked["timezone"])
        if found["kind"] or not found.get("reachable", True):
            show_detection(found, err_console)
        else:  # the reason once, in the error line below (the routes only when several)
            tried = found.get("tried") or []
            for line in tried if len(tried) > 1 else []:
                err_console.print(plain(f"  tried {line}"), soft_wrap=True)
            if found.get("hint"):
                err_console.print(plain(found["hint"]), soft_wrap=True)
        if found["kind"]:
            spec.detected_kind, spec.feed_url = found["kind"], found["url"]
            spec.detected_reason = found.get("reason")
            spec.config = options or dict(found.get("config") or {})
        elif found.get("reachable", True):
            fail(f"{spec.url}: {found['reason']}; nothing was added")
        else:
            err_console.print("the source is added; its kind will be detected at its first crawl")
    with state.app.sessions.begin() as session:
        try:
            source_id = add_source(session, spec, rules, utcnow(), force=force).id
        except SourceError as exc:
            refuse(exc)
    typer.echo(source_id)


@app.command("list")
def list_(
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the sources with their health, last run, records and next crawl."""
    from vahti.cli.progress import health_word, print_table, status_word

    with state.app.sessions() as session:
        rows = list(session.scalars(select(Source).order_by(Source.id)))
        last_status = _last_statuses(session)
        if json_:
            print_json([_source_data(s, last_status.get(s.id)) for s in rows])
            return
        table = Table(
            "id",
            "name",
            "kind",
            "health",
            "last run",
            "records",
            "next crawl",
            "why",
            title=f"{len(rows)} sources (times in UTC)",
        )
        for s in rows:
            status = last_status.get(s.id)
            table.add_row(
                str(s.id),
                plain(s.name),
                plain(s.crawl_kind),
                Text(health_word(s.health), style=HEALTH_STYLES.get(s.health, "")),
                plain(f"{_short(s.last_run_at)} {status_word(status or '')}".strip()),
                "" if s.last_records is None else str(s.last_records),
                _next_crawl(s),
                plain((s.health_reason or "")[:60]),
            )
        print_table(console, table)


HEALTH_STYLES = {
    vocab.HEALTH_OK: "green",
    vocab.HEALTH_DEGRADED: "yellow",
    vocab.HEALTH_FAILING: "red",
}


def _last_statuses(session: Any) -> dict[int, str]:
    """The status of each source's latest run."""
    latest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    rows = session.execute(
        select(CrawlRun.source_id, CrawlRun.status).join(latest, CrawlRun.id == latest.c.run_id)
    )
    return {source_id: status for source_id, status in rows}


def _source_data(source: Source, last_status: str | None) -> dict[str, Any]:
    return {
        **source_json(source),
        "health_reason": source.health_reason,
        "consecutive_failures": source.consecutive_failures,
        "last_status": last_status,
    }


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _short(value: Any) -> str:
    return value.strftime("%m-%d %H:%M") if value else ""


def _next_crawl(source: Source, when: Callable[[Any], str] = _short) -> str:
    from scrapers.bookkeeping import backoff_hours

    if not source.enabled:
        return "disabled"
    if source.next_crawl_at is None:
        return "now"
    text = when(source.next_crawl_at)
    if source.consecutive_failures:
        wait = backoff_hours(source.interval_hours, source.consecutive_failures)
        text += f" (backing off: {wait:g} h)"
    return text


@app.command()
def show(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Show a source with its last runs and errors."""
    from vahti.cli.progress import health_word, print_table, status_style

    with state.app.sessions() as session:
        source = _get_source(session, source_id)
        for key, value in source_json(source).items():
            if key not in ("health", "next_crawl"):
                console.print(Text.assemble((key, "bold"), ": ", plain(value)))
        if source.config:
            console.print(Text.assemble(("config", "bold"), ": ", plain(json.dumps(source.config))))
        health = Text(health_word(source.health), style=HEALTH_STYLES.get(source.health, ""))
        if source.health_reason:
            health.append(f" ({visible(source.health_reason)})", style="")
        console.print(Text.assemble(Text("health", style="bold"), ": ", health))
        console.print(f"[bold]next crawl[/bold]: {_next_crawl(source, _when)}", highlight=False)
        runs = list(
            session.scalars(
                select(CrawlRun)
                .where(CrawlRun.source_id == source_id)
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(10)
            )
        )
        print_table(console, _runs_table(runs))
        troubled = [r for r in runs if r.first_error]
        if not troubled:
            console.print("no errors in the last runs")
            return
        console.print("[bold]errors[/bold]:")
        for r in troubled:
            line = Text(f"  run {r.id} ({visible(r.status)}): ", style="bold")
            line.append(visible(r.first_error), style=status_style(r.status, r.errors))
            console.print(line)
        latest = troubled[0]
        if len(latest.error_messages) > 1:
            console.print(f"[bold]all errors of run {latest.id}[/bold]:")
            for message in latest.error_messages:
                console.print(plain(f"  {message}"))


def _runs_table(runs: list[CrawlRun]) -> Table:
    from vahti.cli.progress import status_style, status_word

    table = Table(
        "run",
        "started",
        "status",
        "HTTP",
        "pages",
        "records",
        "new",
        "updated",
        "gone",
        "errors",
        "seconds",
        title="last runs (times in UTC)",
    )
    for r in runs:
        statuses = " ".join(f"{k}×{v}" for k, v in sorted((r.http_statuses or {}).items()))
        table.add_row(
            str(r.id),
            _short(r.started_at),
            plain(status_word(r.status), style=status_style(r.status, r.errors)),
            plain(statuses),
            str(r.pages),
            str(r.records),
            str(r.new),
            str(r.updated),
            str(r.gone),
            str(r.errors),
            f"{r.duration_s:.1f}" if r.duration_s is not None else "",
        )
    return table


# What `vahti sources set` calls the fields it changed.
CHANGED_NAMES = {"interval_hours": "interval"}


@app.command("set")
def set_(
    source_id: Annotated[int, typer.Argument(metavar="ID")],
    name: Annotated[str | None, typer.Option(help="A new name for people.")] = None,
    interval: Annotated[
        float | None,
        typer.Option(help="Hours between crawls, 0.01-720; the next crawl moves at once."),
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Default event language: fi, sv, en, or none.")
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(help="Categories for every event (repeatable; replaces; 'none' clears)."),
    ] = None,
    config: Annotated[str | None, typer.Option(help="Kind options as JSON (replaces).")] = None,
    priority: Annotated[
        int | None, typer.Option(help="-1000-1000; higher wins when duplicates are merged.")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="Zone for times without one.")] = None,
) -> None:
    """Change a source's settings; the daemon picks the change up within a minute."""
    given = {
        "name": name,
        "language": language,
        "categories": None if category is None else [c for c in category if c != "none"],
        "config": config,
        "priority": priority,
        "timezone": timezone,
        "interval_hours": interval,
    }
    changes = {key: value for key, value in given.items() if value is not None}
    with state.app.sessions.begin() as session:
        try:
            source, changed = change_source(session, source_id, changes, source_rules(), utcnow())
        except SourceNotFound:
            _missing(source_id)
        except SourceError as exc:
            refuse(exc)
        what = ", ".join(CHANGED_NAMES.get(f, f) for f in changed) or "nothing changed"
        typer.echo(f"source {source_id}: {what}; next crawl {_next_crawl(source, _when)}")


def _missing(source_id: int) -> NoReturn:
    fail(f"no source with id {source_id} (see `vahti sources list`)")


@app.command()
def enable(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Crawl the source again."""
    with state.app.sessions.begin() as session:
        try:
            enable_source(session, source_id, utcnow())
        except SourceNotFound:
            _missing(source_id)
    typer.echo(f"source {source_id} enabled")


@app.command()
def disable(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Stop crawling the source (its listings stay)."""
    with state.app.sessions.begin() as session:
        try:
            disable_source(session, source_id)
        except SourceNotFound:
            _missing(source_id)
    typer.echo(f"source {source_id} disabled")


@app.command()
def remove(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Delete the source, its runs and its listings."""
    with state.app.sessions.begin() as session:
        try:
            remove_source(session, source_id)
        except SourceNotFound:
            _missing(source_id)
    typer.echo(f"source {source_id} removed")


def _local_start(record: dict[str, Any]) -> str:
    """'2026-12-10 09:00+02:00': the event's own local time with its offset (as `events list
    --json` gives it), not a bare UTC time."""
    try:
        start = datetime.fromisoformat(record["start_at"])
        zone = ZoneInfo(record.get("timezone") or "UTC")
    except (TypeError, ValueError, KeyError, ZoneInfoNotFoundError):
        return str(record.get("start_at") or "")[:16]
    if start.tzinfo is None:
        return start.isoformat(sep=" ", timespec="minutes")
    return start.astimezone(zone).isoformat(sep=" ", timespec="minutes")


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
    from services.source_trials import ChildFailed, dry_run
    from vahti.cli.detection import run_probe, show_detection
    from vahti.cli.progress import count, print_table

    rules = source_rules()
    try:
        url, kind = check_source_url(url, rules), check_kind(kind)
        options = check_config(config, kind)
    except SourceError as exc:
        refuse(exc)
    if kind == "auto":
        found = run_probe(url, options, None)
        show_detection(found, err_console if json_ else console)
        if not found["kind"]:
            raise typer.Exit(1)
        url, kind = found["url"], found["kind"]
        options = options or dict(found.get("config") or {})
    try:
        trial = plan_trial(url, kind, options, rules)
    except SourceError as exc:
        refuse(exc)
    try:
        result = asyncio.run(
            dry_run(trial, None, child_settings=state.app.child_settings(), time_limit=None)
        )
    except ChildFailed as exc:
        fail(str(exc), code=1)
    records = result.records
    if json_:
        print_json(records)
    else:
        table = Table("start", "title", "city", "status", "categories")
        for r in records:
            table.add_row(
                plain(_local_start(r)),
                plain(r["title"][:70]),
                plain(r["city"]),
                plain(r["status"]),
                plain(", ".join(r["categories"])),
            )
        print_table(console, table)
        console.print(
            f"{count(len(records), 'record')} from {count(result.pages, 'page')}; "
            f"{count(result.errors, 'error')}"
        )
        for message in result.error_messages[:5]:
            console.print(plain(f"  {message}", style="red"), soft_wrap=True)
    if result.start_failed:
        raise typer.Exit(1)


def crawl(
    source: Annotated[
        list[int] | None,
        typer.Option("--source", metavar="ID", help="Crawl only this source (repeatable)."),
    ] = None,
) -> None:
    """Crawl sources now (every enabled one when none is named); exit 1 when any failed."""
    from services.crawl_queue import CrawlQueue
    from vahti.cli.progress import CrawlProgress

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
    with CrawlProgress(console) as progress:
        queue = CrawlQueue(  # no dedupe: `vahti dedupe` (and the daemon) group the listings
            ctx.sessions,
            max_parallel=ctx.settings.crawl.max_parallel,
            time_limit=ctx.settings.crawl.time_limit_seconds,
            child_settings=ctx.child_settings(),
            on_event=progress.on_event,
        )
        results = asyncio.run(queue.run(ids))
    progress.summary(results)
    if any(r.failed for r in results):
        raise typer.Exit(1)
