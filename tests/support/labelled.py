"""The labelled dedupe set (tests/fixtures/dedupe/labelled.json) as plain values and rows."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dedupe.model import DedupeListing
from store.listings import upsert_listings
from store.models import Source
from store.record import EventRecord

LABELLED = Path(__file__).resolve().parent.parent / "fixtures" / "dedupe" / "labelled.json"
# The cross-language set (issue 15), written by make_xlang.py, split into "tune" and "held-out".
XLANG = LABELLED.with_name("xlang.json")


def load(path: Path = LABELLED) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_record(row: dict[str, Any]) -> EventRecord:
    """A labelled listing as the extractors would hand it to the store."""
    start = _time(row["start"])
    assert start is not None
    return EventRecord(
        external_id=f"labelled-{row['id']}",
        title=row["title"],
        titles=dict(row["titles"]),
        start_at=start,
        end_at=_time(row["end"]),
        timezone=row["timezone"],
        all_day=row["all_day"],
        url=row["url"],
        page_url=row["page_url"],
        application_url=row["application_url"],
        venue=row["venue"],
        address=row["address"],
        city=row["city"],
        attendance=row["attendance"],
        online_url=row["online_url"],
        language=row["language"],
        categories=list(row["categories"]),
        audiences=list(row["audiences"]),
        status=row["status"],
        organiser=row["organiser"],
        description_text=row["description_text"],
        series_id=row["series_id"],
        extra={"venue_names": row["venue_names"]} if row.get("venue_names") else {},
    )


def listings(
    path: Path = LABELLED, half: str | None = None
) -> tuple[list[DedupeListing], dict[int, str]]:
    """(listings, true group by listing id) for the pure clustering; `half` picks one half of
    a split set ("tune" or "held-out")."""
    data = load(path)
    priority = {s["id"]: s["priority"] for s in data["sources"]}
    result: list[DedupeListing] = []
    labels: dict[int, str] = {}
    for row in data["listings"]:
        if half is not None and row["half"] != half:
            continue
        record = to_record(row)
        result.append(
            DedupeListing(
                id=row["id"],
                source_id=row["source"],
                priority=priority[row["source"]],
                title=record.title,
                titles=record.titles,
                start_at=record.start_at,
                end_at=record.end_at,
                timezone=record.timezone,
                all_day=record.all_day,
                url=record.url,
                page_url=record.page_url,
                application_url=record.application_url,
                venue=record.venue,
                venue_names=dict(record.extra.get("venue_names") or {}),
                address=record.address,
                city=record.city,
                attendance=record.attendance,
                online_url=record.online_url,
                organiser=record.organiser,
                series_id=record.series_id,
                description_text=record.description_text,
                values=record.event_values(),
            )
        )
        labels[row["id"]] = row["group"]
    return result, labels


def store_set(session: Session, data: dict[str, Any], now: datetime) -> None:
    """The set's sources and listings into a database, as crawls would store them."""
    for source in data["sources"]:
        session.add(
            Source(
                id=source["id"],
                name=source["name"],
                url="https://x.example/",
                priority=source["priority"],
            )
        )
    session.flush()
    for source in data["sources"]:
        rows = [to_record(r) for r in data["listings"] if r["source"] == source["id"]]
        upsert_listings(session, source["id"], rows, now)
