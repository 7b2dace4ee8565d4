"""`vahti serve` as a real process."""

from __future__ import annotations

import httpx

from tests.web.conftest import Served


def test_serve_answers_health_pages_and_feeds(served: Served) -> None:
    health = httpx.get(f"{served.base_url}/healthz", timeout=5)
    assert health.json() == {"status": "ok", "database": True}
    page = httpx.get(f"{served.base_url}/?lang=en", timeout=5)
    assert page.status_code == 200 and "No upcoming events match these filters." in page.text
    feed = httpx.get(f"{served.base_url}/feeds/events.atom", timeout=5)
    assert feed.status_code == 200 and "<feed" in feed.text
    # Links in feeds use web.base_url.
    assert f"{served.base_url}/feeds/events.atom" in feed.text


def test_serve_help_names_its_options(run_vahti) -> None:  # type: ignore[no-untyped-def]
    result = run_vahti("serve", "--help")
    assert result.returncode == 0
    assert "--host" in result.stdout and "--port" in result.stdout
    assert "web.host" in result.stdout and "web.port" in result.stdout
