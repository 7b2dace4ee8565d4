"""The daemon's work as the application does it: crawls with scrapers/, digests with digest/
(scheduler/ itself uses only store/; see scheduler.interface)."""

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
from scheduler.interface import CrawlReport, DigestReport, StopFlags
from scrapers.runner import KILL_GRACE_SECONDS, crawl_one
from vahti.context import child_settings


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
        # What each crawl child gets on its stdin (it reads no settings of its own).
        self.child_settings = child_settings(settings)
        self.time_limit = settings.crawl.time_limit_seconds
        self.crawl_deadline_seconds = float(self.time_limit + KILL_GRACE_SECONDS)
        # One id for this process's claims: a later run on this host sees when it died.
        self.worker_id = make_worker_id()

    async def crawl(self, source_id: int) -> CrawlReport:
        result = await crawl_one(
            self.sessions, source_id, time_limit=self.time_limit, child_settings=self.child_settings
        )
        return CrawlReport(
            source_id=result.source_id,
            name=result.name,
            status=result.status,
            records=result.records,
            new=result.new,
            updated=result.updated,
            gone=result.gone,
            errors=result.errors,
            seconds=result.duration_s,
            first_error=result.first_error,
        )

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
