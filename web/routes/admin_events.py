"""Admin: events and their duplicate groups, with the scores that joined each listing
(Listing.match_info) and the admin decisions on them (DedupeDecision); merge two events or
split a listing out, through `dedupe.decisions` (the decision wins on later runs)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from dedupe.decisions import DedupeAdminError, merge_events, split_event
from store.models import DedupeDecision, Event, Listing
from web.i18n import N_
from web.resources import resources
from web.routes.admin_base import AdminSession, checked_form, int_field, page

router = APIRouter(prefix="/admin")
LIMIT = 200
# match_info keys shown, in this order, with the words for them (msgids).
EVIDENCE: dict[str, str] = {
    "rule": N_("rule"),
    "score": N_("score"),
    "title": N_("title"),
    "time": N_("time"),
    "venue": N_("venue"),
    "organiser": N_("organiser"),
    "url": N_("same page"),
    "online_url": N_("same meeting link"),
}


def evidence(match_info: dict[str, Any]) -> list[tuple[str, str]]:
    """The match's facts as (label msgid, value) pairs, leaving out empty and false ones."""
    shown = []
    for key, label in EVIDENCE.items():
        value = match_info.get(key)
        if value in (None, "", False, [], {}):
            continue
        shown.append((label, "✓" if value is True else str(value)))
    return shown


def _decisions(session: Session, listing_ids: list[int]) -> dict[int, list[DedupeDecision]]:
    """Admin decisions touching the listings, by listing id."""
    found: dict[int, list[DedupeDecision]] = defaultdict(list)
    for start in range(0, len(listing_ids), 500):
        chunk = listing_ids[start : start + 500]
        for row in session.scalars(
            select(DedupeDecision).where(
                or_(
                    DedupeDecision.listing_id.in_(chunk),
                    DedupeDecision.other_listing_id.in_(chunk),
                )
            )
        ):
            for listing_id in (row.listing_id, row.other_listing_id):
                if row not in found[listing_id]:
                    found[listing_id].append(row)
    return found


def _events_page(
    request: Request,
    session: Session,
    *,
    error: str = "",
    error_detail: str = "",
    status_code: int = 200,
) -> Response:
    found = resources(request)
    now = found.clock()
    joined_only = request.query_params.get("joined") == "1"
    query = (
        select(Event)
        .where(Event.gone_at.is_(None), func.coalesce(Event.end_at, Event.start_at) >= now)
        .options(selectinload(Event.listings).selectinload(Listing.source))
        .order_by(Event.start_at, Event.id)
        .limit(LIMIT)
    )
    if joined_only:
        query = query.where(Event.listing_count > 1)
    events = list(session.scalars(query))
    decisions = _decisions(session, [listing.id for e in events for listing in e.listings])
    return page(
        request,
        "events.html",
        {
            "events": events,
            "joined_only": joined_only,
            "zone": found.config.timezone,
            "evidence": evidence,
            "decisions": decisions,
            "error": error,
            "error_detail": error_detail,
            "done": request.query_params.get("done", "")[:20],
        },
        status_code=status_code,
    )


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, session: AdminSession) -> Response:
    return _events_page(request, session)


@router.post("/events/{event_id:int}/merge", response_class=HTMLResponse)
async def merge(request: Request, event_id: int, session: AdminSession) -> Response:
    """Merge another event into this one: this one keeps its id."""
    form = await checked_form(request)
    other_id = int_field(form, "other_id")
    found = resources(request)
    try:
        # The dedupe job runs inside: keep it off the event loop.
        await run_in_threadpool(
            merge_events, session, event_id, other_id, found.clock(), found.config.dedupe_past_days
        )
    except DedupeAdminError as exc:
        session.rollback()
        return _events_page(
            request,
            session,
            error=N_("These events cannot be merged."),
            error_detail=str(exc),
            status_code=400,
        )
    session.commit()
    return RedirectResponse(f"/admin/events?joined=1&done=merged#event-{event_id}", 303)


@router.post("/events/{event_id:int}/split", response_class=HTMLResponse)
async def split(request: Request, event_id: int, session: AdminSession) -> Response:
    """Take one listing out of the event for good."""
    form = await checked_form(request)
    listing_id = int_field(form, "listing_id")
    found = resources(request)
    try:
        result = await run_in_threadpool(
            split_event, session, event_id, listing_id, found.clock(), found.config.dedupe_past_days
        )
    except DedupeAdminError as exc:
        session.rollback()
        return _events_page(
            request,
            session,
            error=N_("This listing cannot be split off."),
            error_detail=str(exc),
            status_code=400,
        )
    session.commit()
    return RedirectResponse(f"/admin/events?done=split#event-{result.event_id}", 303)
