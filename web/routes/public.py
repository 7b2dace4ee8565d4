"""Public pages: the event list with filters, one event, and its .ics (add to calendar)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from digest.links import EventLinks, load_event_links
from store import vocab
from store.models import Event
from web import events as event_queries
from web.errors import PageError
from web.feeds import ical
from web.feeds.items import FeedInfo, make_item, row_links
from web.feeds.validators import etag_of, http_date, is_not_modified, shown_last_modified
from web.formatting import http_url
from web.i18n import N_
from web.resources import db_session, resources
from web.routes.common import feed_links, json_ld, viewer_zone

router = APIRouter()
SessionDep = Annotated[Session, Depends(db_session)]


@router.get("/", response_class=HTMLResponse)
def event_list(request: Request, session: SessionDep) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    try:
        wanted = event_queries.parse_filter(request.query_params)
    except event_queries.FilterError as exc:
        raise PageError(
            400, N_("A filter has a value we do not know."), detail_text=str(exc)
        ) from exc
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    now = found.clock()
    matching = event_queries.filtered(session, wanted, now)
    size = found.config.page_size
    pages = max(1, -(-len(matching) // size))
    page = min(page, pages)
    shown = matching[(page - 1) * size : page * size]

    def page_url(number: int) -> str:
        query = [*wanted.query_items(), ("page", str(number))]
        if "tz" in request.query_params:
            query.append(("tz", request.query_params["tz"]))
        return f"/?{urlencode(query)}"

    return found.renderer.page(
        request,
        "web/events.html",
        language,
        {
            "events": shown,
            "total": len(matching),
            "page": page,
            "pages": pages,
            "page_url": page_url,
            "wanted": wanted,
            "zone": viewer_zone(request, found.config),
            "cities": event_queries.cities(session, now),
            "categories": vocab.CATEGORIES,
            "event_languages": vocab.EVENT_LANGUAGES,
            "feeds": feed_links(found.config.base_url, wanted, language),
        },
    )


def event_links_of(session: Session, event: Event) -> EventLinks:
    """The event's links from its listings (digest.links: pages only, never API documents)."""
    return load_event_links(session, [event.id]).get(event.id) or row_links(event)


def _event_or_404(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise PageError(404, N_("There is no such event."))
    return event


@router.get("/events/{event_id:int}.ics")
def event_ics(request: Request, event_id: int, session: SessionDep) -> Response:
    """One event as an .ics file: the digest's "add to calendar" link (a stable URL)."""
    found = resources(request)
    event = _event_or_404(session, event_id)
    language = found.renderer.language(request)

    def gettext(message: str) -> str:
        return found.renderer.gettext(language, message)

    item = make_item(
        event,
        language=language,
        base_url=found.config.base_url,
        viewer_zone=found.config.timezone,
        gettext=gettext,
        links=event_links_of(session, event),
    )
    info = FeedInfo(
        title=item.title,
        subtitle=item.summary,
        home_url=item.page_url,
        feed_url=item.ics_url,
        language=language,
        base_url=found.config.base_url,
        host=found.config.host,
    )
    body = ical.calendar(info, [item], gettext)
    etag = etag_of(body)
    shown = shown_last_modified(event.updated_at, found.clock())
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if shown is not None:
        headers["Last-Modified"] = http_date(shown)
    if is_not_modified(request, etag, shown):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="event-{event.id}.ics"'
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.get("/events/{event_id:int}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int, session: SessionDep) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    event = _event_or_404(session, event_id)
    links = event_links_of(session, event)
    page_url = f"{found.config.base_url}/events/{event.id}"
    return found.renderer.page(
        request,
        "web/event.html",
        language,
        {
            "event": event,
            "zone": viewer_zone(request, found.config),
            # The organiser's page (None: none known) and the other sources listing the event.
            "organiser_page": http_url(links.page),
            "also_listed": [(name, http_url(url)) for name, url in links.listed_at],
            "ics_url": f"/events/{event.id}.ics",
            "json_ld": json_ld(event, page_url, language, same_as=links.pages),
            "past": (event.end_at or event.start_at) < found.clock(),
        },
    )


@router.get("/events", include_in_schema=False)
def events_redirect() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)
