"""X-Forwarded-For names the client only when a trusted proxy (web.trusted_proxies) sends it;
the login limit lives in the database, shared by several `vahti serve` processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from config import Settings
from store.db import make_engine
from store.migrate import upgrade
from tests.support.serve import vahti_serve
from tests.web.conftest import (
    ADMIN_PASSWORD,
    BASE_URL,
    csrf_of,
    free_port,
)

pytestmark = pytest.mark.postgres


@contextmanager
def serving(tmp_path: Path, env: dict[str, str], database_url: str, name: str) -> Iterator[str]:
    """`python -m vahti serve` on 127.0.0.1 with `env`; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    folder = tmp_path / name
    folder.mkdir()
    log_path = folder / "serve.log"
    full_env = {
        **env,
        "VAHTI_DATABASE__URL": database_url,
        "VAHTI_WEB__BASE_URL": base_url,
        "VAHTI_WEB__ADMIN_PASSWORD": ADMIN_PASSWORD,
        "VAHTI_MAIL__OUTBOX_DIR": str(folder / "outbox"),
    }
    with vahti_serve(port, cwd=folder, env=full_env, log_path=log_path):
        yield base_url


def log_in(base_url: str, password: str, forwarded_for: str | None = None) -> int:
    """A login through the form by a fresh browser; the answer's status."""
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as client:
        csrf = csrf_of(client.get("/admin/login?lang=en").text)
        response = client.post(
            "/admin/login", data={"password": password, "csrf": csrf}, follow_redirects=False
        )
        return response.status_code


def migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_forwarded_for_from_an_untrusted_peer_does_not_choose_the_client(
    db_url: str, tmp_path: Path, vahti_env: dict[str, str]
) -> None:
    """Two `vahti serve` on one database, web.trusted_proxies unset: 127.0.0.1 is no proxy,
    so five failures under five made-up addresses use up the one real client's attempts,
    on both processes."""
    url = migrated(db_url)
    with ExitStack() as stack:
        first = stack.enter_context(serving(tmp_path, vahti_env, url, "first"))
        second = stack.enter_context(serving(tmp_path, vahti_env, url, "second"))
        servers = [first, second]
        # Positive control: the right password logs in before any failure.
        assert log_in(first, ADMIN_PASSWORD) == 303
        for n in range(5):
            status = log_in(servers[n % 2], "guess", forwarded_for=f"203.0.113.{n + 1}")
            assert status == 401
        for server in servers:
            assert log_in(server, ADMIN_PASSWORD, forwarded_for="203.0.113.99") == 429


def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    tmp_path: Path, vahti_env: dict[str, str]
) -> None:
    env = {**vahti_env, "VAHTI_WEB__TRUSTED_PROXIES": '["127.0.0.1"]'}
    url = migrated(vahti_env["VAHTI_DATABASE__URL"])
    with serving(tmp_path, env, url, "proxied") as base_url:
        for _ in range(5):
            assert log_in(base_url, "guess", forwarded_for="203.0.113.1") == 401
        assert log_in(base_url, ADMIN_PASSWORD, forwarded_for="203.0.113.1") == 429
        # Another client behind the same proxy is not held back; nor is the proxy itself.
        assert log_in(base_url, ADMIN_PASSWORD, forwarded_for="203.0.113.2") == 303
        assert log_in(base_url, ADMIN_PASSWORD) == 303


def wrong_logins(client: TestClient, forwarded: list[str]) -> list[int]:
    token = csrf_of(client.get("/admin/login").text)
    return [
        client.post(
            "/admin/login",
            data={"password": "guess", "csrf": token},
            headers={"X-Forwarded-For": address},
        ).status_code
        for address in forwarded
    ]


def test_the_app_believes_only_the_listed_proxies(apps: Any) -> None:
    web = apps(trusted_proxies=("10.0.0.0/8",), login_attempts=2)
    proxy = TestClient(web.app, base_url=BASE_URL, client=("10.1.2.3", 40000))
    stranger = TestClient(web.app, base_url=BASE_URL, client=("192.0.2.1", 40000))
    # Through the proxy each forwarded address is a client of its own ...
    assert wrong_logins(proxy, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [401] * 3
    assert wrong_logins(proxy, ["203.0.113.1", "203.0.113.1"]) == [401, 429]
    # ... while a stranger's header is ignored: it is counted as itself.
    assert wrong_logins(stranger, ["203.0.113.4", "203.0.113.5", "203.0.113.6"]) == [
        401,
        401,
        429,
    ]


def test_no_proxy_is_believed_by_default(apps: Any) -> None:
    web = apps(login_attempts=2)
    local = TestClient(web.app, base_url=BASE_URL, client=("127.0.0.1", 40000))
    assert wrong_logins(local, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [
        401,
        401,
        429,
    ]


def test_the_daemons_web_server_leaves_forwarded_headers_to_the_app() -> None:
    from fastapi import FastAPI

    from vahti.web_server import make_web_server

    server = make_web_server(FastAPI(), "127.0.0.1", 0)
    assert server.config.proxy_headers is False


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    settings = Settings.model_validate({"web": {"trusted_proxies": ["10.0.0.5", "10.1.0.0/16"]}})
    assert settings.web.trusted_proxies == ["10.0.0.5", "10.1.0.0/16"]
    assert Settings().web.trusted_proxies == []
    with pytest.raises(ValidationError, match=r"'proxy\.example' is not an IP address"):
        Settings.model_validate({"web": {"trusted_proxies": ["proxy.example"]}})
    with pytest.raises(ValidationError, match=r"'\*' is not an IP address"):
        Settings.model_validate({"web": {"trusted_proxies": ["*"]}})


def test_web_config_takes_the_web_limits_from_the_settings() -> None:
    from vahti.cli.serve import web_config

    settings = Settings.model_validate(
        {
            "web": {
                "trusted_proxies": ["10.0.0.5"],
                "admin_session_hours": 2,
                "login_attempts": 3,
                "login_window_minutes": 5,
                "confirm_link_hours": 24,
                "signup_resend_minutes": 30,
                "signup_client_mails_per_hour": 4,
                "signup_mails_per_hour": 50,
            }
        }
    )
    config = web_config(settings, b"secret")
    assert config.trusted_proxies == ("10.0.0.5",)
    assert (config.admin_session_hours, config.login_attempts) == (2, 3)
    assert (config.login_window_minutes, config.confirm_valid_hours) == (5, 24)
    assert config.confirm_resend_minutes == 30
    assert (config.signup_client_mails_per_hour, config.signup_mails_per_hour) == (4, 50)
