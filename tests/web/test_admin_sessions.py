"""Admin sessions live on the server: logout and a password change end them for every copy of
the cookie; several app instances on one database share sessions and the login limit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from store.models import Source
from tests.web.conftest import ADMIN_PASSWORD, BASE_URL, WebEnv, csrf_of

pytestmark = pytest.mark.postgres


def log_in(client: TestClient, password: str = ADMIN_PASSWORD) -> str:
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/admin/sources").text)


def browser(env: WebEnv, cookie: str | None = None, address: str = "testclient") -> TestClient:
    """Another browser on the app; `cookie` is a copied admin cookie."""
    cookies = {} if cookie is None else {"vahti_admin": cookie}
    return TestClient(env.app, base_url=BASE_URL, client=(address, 40000), cookies=cookies)


def admin_cookie(client: TestClient) -> str:
    value = client.cookies.get("vahti_admin")
    assert value
    return value


def is_logged_in(client: TestClient) -> bool:
    response = client.get("/admin/", follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/admin/login")
        return False
    assert response.status_code == 200, response.text
    return True


def test_a_copied_cookie_gets_the_login_page_after_logout(apps: Any) -> None:
    web = apps()
    source_id = web.add_source()
    token = log_in(web.client)
    copied = admin_cookie(web.client)
    # Positive control: the copy works as long as the session does.
    assert is_logged_in(browser(web, copied))
    web.client.post("/admin/logout", data={"csrf": token})
    assert not is_logged_in(web.client)
    thief = browser(web, copied)
    page = thief.get("/admin/sources")
    assert page.url.path == "/admin/login"
    assert 'name="password"' in page.text
    changed = thief.post(
        f"/admin/sources/{source_id}/disable", data={"csrf": token}, follow_redirects=False
    )
    assert changed.status_code == 303
    assert changed.headers["location"].startswith("/admin/login")
    with web.db.sessions() as session:
        source = session.scalar(select(Source).where(Source.id == source_id))
        assert source is not None and source.enabled


def test_a_password_change_ends_the_sessions_opened_with_the_old_one(apps: Any) -> None:
    web = apps()
    log_in(web.client)
    copied = admin_cookie(web.client)
    # Positive control: the same password after a restart (a new app) keeps the session.
    restarted = apps()
    assert is_logged_in(browser(restarted, copied))
    changed = apps(admin_password="a brand new password")
    assert not is_logged_in(browser(changed, copied))
    # The new password opens a new session.
    fresh = browser(changed)
    log_in(fresh, "a brand new password")
    assert is_logged_in(fresh)


def test_two_app_instances_share_sessions(apps: Any) -> None:
    first = apps()
    second = apps()
    token = log_in(first.client)
    copied = admin_cookie(first.client)
    other = browser(second, copied)
    assert is_logged_in(other)
    other.post("/admin/logout", data={"csrf": token})
    assert not is_logged_in(browser(first, copied))


def test_an_idle_session_ends(apps: Any) -> None:
    web = apps(admin_session_hours=8)
    log_in(web.client)
    copied = admin_cookie(web.client)
    web.clock.advance(hours=7)
    assert is_logged_in(browser(web, copied))  # seen: idle from here
    web.clock.advance(hours=7)
    assert is_logged_in(browser(web, copied))
    web.clock.advance(hours=8, minutes=1)
    assert not is_logged_in(browser(web, copied))


def test_two_app_instances_share_the_login_limit(apps: Any) -> None:
    first = apps()
    second = apps()
    tokens = [csrf_of(env.client.get("/admin/login?lang=en").text) for env in (first, second)]
    for n in (0, 1, 0, 1, 0):
        env = (first, second)[n]
        wrong = env.client.post("/admin/login", data={"password": "guess", "csrf": tokens[n]})
        assert wrong.status_code == 401
    for n, env in enumerate((first, second)):
        blocked = env.client.post(
            "/admin/login", data={"password": ADMIN_PASSWORD, "csrf": tokens[n]}
        )
        assert blocked.status_code == 429
        assert "Too many failed logins" in blocked.text
    # Positive control: another client is not blocked by this one's failures.
    other = browser(second, address="198.51.100.9")
    log_in(other)
    assert is_logged_in(other)
