"""The app factory: settings in (as a plain WebConfig), a FastAPI app out."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from digest.transports import FileSender, Sender
from services.crawl_queue import CrawlQueue
from web import errors
from web.config import WebConfig
from web.login_limit import LoginLimiter
from web.metrics import make_registry
from web.rendering import Renderer
from web.resources import Resources, SchedulerStatus
from web.routes import admin, admin_events, admin_sources, feeds, ops, public, subscribers

STATIC = Path(__file__).resolve().parent / "static"
ADMIN_COOKIE = "vahti_admin"

# No inline scripts or styles anywhere; the pages work without JavaScript.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI, so streaming is untouched)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            # Token links must not leak to other sites through the Referer header.
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in self.headers if header[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _session_secret(secret_key: bytes) -> str:
    """A key of its own for the admin cookie, derived from the secret key."""
    return hmac.new(secret_key, b"vahti admin session", hashlib.sha256).hexdigest()


def create_app(
    config: WebConfig,
    sessions: sessionmaker[Session],
    *,
    scheduler_status: SchedulerStatus | None = None,
    sender: Sender | None = None,
    clock: Callable[[], datetime] | None = None,
    crawl_queue: CrawlQueue | None = None,
) -> FastAPI:
    """Build the web app.

    `sessions` makes database sessions (one per request); `scheduler_status` answers whether
    the daemon's scheduler is alive (for /healthz); `sender` sends confirmation mails (default:
    the file outbox var/outbox); `clock` gives "now" (tests); `crawl_queue` runs the admin's
    "crawl now" (`vahti run` hands in the daemon's, which the daemon stops; default: one of the
    app's own, from the config, stopped with the app, which leaves the request to the active
    daemon when there is one). Admin-added source URLs are checked by
    the source service under `config.allow_private_networks`.
    """
    if not config.secret_key:
        raise ValueError("WebConfig.secret_key is empty: links cannot be signed")
    now = clock or (lambda: datetime.now(UTC))
    own_queue = crawl_queue is None
    crawls = crawl_queue or CrawlQueue(
        sessions,
        max_parallel=config.crawl_max_parallel,
        time_limit=config.crawl_time_limit,
        child_settings=config.child_settings,
        dedupe_past_days=config.dedupe_past_days,
        clock=now,
        leave_to_daemon=True,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_queue:
            await crawls.stop()

    app = FastAPI(
        title="Tapahtumavahti",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.vahti = Resources(
        config=config,
        sessions=sessions,
        renderer=Renderer(config.default_language),
        sender=sender or FileSender(Path("var/outbox")),
        scheduler_status=scheduler_status,
        clock=now,
        login_limiter=LoginLimiter(
            sessions, config.login_attempts, timedelta(minutes=config.login_window_minutes)
        ),
        crawl_queue=crawls,
    )
    app.state.metrics_registry = make_registry(sessions, scheduler_status)
    errors.install(app)
    admin.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (public, feeds, subscribers, admin, admin_sources, admin_events, ops):
        app.include_router(module.router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=_session_secret(config.secret_key),
        session_cookie=ADMIN_COOKIE,
        max_age=round(config.admin_session_hours * 3600),
        path="/admin",
        same_site="lax",
        https_only=config.https,
    )
    app.add_middleware(SecurityHeaders, https=config.https)
    if config.trusted_proxies:
        # Outermost: the client address every handler (and the limits) sees. Only these peers'
        # X-Forwarded-For/-Proto count; the servers run with uvicorn's own proxy_headers off.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))
    return app
