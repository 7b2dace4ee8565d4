"""Upserting listings, and marking the ones that vanished from their source.

One Listing per (source, external id). A content hash skips unchanged records; a new start
time marks the listing rescheduled; a status change keeps its time. Listings are never deleted
when they disappear: an upcoming one is marked gone, and restored when it comes back.

A record the database cannot store (a NUL or a lone surrogate in a text, a value longer than
its column, anything else the database refuses) is left out with the reason in
``UpsertCounts.refused``; the other records of the batch are stored (`store_listings`).

A crawl in which too many upcoming listings vanish at once is *suspect* and marks nothing
(`vanishing_is_suspect`): a broken page must not wipe a source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, func, insert, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from store import vocab
from store.db import session_scope
from store.models import Listing
from store.record import EVENT_FIELDS, EventRecord

BATCH = 500
# Share of a source's upcoming listings that may vanish in one crawl before the crawl is
# considered suspect (a broken page must not wipe a source).
MAX_GONE_FRACTION = 0.30
# So few vanishing listings, while the source still lists others, are always taken as gone
# (one of a small source's three events being removed is no sign of a broken page).
SMALL_LOSS = 2


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    restored: int = 0
    # Records the database cannot store, each as "<page>: skipped event '<title>': <why>".
    refused: list[str] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.restored += other.restored
        self.refused.extend(other.refused)


@dataclass
class GoneResult:
    gone: int
    suspect: bool
    missing: int
    upcoming: int


def upsert_listings(
    session: Session,
    source_id: int,
    records: Iterable[EventRecord],
    now: datetime,
) -> UpsertCounts:
    """Insert or update the records of one source; the caller commits. A record that
    `unstorable` names a reason for is left out, with it, in the counts' ``refused``."""
    counts = UpsertCounts()
    by_key: dict[str, EventRecord] = {}
    for record in records:
        why = unstorable(record)
        if why is not None:
            counts.refused.append(refusal(record, why))
            continue
        by_key[record.key()] = record  # the last occurrence of a key wins
    keys = list(by_key)
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        known = session.execute(
            select(Listing.id, Listing.external_id, Listing.content_hash, Listing.gone_at).where(
                Listing.source_id == source_id, Listing.external_id.in_(chunk)
            )
        ).all()
        seen_ids: list[int] = []
        changed: dict[int, EventRecord] = {}
        for row in known:
            record = by_key[row.external_id]
            seen_ids.append(row.id)
            if row.gone_at is not None:
                counts.restored += 1
            if row.content_hash == record.content_hash():
                counts.unchanged += 1
            else:
                changed[row.id] = record
        # Rows seen again: one UPDATE for all of them; only changed ones are loaded.
        session.execute(
            update(Listing)
            .where(Listing.id.in_(seen_ids))
            .values(last_seen_at=now, gone_at=None)
            .execution_options(synchronize_session=False)
        )
        if changed:
            for listing in session.scalars(select(Listing).where(Listing.id.in_(list(changed)))):
                _update_listing(listing, changed[listing.id], now)
                counts.updated += 1
        found = {row.external_id for row in known}
        fresh = [_new_listing(source_id, k, by_key[k], now) for k in chunk if k not in found]
        if fresh:
            # One multi-row INSERT: several times faster than adding ORM objects one by one.
            session.execute(insert(Listing), fresh)
            counts.new += len(fresh)
    session.flush()
    return counts


# The text columns of a listing with a length, and their lengths.
_LENGTHS = {
    column.name: column.type.length
    for column in Listing.__table__.columns
    if isinstance(column.type, String) and column.type.length
}


def unstorable(record: EventRecord) -> str | None:
    """Why the database would refuse the record, or None: a NUL or a lone surrogate in any
    of its texts (PostgreSQL and UTF-8 refuse them; refused on SQLite too, so that both keep
    the same), or a text longer than its column (PostgreSQL refuses it)."""
    values = {
        **record.event_values(),
        "external_id": record.key(),
        "page_url": record.page_url,
        "series_id": record.series_id,
        "extra": record.extra,
    }
    for name, value in values.items():
        bad = _bad_text(value)
        if bad is not None:
            return f"{name} contains {bad}"
        limit = _LENGTHS.get(name)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            return f"{name} is {len(value)} characters long, over its column's {limit}"
    return None


def _bad_text(value: Any) -> str | None:
    """The first character no database can store in `value` (strings in dicts and lists
    too), as "U+0000", or None."""
    if isinstance(value, str):
        if value.isprintable():
            return None
        for char in value:
            if char == "\x00" or "\ud800" <= char <= "\udfff":
                return f"U+{ord(char):04X}"
        return None
    if isinstance(value, dict):
        items: Iterable[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    return next((bad for item in items if (bad := _bad_text(item)) is not None), None)


def refusal(record: EventRecord, why: str) -> str:
    """The message for a record left out: "<page>: skipped event '<title>': <why>"."""
    title = record.title if len(record.title) <= 80 else record.title[:79] + "…"
    return f"{record.page_url or '?'}: skipped event {title!r}: {why}"


def refused_by_database(exc: BaseException) -> bool:
    """Whether `exc` is the database (or the driver encoding a value for it: UnicodeError,
    a JSON value that is none) refusing a value, not the database being unreachable or
    busy (OperationalError, InterfaceError)."""
    if isinstance(exc, DataError | IntegrityError | ValueError | TypeError):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)


def _database_reason(exc: BaseException) -> str:
    reason = getattr(exc, "orig", None) or exc
    first = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    return f"the database refused it ({first[:200]})"


def store_listings(
    sessions: sessionmaker[Session],
    source_id: int,
    records: Sequence[EventRecord],
    now: datetime,
) -> UpsertCounts:
    """Upsert the records in one transaction. When the database refuses the batch for a
    value (`refused_by_database`), each record is stored in a transaction of its own and the
    ones it refuses are left out, named in ``refused``; an unreachable database still
    raises."""
    try:
        with session_scope(sessions) as session:
            return upsert_listings(session, source_id, records, now)
    except Exception as exc:
        if not refused_by_database(exc):
            raise
    counts = UpsertCounts()
    by_key = {record.key(): record for record in records}
    for record in by_key.values():
        try:
            with session_scope(sessions) as session:
                counts.add(upsert_listings(session, source_id, [record], now))
        except Exception as exc:
            if not refused_by_database(exc):
                raise
            counts.refused.append(refusal(record, _database_reason(exc)))
    return counts


def _new_listing(source_id: int, key: str, record: EventRecord, now: datetime) -> dict[str, Any]:
    return dict(
        source_id=source_id,
        external_id=key,
        content_hash=record.content_hash(),
        page_url=record.page_url,
        series_id=record.series_id,
        extra=record.extra,
        first_seen_at=now,
        last_seen_at=now,
        updated_at=now,
        status_changed_at=now if record.status != vocab.SCHEDULED else None,
        **record.event_values(),
    )


def _update_listing(listing: Listing, record: EventRecord, now: datetime) -> None:
    """Copy a changed record onto its listing, noting a new start and a status change."""
    digest = record.content_hash()
    previous_start = listing.start_at
    previous_status = listing.status
    for name in EVENT_FIELDS:
        setattr(listing, name, getattr(record, name))
    listing.page_url = record.page_url
    listing.series_id = record.series_id
    listing.extra = record.extra
    listing.content_hash = digest
    listing.updated_at = now
    if record.start_at != previous_start:
        listing.previous_start_at = previous_start
        listing.rescheduled_at = now
        if record.status == vocab.SCHEDULED:
            listing.status = vocab.RESCHEDULED
    elif previous_status == vocab.RESCHEDULED and record.status == vocab.SCHEDULED:
        listing.status = vocab.RESCHEDULED  # stays rescheduled until the source says otherwise
    if listing.status != previous_status:
        listing.status_changed_at = now


def touch_listings(
    session: Session, source_id: int, keys: Iterable[str], now: datetime
) -> UpsertCounts:
    """Listings a crawl saw without reading them again (their page answered 304 Not
    Modified, or stood in for a failed fetch): seen now, and back if they were gone."""
    counts = UpsertCounts()
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = session.execute(
            select(Listing.id, Listing.gone_at).where(
                Listing.source_id == source_id, Listing.external_id.in_(chunk)
            )
        ).all()
        counts.unchanged += len(rows)
        counts.restored += sum(1 for row in rows if row.gone_at is not None)
        session.execute(
            update(Listing)
            .where(Listing.id.in_([row.id for row in rows]))
            .values(last_seen_at=now, gone_at=None)
            .execution_options(synchronize_session=False)
        )
    return counts


def vanishing_is_suspect(
    upcoming: int,
    missing: int,
    seen: int,
    *,
    confirmed: bool = False,
    max_fraction: float = MAX_GONE_FRACTION,
    small_loss: int = SMALL_LOSS,
) -> bool:
    """Whether `missing` of `upcoming` listings vanishing in a crawl that saw `seen` listings
    looks like a broken page rather than real removals (pure).

    Suspect when more than `max_fraction` vanish, unless only a few (`small_loss`) vanish
    while the source still lists others, or the loss is `confirmed` (the last crawls were
    suspect too and still listed events: the source really lists fewer now). A source that
    suddenly lists nothing at all is always suspect.
    """
    if upcoming == 0 or missing == 0:
        return False
    if seen == 0:
        return True
    if missing / upcoming <= max_fraction or missing <= small_loss:
        return False
    return not confirmed


def mark_gone(
    session: Session,
    source_id: int,
    seen_keys: Sequence[str] | set[str],
    now: datetime,
    max_fraction: float = MAX_GONE_FRACTION,
    *,
    confirmed: bool = False,
) -> GoneResult:
    """Mark upcoming listings of the source that this crawl did not see as gone.

    When the loss looks suspect (`vanishing_is_suspect`), nothing is marked and the result
    says so.
    """
    seen = set(seen_keys)
    upcoming = session.execute(
        select(Listing.id, Listing.external_id).where(
            Listing.source_id == source_id,
            Listing.gone_at.is_(None),
            func.coalesce(Listing.end_at, Listing.start_at) >= now,
        )
    ).all()
    missing = [row.id for row in upcoming if row.external_id not in seen]
    if vanishing_is_suspect(
        len(upcoming), len(missing), len(seen), confirmed=confirmed, max_fraction=max_fraction
    ):
        return GoneResult(gone=0, suspect=True, missing=len(missing), upcoming=len(upcoming))
    for start in range(0, len(missing), BATCH):
        session.execute(
            update(Listing)
            .where(Listing.id.in_(missing[start : start + BATCH]))
            .values(gone_at=now)
        )
    return GoneResult(
        gone=len(missing), suspect=False, missing=len(missing), upcoming=len(upcoming)
    )
