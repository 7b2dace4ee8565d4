"""The daemon's own figures for /metrics (the store's counts are web.metrics')."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

ROLES = ("starting", "standby", "active", "stopping")


@dataclass
class DaemonStats:
    """Updated by the daemon on its event loop; read by the metrics scrape (another thread;
    a slightly stale read is fine)."""

    role: str = "starting"
    crawls_running: int = 0
    last_success: dict[str, float] = field(default_factory=dict)
    runs: Counter[tuple[str, str]] = field(default_factory=Counter)

    def record(self, job: str, ok: bool) -> None:
        self.runs[(job, "ok" if ok else "error")] += 1
        if ok:
            self.last_success[job] = time.time()


class DaemonCollector(Collector):
    def __init__(self, stats: DaemonStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        role = GaugeMetricFamily(
            "vahti_scheduler_role",
            "1 for this daemon's role: active (holds the lease), standby, starting or stopping.",
            labels=["role"],
        )
        for name in ROLES:
            role.add_metric([name], 1 if self.stats.role == name else 0)
        yield role
        crawls = GaugeMetricFamily(
            "vahti_scheduler_crawls_running", "Crawl processes this daemon is running now."
        )
        crawls.add_metric([], self.stats.crawls_running)
        yield crawls
        last = GaugeMetricFamily(
            "vahti_scheduler_job_last_success_timestamp_seconds",
            "When each of this daemon's jobs last finished without an error (Unix time).",
            labels=["job"],
        )
        for job, when in sorted(self.stats.last_success.items()):
            last.add_metric([job], when)
        yield last
        runs = CounterMetricFamily(
            "vahti_scheduler_job_runs",
            "Job runs by this daemon since it started, by job and outcome.",
            labels=["job", "outcome"],
        )
        for (job, outcome), count in sorted(self.stats.runs.items()):
            runs.add_metric([job, outcome], count)
        yield runs
