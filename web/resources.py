"""What handlers need, made once at start-up and kept on ``app.state.vahti``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from digest.transports import Sender
from services.crawl_queue import CrawlQueue
from web.config import WebConfig
from web.feeds.cache import EntryCache, FeedCache
from web.login_limit import LoginLimiter
from web.rendering import Renderer

SchedulerStatus = Callable[[], bool]


@dataclass
class Resources:
    config: WebConfig
    sessions: sessionmaker[Session]
    renderer: Renderer
    sender: Sender
    scheduler_status: SchedulerStatus | None
    clock: Callable[[], datetime]
    login_limiter: LoginLimiter
    crawl_queue: CrawlQueue
    feed_cache: FeedCache = field(default_factory=FeedCache)
    feed_entries: EntryCache = field(default_factory=EntryCache)


def resources(request: Request) -> Resources:
    found: Resources = request.app.state.vahti
    return found


def db_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit what they change."""
    with resources(request).sessions() as session:
        yield session
