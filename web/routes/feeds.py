"""Feeds: public ones with query filters, personal ones at a subscriber's token URL."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from digest.links import load_event_links
from store import vocab
from store.models import Event, Subscriber
from store.tokens import BadToken, read_token
from web import events as event_queries
from web.errors import PageError
from web.feeds import ical, jsonfeed, syndication
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
) -> bytes:
    if fmt == "atom":
        return syndication.atom(info, items)
    if fmt == "rss":
        return syndication.rss(info, items)
    if fmt == "json":
        return jsonfeed.json_feed(info, items)
    return ical.calendar(info, items, gettext)


def feed_response(
    request: Request,
    found: Resources,
    fmt: str,
    load_events: Callable[[], Sequence[Event]],
    session: Session,
    *,
    state_key: Hashable,
    last_modified: datetime | None,
    language: str,
    title: str,
    subtitle: str,
    feed_url: str,
    home_url: str,
    private: bool,
) -> Response:
    """The feed, or 304 when the client's copy is current (answered from the ETag cache
    without loading the events when this feed was built recently in the same state)."""
    if fmt not in MEDIA_TYPES:
        raise PageError(404, N_("There is no feed in that format."))
    shown = shown_last_modified(last_modified, found.clock())
    headers = {
        "Cache-Control": ("private" if private else "public") + ", max-age=300",
        "Vary": "Accept-Language, Cookie",
    }
    if shown is not None:
        headers["Last-Modified"] = http_date(shown)
    if private:
        headers["X-Robots-Tag"] = "noindex"
    key = (fmt, language, feed_url, state_key)
    cached = found.feed_etags.get(key)
    if is_not_modified(request, cached, shown):
        if cached is not None:
            headers["ETag"] = cached
        return Response(status_code=304, headers=headers)

    def gettext(message: str) -> str:
        return found.renderer.gettext(language, message)

    events = load_events()[: found.config.feed_limit]
    links = load_event_links(session, [event.id for event in events])
    items = [
        make_item(
            event,
            language=language,
            base_url=found.config.base_url,
            viewer_zone=found.config.timezone,
            gettext=gettext,
            links=links.get(event.id),
        )
        for event in events
    ]
    info = FeedInfo(
        title=title,
        subtitle=subtitle,
        home_url=home_url,
        feed_url=feed_url,
        language=language,
        base_url=found.config.base_url,
        host=found.config.host,
    )
    body = _render(fmt, info, items, gettext)
    etag = etag_of(body)
    found.feed_etags.put(key, etag)
    headers["ETag"] = etag
    if is_not_modified(request, etag, shown):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


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
        lambda: event_queries.filtered(session, wanted, now),
        session,
        state_key=state,
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
    return feed_response(
        request,
        found,
        fmt,
        lambda: event_queries.for_subscriber(session, subscriber, now),
        session,
        state_key=(state, subscriber.id, subscriber.updated_at),
        last_modified=changed,
        language=language,
        title=gettext("Tapahtumavahti: my events"),
        subtitle=gettext("Events that match your preferences"),
        feed_url=f"{base}/feeds/{token}/events.{fmt}",
        home_url=f"{base}/",
        private=True,
    )
