"""`vahti events ...` and `vahti dedupe`: the events made of listings."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, or_, select

if TYPE_CHECKING:
    from dedupe.job import DedupeCounts
from store import vocab
from store.clock import utcnow
from store.models import DedupeDecision, Event, Listing, Source
from store.serialize import event_json
from vahti.cli.common import console, fail, parse_day, plain, print_json, state, visible

app = typer.Typer(help="Events: list, inspect, merge and split.", no_args_is_help=True)


def _summary(counts: DedupeCounts, elapsed: float) -> str:
    return (
        f"listings: {counts.listings}  events: {counts.events}  "
        f"duplicates joined: {counts.duplicates_joined}  "
        f"new events: {counts.events_created}  updated: {counts.events_updated}  "
        f"merged away: {counts.events_merged_away}  time: {elapsed:.2f} s"
    )


def dedupe() -> None:
    """Group listings into events and print listings, events, duplicates joined and the time."""
    from dedupe.job import run_dedupe

    started = time.monotonic()
    past_days = state.app.settings.dedupe.past_days
    with state.app.sessions.begin() as session:
        counts = run_dedupe(session, utcnow(), past_days)
    typer.echo(_summary(counts, time.monotonic() - started))


@app.command()
def merge(
    keep: Annotated[int, typer.Argument(metavar="ID", help="The event that keeps its id.")],
    other: Annotated[int, typer.Argument(metavar="ID", help="The event merged into it.")],
) -> None:
    """Make one event of two, for good: later dedupe runs keep them together."""
    from dedupe.decisions import DedupeAdminError, merge_events

    started = time.monotonic()
    try:
        with state.app.sessions.begin() as session:
            result = merge_events(
                session, keep, other, utcnow(), state.app.settings.dedupe.past_days
            )
    except DedupeAdminError as exc:
        fail(str(exc))
    console.print(
        f"event {other} merged into event {result.event_id} ({len(result.listing_ids)} listings)",
        highlight=False,
    )
    typer.echo(_summary(result.counts, time.monotonic() - started))


@app.command()
def split(
    event_id: Annotated[int, typer.Argument(metavar="ID")],
    listing_id: Annotated[int, typer.Argument(metavar="LISTING_ID")],
) -> None:
    """Take a listing out of an event, for good: later runs keep it apart from the rest."""
    from dedupe.decisions import DedupeAdminError, split_event

    started = time.monotonic()
    try:
        with state.app.sessions.begin() as session:
            result = split_event(
                session, event_id, listing_id, utcnow(), state.app.settings.dedupe.past_days
            )
    except DedupeAdminError as exc:
        fail(str(exc))
    typer.echo(f"listing {listing_id} split from event {event_id}: now in event {result.event_id}")
    typer.echo(_summary(result.counts, time.monotonic() - started))


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
        now = utcnow()
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
                plain(e.title[:60]),
                plain(e.city or ("online" if data["online"] else "")),
                plain(", ".join(e.categories or [])),
                str(len(e.urls or [])),
            )
        console.print(table)
        console.print(f"{len(rows)} events")


@app.command()
def show(event_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Show an event with its listings and why they were joined."""
    with state.app.sessions() as session:
        event = session.get(Event, event_id)
        if event is None:
            fail(f"no event with id {event_id}")
        if event.merged_into_id is not None:
            typer.echo(f"merged into event {event.merged_into_id}")
        for key, value in event_json(event).items():
            console.print(Text.assemble((key, "bold"), ": ", plain(value)))
        table = Table("listing", "source", "priority", "title", "start", "url", title="listings")
        rows = session.execute(
            select(Listing, Source.name, Source.priority)
            .join(Source)
            .where(Listing.event_id == event_id)
            .order_by(Listing.id)
        ).all()
        for listing, source_name, priority in rows:
            table.add_row(
                str(listing.id) + (" (gone)" if listing.gone_at else ""),
                plain(source_name),
                str(priority),
                plain(listing.title[:50]),
                _local(listing.start_at, listing.timezone),
                plain(listing.url),
            )
        console.print(table)
        typer.echo("why joined:")
        for listing, source_name, _priority in rows:
            typer.echo(
                visible(
                    f"  listing {listing.id} ({source_name}): "
                    + describe_match(listing.match_info or {})
                )
            )
        ids = [listing.id for listing, _name, _priority in rows]
        decisions = session.scalars(
            select(DedupeDecision)
            .where(DedupeDecision.listing_id.in_(ids) | DedupeDecision.other_listing_id.in_(ids))
            .order_by(DedupeDecision.id)
        ).all()
        for decision in decisions:
            typer.echo(
                visible(
                    f"admin: listings {decision.listing_id} and {decision.other_listing_id} "
                    f"{'same event' if decision.kind == 'same' else 'kept apart'} "
                    f"({decision.note or ''}, {decision.created_at.isoformat()[:16]})"
                )
            )


def _local(moment: datetime, zone: str) -> str:
    try:
        return moment.astimezone(ZoneInfo(zone)).isoformat()[:16]
    except (ZoneInfoNotFoundError, ValueError):
        return moment.isoformat()[:16]


def describe_match(info: dict[str, object]) -> str:
    """One line from a listing's match_info: the rule, the partner, the scores."""
    if not info:
        return "only listing"
    if info.get("rule") == "admin":
        return f"admin merge with {info.get('with')}"
    parts = [f"{info.get('rule')} with {info.get('with')}", f"score {info.get('score')}"]
    parts.append(f"title {info.get('title')}")
    parts.append(f"time {info.get('time')}")
    for key in ("venue", "organiser", "url", "online_url"):
        value = info.get(key)
        if value is not None:
            parts.append(f"{key} {'yes' if value else 'no'}")
    return ", ".join(parts)
