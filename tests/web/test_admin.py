"""Admin pages: closed without a password, login, CSRF, sources, events, subscribers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from services.sources import SourceError, SourceRules, check_source_url
from store.models import CrawlRun, Delivery, Source
from tests.web.conftest import ADMIN_PASSWORD, WebEnv, csrf_of

pytestmark = pytest.mark.postgres


def log_in(web: WebEnv, password: str = ADMIN_PASSWORD) -> str:
    """Log in through the form; return the CSRF token of the session."""
    page = web.client.get("/admin/login")
    response = web.client.post(
        "/admin/login",
        data={"password": password, "csrf": csrf_of(page.text), "next": "/admin/sources"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/sources"
    return csrf_of(web.client.get("/admin/sources").text)


def test_admin_is_closed_while_no_password_is_set(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory(admin_password="")
    for path in ("/admin/", "/admin/login", "/admin/sources"):
        page = web.client.get(path, headers={"Accept-Language": "en"})
        assert page.status_code == 403
        assert "no admin password is set" in page.text
    refused = web.client.post("/admin/login", data={"password": ""})
    assert refused.status_code == 403


def test_pages_redirect_to_login_until_logged_in(web: WebEnv) -> None:
    response = web.client.get("/admin/sources", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/sources"


def test_login_sets_a_signed_httponly_samesite_cookie(web: WebEnv) -> None:
    page = web.client.get("/admin/login")
    response = web.client.post(
        "/admin/login",
        data={"password": ADMIN_PASSWORD, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("vahti_admin=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "path=/admin" in cookie.lower()
    assert web.client.get("/admin/", follow_redirects=False).status_code == 200


def test_wrong_password_is_refused_and_attempts_are_limited(web: WebEnv) -> None:
    page = web.client.get("/admin/login?lang=en")
    token = csrf_of(page.text)
    for _ in range(5):
        wrong = web.client.post("/admin/login", data={"password": "guess", "csrf": token})
        assert wrong.status_code == 401 and "Wrong password." in wrong.text
    blocked = web.client.post("/admin/login", data={"password": ADMIN_PASSWORD, "csrf": token})
    assert blocked.status_code == 429
    web.clock.advance(minutes=16)
    allowed = web.client.post(
        "/admin/login", data={"password": ADMIN_PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert allowed.status_code == 303


def test_login_without_the_csrf_token_is_refused(web: WebEnv) -> None:
    web.client.get("/admin/login")
    response = web.client.post("/admin/login", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 403
    assert web.client.get("/admin/", follow_redirects=False).status_code == 303


def test_an_argon2_hash_works_as_the_configured_password(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory(admin_password=PasswordHasher().hash("hashed secret"))
    log_in(web, "hashed secret")


def test_forms_without_a_valid_csrf_token_change_nothing(web: WebEnv) -> None:
    token = log_in(web)
    source_id = web.add_source()
    for data in ({}, {"csrf": "forged"}, {"csrf": token + "x"}):
        response = web.client.post(f"/admin/sources/{source_id}/disable", data=data)
        assert response.status_code == 403
    added = web.client.post("/admin/sources", data={"url": "https://new.example.fi/"})
    assert added.status_code == 403
    with web.db.sessions() as session:
        assert session.get_one(Source, source_id).enabled is True
        assert session.scalars(select(Source)).all().__len__() == 1


def test_adding_enabling_and_disabling_a_source(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory(allow_private_networks=True)
    token = log_in(web)
    response = web.client.post(
        "/admin/sources",
        data={
            "csrf": token,
            "url": "webcal://127.0.0.1:8100/calendar.ics",
            "name": "Kalenteri",
            "kind": "ics",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    with web.db.sessions() as session:
        (source,) = session.scalars(select(Source)).all()
        assert source.url == "https://127.0.0.1:8100/calendar.ics"
        assert (source.kind, source.name, source.enabled) == ("ics", "Kalenteri", True)
        assert source.next_crawl_at == web.clock.now
    listing = web.client.get("/admin/sources")
    assert "Kalenteri" in listing.text
    web.client.post(f"/admin/sources/{source.id}/disable", data={"csrf": token})
    with web.db.sessions() as session:
        assert session.get_one(Source, source.id).enabled is False
    web.client.post(f"/admin/sources/{source.id}/enable", data={"csrf": token})
    with web.db.sessions() as session:
        assert session.get_one(Source, source.id).enabled is True


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/admin",
        "http://10.1.2.3/events",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "ftp://files.example.fi/",
        "javascript:alert(1)",
    ],
)
def test_private_loopback_and_non_http_urls_are_refused(web: WebEnv, url: str) -> None:
    token = log_in(web)
    response = web.client.post(
        "/admin/sources?lang=en", data={"csrf": token, "url": url, "kind": "auto"}
    )
    assert response.status_code == 400
    assert "This address cannot be added as a source." in response.text
    with web.db.sessions() as session:
        assert session.scalars(select(Source)).all() == []


def test_the_guard_allows_internal_addresses_only_when_told() -> None:
    with pytest.raises(SourceError, match=r"127\.0\.0\.1 is a loopback address") as refused:
        check_source_url("http://127.0.0.1:8100/", SourceRules(allow_private_networks=False))
    assert refused.value.field == "url"
    allowed = SourceRules(allow_private_networks=True)
    assert check_source_url("http://127.0.0.1:8100/", allowed) == "http://127.0.0.1:8100/"
    assert check_source_url("http://93.184.215.14/events", SourceRules())


def test_unknown_kind_is_refused(web: WebEnv) -> None:
    token = log_in(web)
    response = web.client.post(
        "/admin/sources", data={"csrf": token, "url": "https://93.184.215.14/", "kind": "pdf"}
    )
    assert response.status_code == 400


def test_source_page_shows_its_runs_and_errors(web: WebEnv) -> None:
    log_in(web)
    source_id = web.add_source(health="failing")
    with web.db.sessions.begin() as session:
        session.add(
            CrawlRun(
                source_id=source_id,
                started_at=web.clock.now - timedelta(hours=1),
                status="failed",
                errors=3,
                first_error="HTTP 500 from https://tyo.example.fi/",
            )
        )
    page = web.client.get(f"/admin/sources/{source_id}?lang=en")
    assert page.status_code == 200
    assert "HTTP 500 from https://tyo.example.fi/" in page.text
    assert "Failing" in page.text
    assert web.client.get("/admin/sources/999").status_code == 404


def test_events_page_shows_listings_joined_into_one_event(web: WebEnv) -> None:
    log_in(web)
    first = web.add_source(name="City")
    second = web.add_source(name="University")
    event_id = web.add_event(title="Job fair", listing_count=2)
    web.add_listing(first, event_id, title="Rekrytointimessut", match_info={"title": 0.93})
    web.add_listing(second, event_id, title="Recruitment fair")
    web.add_event(title="Alone")
    page = web.client.get("/admin/events?joined=1&lang=en")
    assert "Rekrytointimessut" in page.text and "Recruitment fair" in page.text
    assert "2 listings" in page.text and "<dt>title</dt><dd>0.93</dd>" in page.text
    assert "Alone" not in page.text
    assert "Alone" in web.client.get("/admin/events").text


def test_subscribers_page_counts_by_status_and_shows_failed_deliveries(web: WebEnv) -> None:
    log_in(web)
    active = web.add_subscriber("a@example.fi", status="active")
    web.add_subscriber("b@example.fi", status="pending")
    web.add_subscriber("c@example.fi", status="active")
    with web.db.sessions.begin() as session:
        session.add(
            Delivery(subscriber_id=active.id, period="2026-W48", status="failed", last_error="550")
        )
    page = web.client.get("/admin/subscribers?lang=en")
    counts = dict(re.findall(r"<dt>(\w+)</dt><dd>(\d+)</dd>", page.text))
    assert counts["Active"] == "2" and counts["Pending"] == "1" and counts["Unsubscribed"] == "0"
    assert "2026-W48" in page.text and "a@example.fi" in page.text and "550" in page.text


def test_logout_ends_the_session(web: WebEnv) -> None:
    token = log_in(web)
    web.client.post("/admin/logout", data={"csrf": token})
    assert web.client.get("/admin/", follow_redirects=False).status_code == 303
