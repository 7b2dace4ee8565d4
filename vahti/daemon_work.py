"""The daemon's work as the application does it: the crawl queue (services.crawl_queue, crawls
with scrapers/ and dedupe with dedupe/), digests with digest/ (scheduler/ itself uses only
store/; see scheduler.interface)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from digest.claim import make_worker_id
from digest.compose import DigestConfig
from digest.periods import is_due
from digest.plan import plan_deliveries
from digest.send import SendSummary
from digest.worker import send_until_stopped
from scheduler.interface import DigestReport, StopFlags
from services.crawl_queue import CrawlQueue
from vahti.context import child_settings


def daemon_crawl_queue(settings: Settings, sessions: sessionmaker[Session]) -> CrawlQueue:
    """The daemon's crawl queue, which `vahti run` also hands to its web app ("crawl now"):
    `crawl.max_parallel` at once, dedupe after the crawls that changed listings."""
    return CrawlQueue(
        sessions,
        max_parallel=settings.crawl.max_parallel,
        time_limit=settings.crawl.time_limit_seconds,
        child_settings=child_settings(settings),
        dedupe_past_days=settings.dedupe.past_days,
    )


class AppWork:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        digest_config: DigestConfig,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.digest_config = digest_config
        # One id for this process's claims: a later run on this host sees when it died.
        self.worker_id = make_worker_id()

    def digests(self, now: datetime, stop: StopFlags) -> DigestReport:
        """Plan with the slot rule (digest.periods.is_due), then send what is pending, unless
        `scheduler.send_digests` leaves sending to `vahti worker` processes."""
        with self.sessions.begin() as session:
            plan = plan_deliveries(
                session, now, message_id_domain=self.digest_config.message_id_domain, due=is_due
            )
        summary = SendSummary()
        if self.settings.scheduler.send_digests and not stop.finish.is_set():
            summary = asyncio.run(
                send_until_stopped(
                    self.sessions,
                    self.settings.mail,
                    self.digest_config,
                    now,
                    self.worker_id,
                    finish=stop.finish.is_set,
                    abort=stop.abort.is_set,
                )
            )
        return DigestReport(
            due=plan.due,
            planned=plan.created,
            sent=summary.sent,
            empty=summary.empty,
            skipped=summary.skipped,
            failed=summary.failed,
            retried=summary.retried,
            reclaimed=summary.reclaimed,
            stopped=summary.stopped,
            problems=tuple(plan.problems + summary.errors[:20]),
        )
