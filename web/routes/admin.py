"""Admin pages: sources (health, runs, add, enable/disable), events with their listings,
subscriber counts. Closed while no admin password is set; every form carries a CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData

from store import vocab
from store.models import CrawlRun, Delivery, Event, Listing, Source, Subscriber
from web import admin_auth
from web import events as event_queries
from web.errors import PageError
from web.i18n import N_
from web.resources import Resources, resources
from web.urlguard import UrlRefused

router = APIRouter(prefix="/admin")
MAX_FORM = 16 * 1024


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def install(app: FastAPI) -> None:
    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/admin/login?next={quote(exc.next_path)}", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)


def _open(request: Request) -> Resources:
    found = resources(request)
    if not found.config.admin_enabled:
        raise PageError(
            403,
            N_("The admin pages are closed: no admin password is set."),
            detail_text="VAHTI_WEB__ADMIN_PASSWORD",
        )
    admin_auth.csrf_token(request)
    return found


def admin_session(request: Request) -> Iterator[Session]:
    """A database session for a logged-in admin; else a redirect to the login page."""
    found = _open(request)
    if not admin_auth.logged_in(request):
        raise LoginRequired(request.url.path)
    with found.sessions() as session:
        yield session


AdminSession = Annotated[Session, Depends(admin_session)]


async def _checked_form(request: Request) -> FormData:
    form = await request.form(max_files=0, max_fields=50, max_part_size=MAX_FORM)
    if not admin_auth.csrf_ok(request, form.get(admin_auth.CSRF_FIELD)):
        raise PageError(403, N_("The form had expired. Go back, reload the page and try again."))
    return form


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    return found.renderer.page(
        request, f"web/admin/{name}", language, context, status_code=status_code
    )


def _safe_next(value: str) -> str:
    return value if value.startswith("/admin") and "//" not in value else "/admin/"


# --- login ----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    _open(request)
    return _page(request, "login.html", {"next": _safe_next(request.query_params.get("next", ""))})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    found = _open(request)
    client = request.client.host if request.client else "unknown"
    now = found.clock()
    if found.login_limiter.blocked(client, now):
        raise PageError(429, N_("Too many failed logins. Please wait a while and try again."))
    form = await _checked_form(request)
    password = form.get("password")
    next_path = _safe_next(str(form.get("next") or ""))
    if not isinstance(password, str) or not admin_auth.password_matches(
        found.config.admin_password, password
    ):
        found.login_limiter.failed(client, now)
        return _page(request, "login.html", {"next": next_path, "failed": True}, status_code=401)
    found.login_limiter.succeeded(client)
    admin_auth.log_in(request)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    _open(request)
    await _checked_form(request)
    admin_auth.log_out(request)
    return RedirectResponse("/admin/login", status_code=303)


# --- dashboard ------------------------------------------------------------------------------


def _count_by(session: Session, column: Any) -> dict[str, int]:
    return {
        str(key): int(count)
        for key, count in session.execute(select(column, func.count()).group_by(column))
    }


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: AdminSession) -> Response:
    now = resources(request).clock()
    upcoming = event_queries.upcoming(session, now)
    return _page(
        request,
        "dashboard.html",
        {
            "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
            "health": _count_by(session, Source.health),
            "listings": session.scalar(select(func.count()).select_from(Listing)) or 0,
            "events": session.scalar(select(func.count()).select_from(Event)) or 0,
            "upcoming": len(upcoming),
            "joined": sum(1 for event in upcoming if (event.listing_count or 1) > 1),
            "subscribers": _count_by(session, Subscriber.status),
        },
    )


# --- sources --------------------------------------------------------------------------------


def _sources_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    error_detail: str = "",
    status_code: int = 200,
) -> Response:
    sources = list(session.scalars(select(Source).order_by(Source.name, Source.id)))
    return _page(
        request,
        "sources.html",
        {
            "sources": sources,
            "kinds": vocab.SOURCE_KINDS,
            "form": form or {"url": "", "name": "", "kind": "auto"},
            "error": error,
            "error_detail": error_detail,
        },
        status_code=status_code,
    )


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, session: AdminSession) -> Response:
    return _sources_page(request, session)


@router.post("/sources", response_class=HTMLResponse)
async def add_source(request: Request, session: AdminSession) -> Response:
    found = resources(request)
    form = await _checked_form(request)
    values = {key: str(form.get(key) or "").strip() for key in ("url", "name", "kind")}
    kind = values["kind"] or "auto"
    if len(values["url"]) > 2000 or len(values["name"]) > 200:
        return _sources_page(
            request,
            session,
            form=values,
            error=N_("The address or name is too long."),
            status_code=400,
        )
    if not vocab.is_source_kind(kind):
        return _sources_page(
            request,
            session,
            form=values,
            error=N_("Choose a kind from the list."),
            status_code=400,
        )
    try:
        url = found.url_guard(values["url"])
    except UrlRefused as exc:
        return _sources_page(
            request,
            session,
            form=values,
            error=N_("This address cannot be added as a source."),
            error_detail=str(exc),
            status_code=400,
        )
    source = Source(
        name=values["name"] or url,
        url=url,
        kind=kind,
        interval_hours=found.config.default_interval_hours,
        timezone=found.config.timezone,
        next_crawl_at=found.clock(),
    )
    session.add(source)
    session.commit()
    return RedirectResponse(f"/admin/sources/{source.id}", status_code=303)


def _source_or_404(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise PageError(404, N_("There is no such source."))
    return source


@router.post("/sources/{source_id:int}/enable")
async def enable_source(request: Request, source_id: int, session: AdminSession) -> Response:
    await _checked_form(request)
    source = _source_or_404(session, source_id)
    source.enabled = True
    source.next_crawl_at = resources(request).clock()
    session.commit()
    return RedirectResponse("/admin/sources", status_code=303)


@router.post("/sources/{source_id:int}/disable")
async def disable_source(request: Request, source_id: int, session: AdminSession) -> Response:
    await _checked_form(request)
    source = _source_or_404(session, source_id)
    source.enabled = False
    session.commit()
    return RedirectResponse("/admin/sources", status_code=303)


@router.get("/sources/{source_id:int}", response_class=HTMLResponse)
def source_page(request: Request, source_id: int, session: AdminSession) -> Response:
    source = _source_or_404(session, source_id)
    runs = list(
        session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_id == source_id)
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            .limit(20)
        )
    )
    listings = session.scalar(
        select(func.count()).where(Listing.source_id == source_id, Listing.gone_at.is_(None))
    )
    return _page(
        request, "source.html", {"source": source, "runs": runs, "listings": listings or 0}
    )


# --- events ---------------------------------------------------------------------------------


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, session: AdminSession) -> Response:
    now = resources(request).clock()
    joined_only = request.query_params.get("joined") == "1"
    query = (
        select(Event)
        .where(Event.gone_at.is_(None), func.coalesce(Event.end_at, Event.start_at) >= now)
        .options(selectinload(Event.listings).selectinload(Listing.source))
        .order_by(Event.start_at, Event.id)
        .limit(200)
    )
    if joined_only:
        query = query.where(Event.listing_count > 1)
    events = list(session.scalars(query))
    return _page(
        request,
        "events.html",
        {"events": events, "joined_only": joined_only, "zone": resources(request).config.timezone},
    )


# --- subscribers ----------------------------------------------------------------------------


@router.get("/subscribers", response_class=HTMLResponse)
def subscribers_page(request: Request, session: AdminSession) -> Response:
    counts = _count_by(session, Subscriber.status)
    latest = session.scalar(select(func.max(Delivery.period)))
    deliveries: dict[str, int] = {}
    failures: list[tuple[str, str]] = []
    if latest is not None:
        deliveries = {
            str(status): int(count)
            for status, count in session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.period == latest)
                .group_by(Delivery.status)
            )
        }
        failures = [
            (email, error or "")
            for email, error in session.execute(
                select(Subscriber.email, Delivery.last_error)
                .join(Delivery, Delivery.subscriber_id == Subscriber.id)
                .where(Delivery.period == latest, Delivery.status == "failed")
                .order_by(Subscriber.email)
                .limit(100)
            )
        ]
    return _page(
        request,
        "subscribers.html",
        {
            "counts": {status: counts.get(status, 0) for status in vocab.SUBSCRIBER_STATUSES},
            "period": latest,
            "deliveries": deliveries,
            "failures": failures,
        },
    )
