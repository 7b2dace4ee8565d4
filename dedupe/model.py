"""The plain values deduplication takes and returns (no database, no clock)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

# Admin decisions about two listings: the same event, or never the same event.
SAME: Final = "same"
APART: Final = "apart"


@dataclass(slots=True)
class DedupeListing:
    """What matching needs to know about one listing (and, for merging, all its fields)."""

    id: int
    source_id: int
    title: str
    start_at: datetime
    priority: int = 0
    titles: Mapping[str, str] = field(default_factory=dict)
    end_at: datetime | None = None
    timezone: str = "Europe/Helsinki"
    all_day: bool = False
    url: str | None = None
    page_url: str | None = None
    application_url: str | None = None
    venue: str | None = None
    # The venue's name in other languages, as its source gives them (a Linked Events place's
    # name.fi/sv/en, schema.org Place alternateName): language (or "alt") → name.
    venue_names: Mapping[str, str] = field(default_factory=dict)
    address: str | None = None
    city: str | None = None
    attendance: str = "onsite"
    online_url: str | None = None
    organiser: str | None = None
    series_id: str | None = None
    description_text: str = ""
    gone: bool = False
    # Every event field of the listing (store.record.EVENT_FIELDS), used by the merge only.
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """An admin's word on two listings; it wins over the algorithm."""

    kind: str  # SAME or APART
    listing_id: int
    other_listing_id: int


@dataclass(slots=True)
class PairScore:
    """The verdict on one candidate pair and the evidence behind it."""

    score: float
    match: bool
    # A veto: these two may never end up in one event (a different part, city or day).
    apart: bool
    rule: str
    evidence: dict[str, Any]


@dataclass(slots=True)
class Cluster:
    """Listings found to be one event; `why` holds, per listing, how it was joined."""

    listing_ids: list[int]
    why: dict[int, dict[str, Any]]


@dataclass(slots=True)
class Clustering:
    clusters: list[Cluster]
    candidate_pairs: int
    scored_pairs: int
    matched_pairs: int
