"""Feeds: public ones with query filters, personal ones at a subscriber's token URL."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from digest.links import load_event_links
from store import vocab
from store.models import Event, Subscriber
from store.tokens import BadToken, read_token
from web import events as event_queries
from web.errors import PageError
from web.feeds import ical, jsonfeed, syndication
from web.feeds.cache import Rendered, feed_key
from web.feeds.items import FeedInfo, FeedItem, make_item
from web.feeds.validators import (
    etag_of,
    feed_state,
    http_date,
    is_not_modified,
    shown_last_modified,
)
from web.i18n import N_
from web.resources import Resources, db_session, resources

router = APIRouter()
SessionDep = Annotated[Session, Depends(db_session)]

MEDIA_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
BadLink = N_("This link is not valid or no longer works.")


def _render(
    fmt: str,
    info: FeedInfo,
    items: Sequence[FeedItem],
    gettext: Callable[[str], str],
    entries: Callable[[FeedItem, str, Callable[[FeedItem], bytes]], bytes],
) -> bytes:
    if fmt == "atom":
        return syndication.atom(
            info, items, lambda item: entries(item, "atom", syndication.atom_entry)
        )
    if fmt == "rss":
        return syndication.rss(
            info, items, lambda item: entries(item, "rss", syndication.rss_entry)
        )
    if fmt == "json":
        return jsonfeed.json_feed(info, items)
    return ical.calendar(info, items, gettext)


# The events a feed shows, in order, as (id, version): the version is their updated_at (as a
# datetime or as the store's text of it: only compared).
Versions = Sequence[tuple[int, object]]


def feed_response(
    request: Request,
    found: Resources,
    fmt: str,
    select_events: Callable[[], Versions],
    load_events: Callable[[list[int]], Mapping[int, Event]],
    session: Session,
    *,
    data_version: str,
    version: str,
    last_modified: datetime | None,
    language: str,
    title: str,
    subtitle: str,
    feed_url: str,
    home_url: str,
    private: bool,
) -> Response:
    """The feed, or 304 when the client's copy is current.

    The rendered feed is kept under (this feed, `version`) for every web process
    (web.feeds.cache): while the data version stands, no request reads the events. A feed
    rendered after a change takes the items and entries of unchanged events from the entry
    cache and loads and renders only the events whose `updated_at` moved."""
    if fmt not in MEDIA_TYPES:
        raise PageError(404, N_("There is no feed in that format."))
    now = found.clock()
    shown = shown_last_modified(last_modified, now)
    headers = {
        "Cache-Control": ("private" if private else "public") + ", max-age=300",
        "Vary": "Accept-Language, Cookie",
    }
    if shown is not None:
        headers["Last-Modified"] = http_date(shown)
    if private:
        headers["X-Robots-Tag"] = "noindex"
    config = found.config
    key = feed_key(fmt, language, feed_url, config.feed_limit, config.timezone)
    rendered = found.feed_cache.get(session, key, version)
    share = None
    if rendered is None:
        rendered = _build(
            found,
            fmt,
            select_events,
            load_events,
            session,
            language,
            title,
            subtitle,
            feed_url,
            home_url,
        )
        found.feed_cache.keep(key, version, rendered)
        share = BackgroundTask(
            found.feed_cache.share, found.sessions, key, data_version, version, rendered, now
        )
    headers["ETag"] = rendered.etag
    if is_not_modified(request, rendered.etag, shown):
        return Response(status_code=304, headers=headers, background=share)
    return Response(rendered.body, media_type=MEDIA_TYPES[fmt], headers=headers, background=share)


def _build(
    found: Resources,
    fmt: str,
    select_events: Callable[[], Versions],
    load_events: Callable[[list[int]], Mapping[int, Event]],
    session: Session,
    language: str,
    title: str,
    subtitle: str,
    feed_url: str,
    home_url: str,
) -> Rendered:
    config = found.config

    def gettext(message: str) -> str:
        return found.renderer.gettext(language, message)

    context = (language, config.base_url, config.timezone)
    versions = list(select_events()[: config.feed_limit])
    cached = {
        event_id: found.feed_entries.peek((event_id, updated_at, *context), "item")
        for event_id, updated_at in versions
    }
    missing = [event_id for event_id, item in cached.items() if item is None]
    rows = load_events(missing)
    links = load_event_links(session, missing)
    items: list[FeedItem] = []
    for event_id, updated_at in versions:
        item = cached[event_id]
        if item is None:
            item = make_item(
                rows[event_id],
                language=language,
                base_url=config.base_url,
                viewer_zone=config.timezone,
                gettext=gettext,
                links=links.get(event_id),
            )
            found.feed_entries.put((event_id, updated_at, *context), "item", item)
        items.append(item)

    def entries(item: FeedItem, kind: str, make: Callable[[FeedItem], bytes]) -> bytes:
        return found.feed_entries.get_or_make(
            (item.id, item.updated_at, *context), kind, lambda: make(item)
        )

    info = FeedInfo(
        title=title,
        subtitle=subtitle,
        home_url=home_url,
        feed_url=feed_url,
        language=language,
        base_url=config.base_url,
        host=config.host,
    )
    body = _render(fmt, info, items, gettext, entries)
    return Rendered(etag_of(body), body)


@router.get("/feeds/events.{fmt}")
def public_feed(request: Request, fmt: str, session: SessionDep) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    try:
        wanted = event_queries.parse_filter(request.query_params)
    except event_queries.FilterError as exc:
        raise PageError(
            400, N_("A filter has a value we do not know."), detail_text=str(exc)
        ) from exc
    now = found.clock()
    state = feed_state(session, now)
    query = urlencode([*wanted.query_items(), ("lang", language)])
    base = found.config.base_url

    def gettext(message: str) -> str:
        return found.renderer.gettext(language, message)

    return feed_response(
        request,
        found,
        fmt,
        lambda: event_queries.filtered_versions(session, wanted, now),
        lambda ids: event_queries.events_by_id(session, ids),
        session,
        data_version=state.version,
        version=state.version,
        last_modified=state.last_modified,
        language=language,
        title=gettext("Tapahtumavahti: events"),
        subtitle=gettext("Events for growing your professional network in Finland"),
        feed_url=f"{base}/feeds/events.{fmt}?{query}",
        home_url=f"{base}/?{query}",
        private=False,
    )


def feed_subscriber(session: Session, secret: bytes, token: str) -> Subscriber:
    """The active subscriber a feed token names, or a 404 page."""
    try:
        subscriber_id, version = read_token(secret, token, "feed")
    except BadToken as exc:
        raise PageError(404, BadLink) from exc
    subscriber = session.get(Subscriber, subscriber_id)
    if (
        subscriber is None
        or subscriber.token_version != version
        or subscriber.status != vocab.SUBSCRIBER_ACTIVE
    ):
        raise PageError(404, BadLink)
    return subscriber


@router.get("/feeds/{token}/events.{fmt}")
def personal_feed(request: Request, token: str, fmt: str, session: SessionDep) -> Response:
    found = resources(request)
    subscriber = feed_subscriber(session, found.config.secret_key, token)
    language = request.query_params.get("lang") or subscriber.language
    if language not in vocab.LANGUAGES:
        language = subscriber.language
    now = found.clock()
    state = feed_state(session, now)
    base = found.config.base_url

    def gettext(message: str) -> str:
        return found.renderer.gettext(language, message)

    # The subscriber's saved preferences shape this feed too.
    changed = max(t for t in (state.last_modified, subscriber.updated_at) if t is not None)
    rows: dict[int, Event] = {}

    def select_events() -> Versions:
        matching = event_queries.for_subscriber(session, subscriber, now)
        rows.update((event.id, event) for event in matching)
        return [(event.id, event.updated_at) for event in matching]

    return feed_response(
        request,
        found,
        fmt,
        select_events,
        lambda _ids: rows,
        session,
        data_version=state.version,
        version=f"{state.version}|{subscriber.updated_at.isoformat()}|{subscriber.language}",
        last_modified=changed,
        language=language,
        title=gettext("Tapahtumavahti: my events"),
        subtitle=gettext("Events that match your preferences"),
        feed_url=f"{base}/feeds/{token}/events.{fmt}",
        home_url=f"{base}/",
        private=True,
    )
