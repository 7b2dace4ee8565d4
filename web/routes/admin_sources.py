"""Admin: sources. List with health; add by URL with a preview of what would be extracted
(auto-detection and a trial crawl, both in child processes); edit a css source's selectors
with a preview; enable, disable, crawl now (a background task; the request returns at once)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from store import vocab
from store.models import CrawlRun, Listing, Source
from web.errors import PageError
from web.i18n import N_
from web.probing import ChildFailed, DryRun, dry_run, probe
from web.resources import Resources, resources
from web.routes.admin_base import AdminSession, checked_form, page, text_field
from web.source_forms import (
    ConfigError,
    CssForm,
    check_css_config,
    read_config_json,
    read_css_form,
)
from web.urlguard import UrlRefused

router = APIRouter(prefix="/admin")
MAX_URL = 2000
MAX_NAME = 200
MAX_REASON = 4000
CRAWL_KINDS = tuple(kind for kind in vocab.SOURCE_KINDS if kind != "auto")


def _fields(form: FormData) -> dict[str, str]:
    values = {
        "url": text_field(form, "url", MAX_URL),
        "name": text_field(form, "name", MAX_NAME),
        "kind": text_field(form, "kind", 60) or "auto",
    }
    for key, value in form.items():
        if key.startswith("css_") and isinstance(value, str):
            values[key] = value
    return values


def _sources_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    css: CssForm | None = None,
    error: str = "",
    error_detail: str = "",
    error_key: str = "",
    status_code: int = 200,
) -> Response:
    sources = list(session.scalars(select(Source).order_by(Source.name, Source.id)))
    crawls = resources(request).crawl_queue
    return page(
        request,
        "sources.html",
        {
            "sources": sources,
            "crawling": {s.id for s in sources if crawls.running(s.id)},
            "kinds": vocab.SOURCE_KINDS,
            "form": form or {"url": "", "name": "", "kind": "auto"},
            "css": css or CssForm({}, ""),
            "error": error,
            "error_detail": error_detail,
            "error_key": error_key,
        },
        status_code=status_code,
    )


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, session: AdminSession) -> Response:
    return _sources_page(request, session)


class _Refused(Exception):
    def __init__(self, message: str, detail: str = "", key: str = "") -> None:
        super().__init__(message)
        self.message, self.detail, self.key = message, detail, key


def _checked_url(found: Resources, url: str) -> str:
    if not url:
        raise _Refused(N_("Enter the address of the organiser's page, feed or API."), key="url")
    try:
        return found.url_guard(url)
    except UrlRefused as exc:
        raise _Refused(N_("This address cannot be added as a source."), str(exc), "url") from exc


def _checked_kind(kind: str) -> str:
    if not vocab.is_source_kind(kind):
        raise _Refused(N_("Choose a kind from the list."), key="kind")
    return kind


@router.post("/sources/preview", response_class=HTMLResponse)
async def preview_source(request: Request, session: AdminSession) -> Response:
    """What the source would give: the kind chosen and why, a handful of records, errors."""
    found = resources(request)
    form = await checked_form(request)
    values = _fields(form)
    css = CssForm({}, "")
    try:
        url = _checked_url(found, values["url"])
        kind = _checked_kind(values["kind"])
        config: dict[str, Any] = {}
        if kind == "css":
            css, config = read_css_form(values)
    except _Refused as refused:
        return _sources_page(
            request,
            session,
            form=values,
            css=css,
            error=refused.message,
            error_detail=refused.detail,
            error_key=refused.key,
            status_code=400,
        )
    except ConfigError as exc:
        return _sources_page(
            request,
            session,
            form=values,
            css=_css_shown(values),
            error=N_("The selectors cannot be used."),
            error_detail=str(exc),
            error_key=exc.key,
            status_code=400,
        )
    timezone = found.config.timezone
    child_settings = found.config.child_settings
    detection: dict[str, Any] | None = None
    trial: DryRun | None = None
    failure = ""
    crawl_url, crawl_kind = url, kind
    try:
        if kind == "auto":
            detection = await probe(url, config, timezone, child_settings=child_settings)
            if detection.get("kind"):
                crawl_url, crawl_kind = str(detection["url"]), str(detection["kind"])
                config = config or dict(detection.get("config") or {})
        if kind != "auto" or (detection and detection.get("kind")):
            trial = await dry_run(
                crawl_url, crawl_kind, config, timezone, child_settings=child_settings
            )
    except ChildFailed as exc:
        failure = str(exc)
    savable = kind != "auto" or bool(
        detection and (detection.get("kind") or not detection.get("reachable", True))
    )
    return page(
        request,
        "preview.html",
        {
            "form": values,
            "url": url,
            "kind": kind,
            "detection": detection,
            "trial": trial,
            "failure": failure,
            "config_json": json.dumps(config, ensure_ascii=False),
            "savable": savable and not failure,
            "zone": found.config.timezone,
        },
    )


def _css_shown(values: dict[str, str]) -> CssForm:
    return CssForm(
        {k[4:]: v for k, v in values.items() if k.startswith("css_") and k != "css_options" and v},
        values.get("css_options", ""),
    )


@router.post("/sources", response_class=HTMLResponse)
async def add_source(request: Request, session: AdminSession) -> Response:
    """Save a source (after its preview): the detection found there comes along."""
    found = resources(request)
    form = await checked_form(request)
    values = _fields(form)
    detected_kind = text_field(form, "detected_kind", 60) or None
    feed_url = text_field(form, "feed_url", MAX_URL) or None
    reason = text_field(form, "detected_reason", MAX_REASON) or None
    try:
        url = _checked_url(found, values["url"])
        kind = _checked_kind(values["kind"])
        if detected_kind is not None and detected_kind not in CRAWL_KINDS:
            raise _Refused(N_("Choose a kind from the list."), key="kind")
        if feed_url is not None and feed_url != url:
            feed_url = _checked_url(found, feed_url)
        config = read_config_json(text_field(form, "config", 8000))
        if (detected_kind or kind) == "css":
            check_css_config(config)
    except _Refused as refused:
        return _sources_page(
            request,
            session,
            form=values,
            error=refused.message,
            error_detail=refused.detail,
            error_key=refused.key,
            status_code=400,
        )
    except ConfigError as exc:
        return _sources_page(
            request,
            session,
            form=values,
            error=N_("The selectors cannot be used."),
            error_detail=str(exc),
            error_key=exc.key,
            status_code=400,
        )
    source = Source(
        name=values["name"] or url,
        url=url,
        kind=kind,
        config=config,
        interval_hours=found.config.default_interval_hours,
        timezone=found.config.timezone,
        next_crawl_at=found.clock(),
        detected_kind=detected_kind if kind == "auto" else None,
        feed_url=feed_url if feed_url != url else None,
        detected_reason=reason if kind == "auto" else None,
    )
    session.add(source)
    session.commit()
    return RedirectResponse(f"/admin/sources/{source.id}?saved=1", status_code=303)


def _source_or_404(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise PageError(404, N_("There is no such source."))
    return source


def _back(form: FormData, source_id: int) -> str:
    return f"/admin/sources/{source_id}" if form.get("back") == "source" else "/admin/sources"


@router.post("/sources/{source_id:int}/enable")
async def enable_source(request: Request, source_id: int, session: AdminSession) -> Response:
    form = await checked_form(request)
    source = _source_or_404(session, source_id)
    source.enabled = True
    source.next_crawl_at = resources(request).clock()
    session.commit()
    return RedirectResponse(_back(form, source_id), status_code=303)


@router.post("/sources/{source_id:int}/disable")
async def disable_source(request: Request, source_id: int, session: AdminSession) -> Response:
    form = await checked_form(request)
    source = _source_or_404(session, source_id)
    source.enabled = False
    session.commit()
    return RedirectResponse(_back(form, source_id), status_code=303)


# Bounds of a source's settings on the admin page (`vahti sources set` checks only that the
# interval is at least 0.01 h and the language is known).
MAX_INTERVAL_HOURS = 720.0
MAX_PRIORITY = 1000


def _read_settings(form: FormData) -> tuple[dict[str, Any], str, str]:
    """(values, error, the field at fault) from the settings form; error "" when fine."""
    name = text_field(form, "name", 200)
    if not name:
        return {}, N_("The name cannot be empty."), "name"
    try:
        interval = float(text_field(form, "interval_hours", 20).replace(",", "."))
    except ValueError:
        interval = 0.0
    if not 0.01 <= interval <= MAX_INTERVAL_HOURS:
        return {}, N_("Hours between crawls must be a number from 0.01 to 720."), "interval_hours"
    priority_text = text_field(form, "priority", 20) or "0"
    try:
        priority = int(priority_text)
    except ValueError:
        priority = MAX_PRIORITY + 1
    if abs(priority) > MAX_PRIORITY:
        return {}, N_("The priority must be a whole number from -1000 to 1000."), "priority"
    language = text_field(form, "language", 10)
    if language and language not in vocab.LANGUAGES:
        return {}, N_("Choose fi, sv, en or none as the language."), "language"
    values = {
        "name": name,
        "interval_hours": interval,
        "priority": priority,
        "language": language or None,
    }
    return values, "", ""


@router.post("/sources/{source_id:int}/settings", response_class=HTMLResponse)
async def edit_settings(request: Request, source_id: int, session: AdminSession) -> Response:
    """Name, hours between crawls, merge priority and default language of a source; a new
    interval moves the next crawl at once (scrapers.bookkeeping.change_interval)."""
    from scrapers.bookkeeping import change_interval

    form = await checked_form(request)
    source = _source_or_404(session, source_id)
    values, error, key = _read_settings(form)
    if error:
        return _source_page(
            request,
            session,
            source,
            error=error,
            error_key=key,
            settings_form={k: v for k, v in form.items() if isinstance(v, str)},
            status_code=400,
        )
    change_interval(source, values.pop("interval_hours"))
    for name, value in values.items():
        setattr(source, name, value)
    session.commit()
    return RedirectResponse(f"/admin/sources/{source.id}?saved=1", status_code=303)


@router.post("/sources/{source_id:int}/crawl")
async def crawl_now(request: Request, source_id: int, session: AdminSession) -> Response:
    """Start a crawl in the background and return at once."""
    await checked_form(request)
    _source_or_404(session, source_id)
    started = resources(request).crawl_queue.crawl_now(session, source_id)
    flag = "started" if started else "running"
    return RedirectResponse(f"/admin/sources/{source_id}?crawl={flag}", status_code=303)


def _source_page(
    request: Request,
    session: Session,
    source: Source,
    *,
    css: CssForm | None = None,
    trial: DryRun | None = None,
    failure: str = "",
    error: str = "",
    error_detail: str = "",
    error_key: str = "",
    settings_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = resources(request)
    runs = list(
        session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_id == source.id)
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            .limit(20)
        )
    )
    listings = session.scalar(
        select(func.count()).where(Listing.source_id == source.id, Listing.gone_at.is_(None))
    )
    running = found.crawl_queue.busy(session, source.id)
    return page(
        request,
        "source.html",
        {
            "source": source,
            "runs": runs,
            "listings": listings or 0,
            "running": running,
            "notice": request.query_params.get("crawl") or request.query_params.get("saved"),
            "css": css or CssForm.from_config(source.config or {}),
            "selectors_apply": source.crawl_kind in ("css", "auto"),
            "trial": trial,
            "failure": failure,
            "error": error,
            "error_detail": error_detail,
            "error_key": error_key,
            "zone": found.config.timezone,
            "settings": {  # what the settings form shows: as sent back, else as stored
                "name": source.name,
                "interval_hours": f"{source.interval_hours:g}",
                "priority": str(source.priority),
                "language": source.language or "",
                **(settings_form or {}),
            },
            "languages": vocab.LANGUAGES,
        },
        status_code=status_code,
    )


@router.get("/sources/{source_id:int}", response_class=HTMLResponse)
def source_page(request: Request, source_id: int, session: AdminSession) -> Response:
    return _source_page(request, session, _source_or_404(session, source_id))


@router.post("/sources/{source_id:int}/selectors", response_class=HTMLResponse)
async def edit_selectors(request: Request, source_id: int, session: AdminSession) -> Response:
    """Preview (a trial crawl, nothing stored) or save a css source's selectors."""
    found = resources(request)
    form = await checked_form(request)
    source = _source_or_404(session, source_id)
    values = {k: v for k, v in form.items() if k.startswith("css_") and isinstance(v, str)}
    try:
        css, config = read_css_form(values)
    except ConfigError as exc:
        return _source_page(
            request,
            session,
            source,
            css=_css_shown(values),
            error=N_("The selectors cannot be used."),
            error_detail=str(exc),
            error_key=exc.key,
            status_code=400,
        )
    if form.get("action") == "save":
        source.kind, source.config = "css", config
        source.detected_kind = source.feed_url = source.detected_reason = None
        source.next_crawl_at = found.clock()
        session.commit()
        return RedirectResponse(f"/admin/sources/{source.id}?saved=1", status_code=303)
    trial: DryRun | None = None
    failure = ""
    try:
        trial = await dry_run(
            source.url,
            "css",
            config,
            source.timezone,
            child_settings=found.config.child_settings,
        )
    except ChildFailed as exc:
        failure = str(exc)
    return _source_page(request, session, source, css=css, trial=trial, failure=failure)
