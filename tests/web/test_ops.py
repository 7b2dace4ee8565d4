"""/healthz and /metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import sessionmaker

from store.db import make_engine
from store.models import CrawlRun, Delivery
from tests.web.conftest import WebEnv, make_config
from web.app import create_app

pytestmark = pytest.mark.postgres


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_is_ok_when_database_and_scheduler_are(web: WebEnv) -> None:
    response = web.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "scheduler": True}


def test_healthz_is_503_when_the_scheduler_is_dead(web: WebEnv) -> None:
    web.scheduler["alive"] = False
    response = web.client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "database": True, "scheduler": False}


def test_healthz_without_a_scheduler_checks_only_the_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    # A database that cannot be opened: a folder where the file should be.
    (tmp_path / "db").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    app = create_app(make_config(), sessionmaker(engine))
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "database": False}
    engine.dispose()


def test_metrics_in_prometheus_text_format(web: WebEnv) -> None:
    source_id = web.add_source(name="City")
    web.add_source(name="Never crawled", health="failing", enabled=False)
    finished = web.clock.now - timedelta(hours=2)
    with web.db.sessions.begin() as session:
        session.add_all(
            [
                CrawlRun(source_id=source_id, status="ok", finished_at=finished),
                CrawlRun(
                    source_id=source_id,
                    status="ok",
                    finished_at=finished - timedelta(days=1),
                ),
                CrawlRun(source_id=source_id, status="failed", finished_at=web.clock.now),
            ]
        )
    event_id = web.add_event()
    web.add_event(status="cancelled")
    web.add_listing(source_id, event_id)
    web.add_listing(source_id, event_id, external_id="gone", gone_at=web.clock.now)
    active = web.add_subscriber("a@example.fi", status="active")
    web.add_subscriber("b@example.fi", status="pending")
    with web.db.sessions.begin() as session:
        session.add(Delivery(subscriber_id=active.id, period="2026-W48", status="sent"))
    response = web.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert found[("vahti_crawl_runs", (("status", "ok"),))] == 2
    assert found[("vahti_crawl_runs", (("status", "failed"),))] == 1
    assert found[("vahti_listings", (("state", "listed"),))] == 1
    assert found[("vahti_listings", (("state", "gone"),))] == 1
    assert found[("vahti_events", (("status", "scheduled"),))] == 1
    assert found[("vahti_events", (("status", "cancelled"),))] == 1
    assert found[("vahti_subscribers", (("status", "active"),))] == 1
    assert found[("vahti_subscribers", (("status", "pending"),))] == 1
    assert found[("vahti_subscribers", (("status", "bounced"),))] == 0
    assert found[("vahti_deliveries", (("status", "sent"),))] == 1
    assert (
        found[
            (
                "vahti_source_last_success_timestamp_seconds",
                (("source", "City"), ("source_id", str(source_id))),
            )
        ]
        == finished.timestamp()
    )
    assert not any(
        name == "vahti_source_last_success_timestamp_seconds"
        and ("source", "Never crawled") in labels
        for name, labels in found
    )
    assert found[("vahti_sources", (("enabled", "false"), ("health", "failing")))] == 1
    assert found[("vahti_scheduler_up", ())] == 1
