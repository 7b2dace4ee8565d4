"""Prometheus metrics read from the store at scrape time (one collector, its own registry).

Counts are gauges of what the database holds now (old crawl runs are cleaned up, so they are
not monotonic counters).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from store import vocab
from store.models import CrawlRun, Delivery, Event, Listing, Source, Subscriber

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SUCCESS_STATUSES = ("ok", "not_modified", "suspect")


class StoreCollector(Collector):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        scheduler_status: Callable[[], bool] | None = None,
    ) -> None:
        self.sessions = sessions
        self.scheduler_status = scheduler_status

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            yield from self._by_status(
                session,
                "vahti_crawl_runs",
                "Crawl runs kept in the store, by status.",
                CrawlRun.status,
                (),
            )
            listings = GaugeMetricFamily(
                "vahti_listings",
                "Listings, by whether their source still lists them.",
                labels=["state"],
            )
            gone = session.scalar(select(func.count()).where(Listing.gone_at.is_not(None))) or 0
            total = session.scalar(select(func.count()).select_from(Listing)) or 0
            listings.add_metric(["listed"], total - gone)
            listings.add_metric(["gone"], gone)
            yield listings
            yield from self._by_status(
                session, "vahti_events", "Events, by status.", Event.status, vocab.STATUSES
            )
            yield from self._by_status(
                session,
                "vahti_subscribers",
                "Subscribers, by status.",
                Subscriber.status,
                vocab.SUBSCRIBER_STATUSES,
            )
            yield from self._by_status(
                session,
                "vahti_deliveries",
                "Digest deliveries, by status.",
                Delivery.status,
                ("pending", "sending", "sent", "failed", "empty"),
            )
            yield from self._sources(session)
        if self.scheduler_status is not None:
            up = GaugeMetricFamily("vahti_scheduler_up", "1 when the scheduler is alive.")
            up.add_metric([], 1 if _safe(self.scheduler_status) else 0)
            yield up

    def _by_status(
        self,
        session: Session,
        name: str,
        documentation: str,
        column: InstrumentedAttribute[str],
        known: tuple[str, ...],
    ) -> Iterator[Metric]:
        family = GaugeMetricFamily(name, documentation, labels=["status"])
        counts = dict.fromkeys(known, 0)
        for status, count in session.execute(select(column, func.count()).group_by(column)):
            counts[str(status)] = int(count)
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        yield family

    def _sources(self, session: Session) -> Iterator[Metric]:
        last_success = GaugeMetricFamily(
            "vahti_source_last_success_timestamp_seconds",
            "When each source's last successful crawl finished (Unix time).",
            labels=["source_id", "source"],
        )
        health = GaugeMetricFamily(
            "vahti_sources",
            "Sources, by health and whether they are enabled.",
            labels=["health", "enabled"],
        )
        rows = session.execute(
            select(Source.id, Source.name, func.max(CrawlRun.finished_at))
            .outerjoin(
                CrawlRun,
                (CrawlRun.source_id == Source.id) & CrawlRun.status.in_(SUCCESS_STATUSES),
            )
            .group_by(Source.id, Source.name)
            .order_by(Source.id)
        )
        for source_id, name, finished in rows:
            if finished is not None:
                last_success.add_metric([str(source_id), name], finished.timestamp())
        counts = session.execute(
            select(Source.health, Source.enabled, func.count()).group_by(
                Source.health, Source.enabled
            )
        )
        for state, enabled, count in counts:
            health.add_metric([state, "true" if enabled else "false"], count)
        yield last_success
        yield health


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


def make_registry(
    sessions: sessionmaker[Session], scheduler_status: Callable[[], bool] | None
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(sessions, scheduler_status))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
