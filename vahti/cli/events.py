"""`vahti events ...` and `vahti dedupe`: the events made of listings."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import func, or_, select

from scheduler.events import sync_events
from store import vocab
from store.models import Event, Listing, Source
from store.serialize import event_json
from vahti.cli.common import console, fail, now_utc, parse_day, print_json, state

app = typer.Typer(help="Events: list and inspect.", no_args_is_help=True)


def dedupe() -> None:
    """Group listings into events and print listings, events, duplicates joined and the time."""
    started = time.monotonic()
    with state.app.sessions.begin() as session:
        counts = sync_events(session, now_utc())
        events = session.scalar(select(func.count(Event.id))) or 0
    elapsed = time.monotonic() - started
    console.print(
        f"listings: {counts.listings}  events: {events}  "
        f"duplicates joined: {counts.listings - events}  "
        f"new events: {counts.events_created}  time: {elapsed:.2f} s"
    )


@app.command("list")
def list_(
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    city: Annotated[str | None, typer.Option(help="Only events in this city.")] = None,
    language: Annotated[str | None, typer.Option(help="Only events held in this language.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option(help="Up to this day (YYYY-MM-DD).")] = None,
    include_past: Annotated[bool, typer.Option(help="Also events that have ended.")] = False,
) -> None:
    """List events, soonest first."""
    zone = state.app.settings.digest.timezone
    if category is not None and category not in vocab.CATEGORIES:
        fail(f"--category {category!r}; allowed: {', '.join(vocab.CATEGORIES)}")
    if language is not None and language not in vocab.EVENT_LANGUAGES:
        fail(f"--language {language!r}; allowed: {', '.join(vocab.EVENT_LANGUAGES)}")
    start = parse_day(from_, "--from", zone)
    end = parse_day(to, "--to", zone, end=True)
    query = select(Event).where(Event.gone_at.is_(None)).order_by(Event.start_at, Event.id)
    if not include_past:
        now = now_utc()
        query = query.where(or_(Event.end_at >= now, Event.start_at >= now))
    if start is not None:
        query = query.where(Event.start_at >= start)
    if end is not None:
        query = query.where(Event.start_at <= end)
    if city is not None:
        query = query.where(func.lower(Event.city) == city.casefold())
    if language is not None:
        query = query.where(Event.language == language)
    with state.app.sessions() as session:
        rows = [
            e
            for e in session.scalars(query)
            if category is None or category in (e.categories or [])
        ]
        if json_:
            print_json([event_json(e) for e in rows])
            return
        table = Table("id", "start", "title", "city", "categories", "sources")
        for e in rows:
            data = event_json(e)
            table.add_row(
                str(e.id),
                (data["start"] or "")[:16],
                e.title[:60],
                e.city or ("online" if data["online"] else ""),
                ", ".join(e.categories or []),
                str(len(e.urls or [])),
            )
        console.print(table)
        console.print(f"{len(rows)} events")


@app.command()
def show(event_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Show an event with its listings."""
    with state.app.sessions() as session:
        event = session.get(Event, event_id)
        if event is None:
            fail(f"no event with id {event_id}")
        for key, value in event_json(event).items():
            console.print(f"[bold]{key}[/bold]: {value}", highlight=False)
        table = Table("listing", "source", "title", "start", "url", "why", title="listings")
        for listing, source_name in session.execute(
            select(Listing, Source.name).join(Source).where(Listing.event_id == event_id)
        ):
            table.add_row(
                str(listing.id),
                source_name,
                listing.title[:50],
                listing.start_at.isoformat()[:16],
                listing.url or "",
                ", ".join(f"{k}={v}" for k, v in (listing.match_info or {}).items()),
            )
        console.print(table)
