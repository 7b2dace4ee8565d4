"""`vahti serve`: the web app (feeds, subscriber pages, admin) under uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from scrapers.handoff import ChildSettings
    from services.crawl_queue import CrawlQueue
    from web.config import WebConfig
    from web.resources import SchedulerStatus

from config import Settings
from vahti.cli.common import state
from vahti.context import AppContext, child_settings


def web_config(
    settings: Settings, secret_key: bytes, child: ChildSettings | None = None
) -> WebConfig:
    """The web app's plain configuration, read from the settings once; `child` (default: from
    `settings`) is handed to the crawls and probes the admin pages start in child processes."""
    from web.config import WebConfig

    return WebConfig(
        base_url=settings.web.base_url,
        secret_key=secret_key,
        admin_password=settings.web.admin_password.get_secret_value(),
        allow_private_networks=settings.crawl.allow_private_networks,
        trusted_hosts=tuple(settings.crawl.trusted_hosts),
        timezone=settings.digest.timezone,
        source_timezone=settings.crawl.default_timezone,
        default_language=settings.digest.default_language,
        default_day=settings.digest.default_day,
        default_hour=settings.digest.default_hour,
        max_items=settings.digest.max_items,
        from_address=settings.mail.from_address,
        message_id_domain=settings.mail.message_id_domain,
        default_interval_hours=settings.crawl.default_interval_hours,
        child_settings=child or child_settings(settings),
        crawl_time_limit=settings.crawl.time_limit_seconds,
        crawl_max_parallel=settings.crawl.max_parallel,
        dedupe_past_days=settings.dedupe.past_days,
        confirm_valid_hours=settings.web.confirm_link_hours,
        confirm_resend_minutes=settings.web.signup_resend_minutes,
        signup_client_mails_per_hour=settings.web.signup_client_mails_per_hour,
        signup_mails_per_hour=settings.web.signup_mails_per_hour,
        login_attempts=settings.web.login_attempts,
        login_window_minutes=settings.web.login_window_minutes,
        admin_session_hours=settings.web.admin_session_hours,
        trusted_proxies=tuple(settings.web.trusted_proxies),
    )


def build_app(
    context: AppContext,
    scheduler_status: SchedulerStatus | None = None,
    crawl_queue: CrawlQueue | None = None,
) -> FastAPI:
    """The app as `vahti serve` runs it (with a crawl queue of its own for "crawl now");
    `vahti run` serves the same, handing in the daemon's crawl queue."""
    from digest.transports import make_sender
    from web.app import create_app

    # The digest commands own the choice of mail backend (file or SMTP).
    return create_app(
        web_config(context.settings, context.secret_key()),
        context.sessions,
        scheduler_status=scheduler_status,
        sender=make_sender(context.settings.mail),
        crawl_queue=crawl_queue,
    )


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: web.host).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (default: web.port).", min=0, max=65535),
    ] = None,
) -> None:
    """Serve the web app: event pages, feeds, subscriber pages, admin, /healthz, /metrics."""
    import uvicorn

    settings = state.app.settings
    app = build_app(state.app)
    uvicorn.run(
        app,
        host=host or settings.web.host,
        port=settings.web.port if port is None else port,
        log_level="info",
        # The app believes forwarded headers from web.trusted_proxies only (web.app).
        proxy_headers=False,
        server_header=False,
    )
