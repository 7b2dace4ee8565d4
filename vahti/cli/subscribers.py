"""`vahti subscribers ...`: people who receive digests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.table import Table
from sqlalchemy import select

from services.subscribers import (
    BadAddress,
    Defaults,
    PreferenceValues,
    check_address,
    remove_subscriber,
    save_subscriber,
)
from store import vocab
from store.clock import utcnow
from store.models import Subscriber
from store.serialize import subscriber_json
from vahti.cli.common import console, fail, plain, print_json, state, visible

app = typer.Typer(help="Subscribers: add, import, list, remove.", no_args_is_help=True)


def digest_defaults() -> Defaults:
    """What a new subscriber gets for what nobody said: the [digest] settings."""
    settings = state.app.settings.digest
    return Defaults(
        language=settings.default_language,
        day=settings.default_day,
        hour=settings.default_hour,
        timezone=settings.timezone,
        max_items=settings.max_items,
    )


def _check_all(values: list[str], allowed: tuple[str, ...], option: str) -> list[str]:
    for value in values:
        if value not in allowed:
            fail(f"{option} {value!r}; allowed: {', '.join(allowed)}")
    return values


@app.command()
def add(
    email: Annotated[str, typer.Argument()],
    language: Annotated[
        str | None, typer.Option(help="Language of the e-mails: fi, sv or en.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="Wanted category (repeatable).")
    ] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Wanted word (repeatable).")] = None,
    city: Annotated[list[str] | None, typer.Option(help="Wanted city (repeatable).")] = None,
    online: Annotated[bool, typer.Option("--online/--no-online", help="Online events too.")] = True,
    event_language: Annotated[
        list[str] | None, typer.Option(help="Language events are held in: fi, sv, en (repeatable).")
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option(help="Audience: " + ", ".join(vocab.AUDIENCES) + " (repeatable)."),
    ] = None,
    max_items: Annotated[
        int | None, typer.Option(help="New events in one digest at most.", min=1, max=200)
    ] = None,
    day: Annotated[str | None, typer.Option(help="Send day: mon..sun.")] = None,
    hour: Annotated[int | None, typer.Option(help="Send hour 0-23.", min=0, max=23)] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone.")] = None,
    confirmed: Annotated[bool, typer.Option(help="Active at once (no confirmation mail).")] = False,
) -> None:
    """Add a subscriber (or update the preferences of one already there)."""
    defaults = digest_defaults()
    try:
        email = check_address(email)
    except BadAddress as exc:
        fail(str(exc))
    language = language or defaults.language
    _check_all([language], vocab.LANGUAGES, "--language")
    _check_all(category or [], vocab.CATEGORIES, "--category")
    _check_all(event_language or [], vocab.EVENT_LANGUAGES, "--event-language")
    _check_all(audience or [], vocab.AUDIENCES, "--audience")
    day = day or defaults.day
    _check_all([day], vocab.WEEKDAYS, "--day")
    timezone = timezone or defaults.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--timezone {timezone!r} is not a time zone (use e.g. Europe/Helsinki)")
    values = PreferenceValues(
        language=language,
        categories=list(category or []),
        keywords=list(keyword or []),
        cities=list(city or []),
        include_online=online,
        event_languages=list(event_language or []),
        send_day=day,
        send_hour=hour if hour is not None else defaults.hour,
    )
    with state.app.sessions.begin() as session:
        saved = save_subscriber(
            session,
            email,
            values,
            now=utcnow(),
            defaults=defaults,
            timezone=timezone,
            audiences=list(audience or []),
            max_items=max_items,
            confirmed=confirmed,
        )
    typer.echo(visible(f"{'added' if saved.created else 'updated'} {email}"))


@app.command("list")
def list_(
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List subscribers with their status and preferences."""
    with state.app.sessions() as session:
        rows = list(session.scalars(select(Subscriber).order_by(Subscriber.email)))
        if json_:
            print_json([subscriber_json(s) for s in rows])
            return
        table = Table("email", "status", "language", "categories", "cities", "send")
        for s in rows:
            table.add_row(
                plain(s.email),
                plain(s.status),
                plain(s.language),
                plain(", ".join(s.categories or [])),
                plain(", ".join(s.cities or [])),
                plain(f"{s.send_day} {s.send_hour:02d}:00"),
            )
        console.print(table)


@app.command()
def remove(email: Annotated[str, typer.Argument()]) -> None:
    """Delete a subscriber and their delivery history."""
    with state.app.sessions.begin() as session:
        removed = remove_subscriber(session, email)
    if removed is None:
        fail(f"no subscriber {email.strip()}")
    typer.echo(visible(f"removed {removed}"))


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV file; the first row names the columns.")],
) -> None:
    """Add or update many subscribers from a CSV file, as confirmed.

    Columns (first row, any order): email (required), language, categories, keywords, cities,
    online, event_languages, day, hour, timezone, audiences, max_items; lists separated by
    ";". UTF-8, or UTF-16 with a byte-order mark. Bad rows are reported with their line
    numbers and left out; the good ones are imported. Exit 1 when some rows were bad.
    """
    from services.subscriber_import import CsvError, decode_csv, import_rows, parse_csv

    if file.is_dir():
        fail(f"{file} is a folder, not a CSV file")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        fail(f"{file} does not exist")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    defaults = digest_defaults()
    try:
        parsed = parse_csv(decode_csv(data), defaults)
    except CsvError as exc:
        fail(f"{file}: {exc}")
    with state.app.sessions.begin() as session:
        counts = import_rows(session, [values for _, values in parsed.rows], defaults, utcnow())
    typer.echo(
        f"imported {len(parsed.rows)} row(s): {counts.added} added, {counts.updated} updated"
    )
    if counts.kept_out:
        typer.echo(
            visible(
                f"{len(counts.kept_out)} had unsubscribed or bounced and stay so "
                f"(preferences updated): {', '.join(counts.kept_out[:10])}"
                + (" …" if len(counts.kept_out) > 10 else "")
            )
        )
    for line, problem in parsed.errors:
        typer.echo(visible(f"{file}:{line}: {problem}"), err=True)
    if parsed.errors:
        typer.echo(f"{len(parsed.errors)} row(s) not imported (see above)", err=True)
        raise typer.Exit(1)
