"""Admin pages: login, the overview with its charts, subscribers and their deliveries.

Sources are in :mod:`web.routes.admin_sources`, events and duplicates in
:mod:`web.routes.admin_events`; :mod:`web.routes.admin_base` holds what they share.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from store import vocab
from store.models import CrawlRun, Delivery, Event, Listing, Source, Subscriber
from web import admin_auth, charts
from web import events as event_queries
from web.clients import request_client
from web.errors import PageError
from web.i18n import N_
from web.resources import resources
from web.routes.admin_base import (
    AdminSession,
    checked_form,
    count_by,
    install,
    open_admin,
    page,
    safe_next,
)

__all__ = ["install", "router"]
router = APIRouter(prefix="/admin")
MAX_PERIOD = 10


# --- login ----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    open_admin(request)
    return page(request, "login.html", {"next": safe_next(request.query_params.get("next", ""))})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    found = open_admin(request)
    client = request_client(request)
    form = await checked_form(request)
    # Counted before the password is checked (in the database, shared by every web process).
    if not await run_in_threadpool(found.login_limiter.attempt, client, found.clock()):
        raise PageError(429, N_("Too many failed logins. Please wait a while and try again."))
    password = form.get("password")
    next_path = safe_next(str(form.get("next") or "")[:500])
    if (
        not isinstance(password, str)
        or len(password) > 1000
        or not admin_auth.password_matches(found.config.admin_password, password)
    ):
        return page(request, "login.html", {"next": next_path, "failed": True}, status_code=401)
    await run_in_threadpool(found.login_limiter.succeeded, client)
    await run_in_threadpool(admin_auth.log_in, request)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    open_admin(request)
    await checked_form(request)
    await run_in_threadpool(admin_auth.log_out, request)
    return RedirectResponse("/admin/login", status_code=303)


# --- dashboard ------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: AdminSession) -> Response:
    found = resources(request)
    now = found.clock()
    zone = found.config.timezone
    upcoming = event_queries.upcoming(session, now)
    runs = session.execute(
        select(CrawlRun.source_id, CrawlRun.started_at, CrawlRun.status, CrawlRun.errors).where(
            CrawlRun.started_at >= now - timedelta(days=charts.DAYS + 1)
        )
    ).all()
    grid = charts.week_grid(((e.start_at, e.categories or []) for e in upcoming), now, zone)
    health = charts.health_days(
        ((r.source_id, r.started_at, r.status, r.errors) for r in runs), now, zone
    )
    return page(
        request,
        "dashboard.html",
        {
            "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
            "health": count_by(session, Source.health),
            "listings": session.scalar(select(func.count()).select_from(Listing)) or 0,
            "events": session.scalar(select(func.count()).select_from(Event)) or 0,
            "upcoming": len(upcoming),
            "joined": sum(1 for event in upcoming if (event.listing_count or 1) > 1),
            "subscribers": count_by(session, Subscriber.status),
            "grid": grid,
            "grid_layout": charts.grid_layout(grid),
            "health_days": health,
            "bars": charts.bars_layout(health),
            "health_states": charts.HEALTH_STATES,
        },
    )


# --- subscribers ----------------------------------------------------------------------------


def _periods(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Delivery.period).distinct().order_by(Delivery.period.desc()).limit(12)
        )
    )


@router.get("/subscribers", response_class=HTMLResponse)
def subscribers_page(request: Request, session: AdminSession) -> Response:
    """Subscribers by status; one period's deliveries by status (statuses as stored, so new
    ones show as they are), and each delivery that did not go out, with why."""
    counts = count_by(session, Subscriber.status)
    periods = _periods(session)
    wanted = request.query_params.get("period", "")[:MAX_PERIOD]
    period = wanted if wanted in periods else (periods[0] if periods else None)
    deliveries: dict[str, int] = {}
    rows: list[tuple[str, Delivery]] = []
    if period is not None:
        deliveries = {
            str(status): int(count)
            for status, count in session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.period == period)
                .group_by(Delivery.status)
                .order_by(Delivery.status)
            )
        }
        rows = [
            (email, delivery)
            for email, delivery in session.execute(
                select(Subscriber.email, Delivery)
                .join(Delivery, Delivery.subscriber_id == Subscriber.id)
                .where(Delivery.period == period, Delivery.status != "sent")
                .order_by(Delivery.status, Subscriber.email)
                .limit(200)
            )
        ]
    statuses = list(vocab.SUBSCRIBER_STATUSES) + sorted(
        set(counts) - set(vocab.SUBSCRIBER_STATUSES)
    )
    return page(
        request,
        "subscribers.html",
        {
            "counts": {status: counts.get(status, 0) for status in statuses},
            "periods": periods,
            "period": period,
            "deliveries": deliveries,
            "rows": rows,
            "zone": resources(request).config.timezone,
        },
    )
