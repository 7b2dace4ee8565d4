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

from services import sources as service
from services.source_trials import ChildFailed, DryRun, dry_run, probe
from services.sources import MAX_CONFIG, MAX_NAME, MAX_URL, SourceError, SourceRules
from store import vocab
from store.models import CrawlRun, Listing, Source
from web.errors import PageError
from web.i18n import N_
from web.resources import Resources, resources
from web.routes.admin_base import AdminSession, checked_form, page, text_field
from web.source_forms import CssForm, form_field, read_css_form

router = APIRouter(prefix="/admin")
MAX_REASON = 4000


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


def source_rules(found: Resources) -> SourceRules:
    """The rules of the source service, from the app's configuration (crawl.* settings)."""
    config = found.config
    return SourceRules(
        allow_private_networks=config.allow_private_networks,
        trusted_hosts=config.trusted_hosts,
        default_interval_hours=config.default_interval_hours,
        default_timezone=config.source_timezone,
    )


@router.post("/sources/preview", response_class=HTMLResponse)
async def preview_source(request: Request, session: AdminSession) -> Response:
    """What the source would give: the kind chosen and why, a handful of records, errors."""
    found = resources(request)
    form = await checked_form(request)
    values = _fields(form)
    rules = source_rules(found)
    try:
        url = service.check_source_url(values["url"], rules)
        kind = service.check_kind(values["kind"])
        config: dict[str, Any] = {}
        if kind == "css":
            _css, config = read_css_form(values)
    except SourceError as exc:
        return _sources_page(
            request,
            session,
            form=values,
            css=_css_shown(values),
            error=exc.message,
            error_detail=exc.detail,
            error_key=form_field(exc),
            status_code=400,
        )
    timezone = rules.default_timezone
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
            planned = service.plan_trial(crawl_url, crawl_kind, config, rules)
            trial = await dry_run(planned, timezone, child_settings=child_settings)
    except (ChildFailed, SourceError) as exc:
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
    spec = service.SourceSpec(
        url=values["url"],
        name=values["name"] or None,
        kind=values["kind"],
        config=text_field(form, "config", MAX_CONFIG),
        detected_kind=text_field(form, "detected_kind", 60) or None,
        feed_url=text_field(form, "feed_url", MAX_URL) or None,
        detected_reason=text_field(form, "detected_reason", MAX_REASON) or None,
    )
    try:
        source = service.add_source(session, spec, source_rules(found), found.clock())
    except SourceError as exc:
        return _sources_page(
            request,
            session,
            form=values,
            error=exc.message,
            error_detail=exc.detail,
            error_key=form_field(exc),
            status_code=400,
        )
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
    try:
        service.enable_source(session, source_id, resources(request).clock())
    except service.SourceNotFound:
        raise PageError(404, N_("There is no such source.")) from None
    session.commit()
    return RedirectResponse(_back(form, source_id), status_code=303)


@router.post("/sources/{source_id:int}/disable")
async def disable_source(request: Request, source_id: int, session: AdminSession) -> Response:
    form = await checked_form(request)
    try:
        service.disable_source(session, source_id)
    except service.SourceNotFound:
        raise PageError(404, N_("There is no such source.")) from None
    session.commit()
    return RedirectResponse(_back(form, source_id), status_code=303)


# The fields of a source's settings form; the source service checks them (the bounds are
# services.sources.MIN_INTERVAL_HOURS..MAX_INTERVAL_HOURS and MAX_PRIORITY, for the CLI too).
SETTINGS_FIELDS = {"name": MAX_NAME, "interval_hours": 100, "priority": 100, "language": 10}


@router.post("/sources/{source_id:int}/settings", response_class=HTMLResponse)
async def edit_settings(request: Request, source_id: int, session: AdminSession) -> Response:
    """Name, hours between crawls, merge priority and default language of a source; a new
    interval moves the next crawl at once (services.sources.change_source)."""
    found = resources(request)
    form = await checked_form(request)
    source = _source_or_404(session, source_id)
    changes = {key: text_field(form, key, limit) for key, limit in SETTINGS_FIELDS.items()}
    try:
        service.change_source(session, source.id, changes, source_rules(found), found.clock())
    except SourceError as exc:
        return _source_page(
            request,
            session,
            source,
            error=exc.message,
            error_detail=exc.detail,
            error_key=form_field(exc),
            settings_form={k: v for k, v in form.items() if isinstance(v, str)},
            status_code=400,
        )
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
        if form.get("action") == "save":
            change = {"kind": "css", "config": config}
            service.change_source(session, source.id, change, source_rules(found), found.clock())
            session.commit()
            return RedirectResponse(f"/admin/sources/{source.id}?saved=1", status_code=303)
    except SourceError as exc:
        return _source_page(
            request,
            session,
            source,
            css=_css_shown(values),
            error=exc.message,
            error_detail=exc.detail,
            error_key=form_field(exc),
            status_code=400,
        )
    trial: DryRun | None = None
    failure = ""
    try:
        planned = service.plan_trial(source.url, "css", config, source_rules(found))
        trial = await dry_run(planned, source.timezone, child_settings=found.config.child_settings)
    except (ChildFailed, SourceError) as exc:
        failure = str(exc)
    return _source_page(request, session, source, css=css, trial=trial, failure=failure)
