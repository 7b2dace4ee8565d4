"""SQLAlchemy models: sources and their crawls, listings, events, subscribers and deliveries.

A *listing* is one event as one source lists it (one row per source and external id); an
*event* is what deduplication makes of one or more listings. Listings are never deleted when
they vanish from their source: they are marked gone. A *delivery* is one digest for one
subscriber and one period, unique in the database: that row is what makes sending exactly-once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store import vocab
from store.clock import utcnow
from store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        dict[str, str]: JSON,
        list[str]: JSON,
        list[int]: JSON,
    }


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(60), default="auto")
    # What `auto` found (kind and the URL to crawl, e.g. a linked calendar), and why.
    detected_kind: Mapped[str | None] = mapped_column(String(60))
    feed_url: Mapped[str | None] = mapped_column(String(2000))
    detected_reason: Mapped[str | None] = mapped_column(Text)
    # Selectors for `css`, options for other kinds (see docs/sources.md).
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str | None] = mapped_column(String(8))
    languages: Mapped[list[str]] = mapped_column(default=list)
    categories: Mapped[list[str]] = mapped_column(default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    interval_hours: Mapped[float] = mapped_column(Float, default=24.0)
    # Higher wins when listings are merged: an organiser's own site over an aggregator.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    health: Mapped[str] = mapped_column(String(16), default=vocab.HEALTH_NEW)
    # Why the source is degraded or failing, in a sentence (None when ok).
    health_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None]
    last_records: Mapped[int | None]
    next_crawl_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    runs: Mapped[list[CrawlRun]] = relationship(
        back_populates="source", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def crawl_kind(self) -> str:
        """The kind a crawl uses: the admin's choice, or what `auto` detected."""
        if self.kind == "auto":
            return self.detected_kind or "auto"
        return self.kind

    @property
    def crawl_url(self) -> str:
        return self.feed_url or self.url


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running, ok, not_modified, suspect, failed, timeout
    status: Mapped[str] = mapped_column(String(16), default="running")
    http_statuses: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    gone: Mapped[int] = mapped_column(Integer, default=0)
    restored: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    first_error: Mapped[str | None] = mapped_column(Text)
    # The first few errors and notes of the run (first_error is the first of them).
    error_messages: Mapped[list[str]] = mapped_column(default=list)
    # The Scrapyd node (its URL) and job id of a crawl run there (crawl.backend "scrapyd").
    node: Mapped[str | None] = mapped_column(String(300))
    job: Mapped[str | None] = mapped_column(String(64))

    source: Mapped[Source] = relationship(back_populates="runs")


class HttpValidator(Base):
    """What a crawl remembers about one page of a source, for the next crawl.

    ETag and Last-Modified make the next request conditional; the keys of the listings the
    page yielded and the links it led to let a page that answers 304 Not Modified (or fails
    for a moment) stand in for its last successful read, so its listings never look gone.
    """

    __tablename__ = "http_validators"
    __table_args__ = (UniqueConstraint("source_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    record_keys: Mapped[list[str]] = mapped_column(default=list)
    # {"detail": [...], "page": [...], "kinds": {"detail": "jsonld"}}: the links the page led
    # to, and the kind they are read with when not the source's.
    links: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # When the page was last read in full (a 200 that was parsed).
    fetched_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EventFields:
    """Columns that a listing and an event share (an event holds the merged values)."""

    title: Mapped[str] = mapped_column(String(500))
    # Per language: {"fi": "...", "en": "..."}; `title` is the record's main language.
    titles: Mapped[dict[str, str]] = mapped_column(default=dict)
    description_html: Mapped[str] = mapped_column(Text, default="")
    description_text: Mapped[str] = mapped_column(Text, default="")
    descriptions: Mapped[dict[str, str]] = mapped_column(default=dict)
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(2000))
    venue: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(100))
    attendance: Mapped[str] = mapped_column(String(10), default=vocab.ONSITE)
    online_url: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(8), default="other")
    languages: Mapped[list[str]] = mapped_column(default=list)
    categories: Mapped[list[str]] = mapped_column(default=list)
    audiences: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default=vocab.SCHEDULED)
    deadline_at: Mapped[datetime | None]
    application_url: Mapped[str | None] = mapped_column(String(2000))
    application_opens_at: Mapped[datetime | None]
    price: Mapped[str | None] = mapped_column(String(200))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    organiser: Mapped[str | None] = mapped_column(String(300))


class Listing(EventFields, Base):
    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_listings_source_gone", "source_id", "gone_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The page or feed the listing was read from.
    page_url: Mapped[str | None] = mapped_column(String(2000))
    series_id: Mapped[str | None] = mapped_column(String(500))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime | None]
    previous_start_at: Mapped[datetime | None]
    rescheduled_at: Mapped[datetime | None]
    gone_at: Mapped[datetime | None]
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    # Why deduplication put this listing into its event: the best match that joined it
    # (partner listing, rule, title score, time relation, venue/organiser/URL evidence).
    match_info: Mapped[dict[str, Any]] = mapped_column(default=dict)

    source: Mapped[Source] = relationship()
    event: Mapped[Event | None] = relationship(back_populates="listings")


class Event(EventFields, Base):
    __tablename__ = "events"
    # Feeds ask for the newest change and the next end without reading the events, and list
    # the window's events in order with their versions from one covering index.
    __table_args__ = (
        Index("ix_events_updated_at", "updated_at"),
        Index("ix_events_end_at", "end_at"),
        Index("ix_events_feed_window", "start_at", "id", "end_at", "gone_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Every page where the event is listed (the canonical `url` first).
    urls: Mapped[list[str]] = mapped_column(default=list)
    listing_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When what a reader sees of the event last changed: a shown value, or whether it is shown
    # at all (gone, back, merged away). Not moved by the listing count alone.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised each time a shown value of the event changes (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Set when every listing of the event is gone from its source, or when its listings
    # now belong to another event (then `merged_into_id` names that event).
    gone_at: Mapped[datetime | None]
    # No foreign key: like a digest's record, the pointer outlives a deleted event.
    merged_into_id: Mapped[int | None] = mapped_column(Integer)

    listings: Mapped[list[Listing]] = relationship(back_populates="event")


class DedupeDecision(Base):
    """An admin's word on two listings, which wins over the algorithm on every run.

    `same`: the two are one event (`vahti events merge`); `apart`: never one event
    (`vahti events split`). One decision per pair (listing_id < other_listing_id); a newer
    decision replaces an older one.
    """

    __tablename__ = "dedupe_decisions"
    __table_args__ = (UniqueConstraint("listing_id", "other_listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    other_listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the admin ran, e.g. "merge 12 34".
    note: Mapped[str | None] = mapped_column(String(200))


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=vocab.SUBSCRIBER_PENDING)
    language: Mapped[str] = mapped_column(String(2), default="fi")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    send_day: Mapped[str] = mapped_column(String(3), default="mon")
    send_hour: Mapped[int] = mapped_column(Integer, default=8)
    categories: Mapped[list[str]] = mapped_column(default=list)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    cities: Mapped[list[str]] = mapped_column(default=list)
    include_online: Mapped[bool] = mapped_column(Boolean, default=True)
    event_languages: Mapped[list[str]] = mapped_column(default=list)
    audiences: Mapped[list[str]] = mapped_column(default=list)
    max_items: Mapped[int] = mapped_column(Integer, default=15)
    # Bumped to invalidate every link sent so far.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    permanent_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]
    # When the last confirmation mail went out (links expire; at most one an hour).
    confirm_sent_at: Mapped[datetime | None]

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True
    )


class Delivery(Base):
    """One digest for one subscriber and one period (the subscriber's ISO week)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "period"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    # pending, sending, sent, failed, empty
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message_id: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriber: Mapped[Subscriber] = relationship(back_populates="deliveries")
    items: Mapped[list[DeliveryItem]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", passive_deletes=True
    )


class DeliveryItem(Base):
    """What one digest said about one event: compared next week to spot changes."""

    __tablename__ = "delivery_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    # No foreign key: a digest's record outlives the event it mentioned.
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    section: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    deadline_at: Mapped[datetime | None]

    delivery: Mapped[Delivery] = relationship(back_populates="items")


class SchedulerLease(Base):
    """Who may run the scheduler: one holder at a time, until `expires_at` (renewed often)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    renewed_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class CrawlRequest(Base):
    """A crawl someone asked for ("crawl now" on any web process), waiting for the active
    daemon to claim it. The source's `next_crawl_at` (set to now with it) is what keeps the
    request when a claim is lost with its daemon; the row only wakes the daemon up at once."""

    __tablename__ = "crawl_requests"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    requested_at: Mapped[datetime]


# --- state the web processes share (several `vahti serve` behind one proxy) -----------------


class AdminSessionRecord(Base):
    """One logged-in admin browser. The cookie carries a random id; the row holds its SHA-256
    (a copy of the table logs nobody in). Logout deletes the row; a session whose password
    fingerprint differs from the configured password's, or idle too long, is refused."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    # A keyed hash of the admin password the session was opened with (never the password).
    password_fingerprint: Mapped[str] = mapped_column(String(64))


class LoginAttempt(Base):
    """One admin login attempt by a client (an address, or an IPv6 /64), kept for the login
    limit's window; a successful login deletes the client's rows."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_client_at", "client", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(index=True)


class SentSignupMail(Base):
    """One mail the public sign-up form sent (confirm, or "already subscribed"): counted per
    address (case-insensitively), per client and in all, for the sign-up limits."""

    __tablename__ = "signup_mails"
    __table_args__ = (
        Index("ix_signup_mails_address_at", "address_key", "sent_at"),
        Index("ix_signup_mails_client_at", "client", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The address in lower case: Maija@x.fi and MAIJA@x.fi are one address for the limit.
    address_key: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(index=True)


class RenderedFeed(Base):
    """One feed as it was last rendered, shared by every web process (see web/feeds/cache.py).

    `key_hash` names the feed (format, language, URL with its query or token); the row is valid
    only while the store's data version is still `data_version` (and, for a personal feed, the
    subscriber unchanged: `version`). Rows of an older data version are deleted as new ones come.
    """

    __tablename__ = "rendered_feeds"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data_version: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(300))
    etag: Mapped[str] = mapped_column(String(80))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime]
