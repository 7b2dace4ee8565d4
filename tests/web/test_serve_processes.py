"""Several web processes on one database: two real `vahti serve` processes (and, for "crawl
now", a separate `vahti run`) share admin sessions, the login limit, the sign-up limits and the
admin's crawl requests through the database, on SQLite (a file) and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import CrawlRequest, CrawlRun, Source
from tests.support.daemon import FAST, VahtiProcess, wait_for
from tests.support.http import SiteServer
from tests.support.serve import vahti_serve
from tests.web.conftest import ADMIN_PASSWORD, csrf_of, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SIGNUP = {
    "language": "en",
    "categories": ["job-fair"],
    "cities": "Helsinki",
    "day": "wed",
    "hour": "7",
    "website": "",
}


class Web:
    """One `vahti serve` process: its base URL and its own outbox."""

    def __init__(self, base_url: str, outbox: Path, log_path: Path) -> None:
        self.base_url = base_url
        self.outbox = outbox
        self.log_path = log_path

    def browser(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10, cookies=cookies)

    def recipients(self) -> list[str]:
        found = []
        for path in sorted(self.outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            found.append(str(message["To"]))
        return found


@contextmanager
def two_web_processes(
    tmp_path: Path, env: dict[str, str], database_url: str
) -> Iterator[tuple[Web, Web]]:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    with ExitStack() as stack:
        webs = []
        for name in ("a", "b"):
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            folder = tmp_path / name
            folder.mkdir()
            full_env = {
                **env,
                "VAHTI_DATABASE__URL": database_url,
                "VAHTI_WEB__BASE_URL": base_url,
                "VAHTI_WEB__ADMIN_PASSWORD": ADMIN_PASSWORD,
                "VAHTI_MAIL__OUTBOX_DIR": str(folder / "outbox"),
            }
            log_path = folder / "serve.log"
            stack.enter_context(
                vahti_serve(port, cwd=folder, env=full_env, log_path=log_path, wait=90)
            )
            webs.append(Web(base_url, folder / "outbox", log_path))
        yield webs[0], webs[1]


def log_in(client: httpx.Client, password: str = ADMIN_PASSWORD) -> int:
    csrf = csrf_of(client.get("/admin/login?lang=en").text)
    answer = client.post("/admin/login", data={"password": password, "csrf": csrf})
    return answer.status_code


def logged_in(client: httpx.Client) -> bool:
    answer = client.get("/admin/")
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/admin/login")
        return False
    assert answer.status_code == 200, answer.text
    return True


def csrf_on(client: httpx.Client) -> str:
    return csrf_of(client.get("/admin/sources").text)


def sign_up(web: Web, email: str) -> None:
    with web.browser() as client:
        answer = client.post("/subscribe", data={**SIGNUP, "email": email})
        assert answer.status_code == 200, answer.text


def test_sessions_login_limit_and_sign_up_limits_are_shared_by_two_processes(
    db_url: str, tmp_path: Path, vahti_env: dict[str, str]
) -> None:
    env = {
        **vahti_env,
        "VAHTI_WEB__LOGIN_ATTEMPTS": "3",
        "VAHTI_WEB__SIGNUP_CLIENT_MAILS_PER_HOUR": "3",
    }
    with two_web_processes(tmp_path, env, db_url) as (a, b):
        # A session opened on A is valid on B (the same cookie); a logout on B ends it on A.
        with a.browser() as on_a:
            assert log_in(on_a) == 303
            with b.browser(on_a.cookies) as on_b:
                assert logged_in(on_a) and logged_in(on_b)  # positive control
                on_b.post("/admin/logout", data={"csrf": csrf_on(on_b)})
                assert not logged_in(on_b)
            assert not logged_in(on_a)
        with b.browser() as again:  # the password still opens a new session on either
            assert log_in(again) == 303 and logged_in(again)

        # The login limit counts the attempts on both: three failures, then 429 on each.
        statuses = []
        for n in range(3):
            with (a if n % 2 else b).browser() as guesser:
                statuses.append(log_in(guesser, "guess"))
        assert statuses == [401, 401, 401]
        for web in (a, b):
            with web.browser() as late:
                assert log_in(late) == 429

        # One mail per address, whichever process was asked (any case) ...
        sign_up(a, "maija@example.fi")
        sign_up(b, "MAIJA@example.fi")
        # ... and this client's three mails an hour, across both.
        sign_up(b, "ville@example.fi")
        sign_up(a, "anna@example.fi")
        sign_up(b, "olli@example.fi")
        sent = sorted(a.recipients() + b.recipients())
        assert sent == ["anna@example.fi", "maija@example.fi", "ville@example.fi"]
        assert a.recipients() and b.recipients()  # each process sent some of them


def source_due_tomorrow(database_url: str, url: str) -> int:
    sessions = session_factory(engine := make_engine(database_url))
    now = datetime.now(UTC)
    try:
        with sessions.begin() as session:
            source = Source(
                name="Messut",
                url=url,
                kind="jsonld",
                interval_hours=24,
                last_run_at=now - timedelta(hours=1),
                next_crawl_at=now + timedelta(hours=23),
            )
            session.add(source)
            session.flush()
            return source.id
    finally:
        engine.dispose()


def test_crawl_now_asked_on_one_web_process_is_run_by_the_active_daemon(
    db_url: str, tmp_path: Path, vahti_env: dict[str, str], site_server: SiteServer
) -> None:
    """Two `vahti serve` and one `vahti run` (another process, sources read only once a
    minute): "crawl now" on A is stored, claimed by the daemon within its request poll and
    crawled there once; neither web process crawls it."""
    start = datetime.now(UTC) + timedelta(days=3)
    page = {"@context": "https://schema.org", "@type": "Event", "name": "Rekrymessut",
            "startDate": start.replace(microsecond=0).isoformat(),
            "url": "https://messut.example/rekry"}  # fmt: skip
    url = site_server.add(
        "/tapahtumat/",
        f'<script type="application/ld+json">{json.dumps(page)}</script>',
    )
    env = {
        **vahti_env,
        **FAST,
        "VAHTI_SCHEDULER__SOURCE_SYNC_SECONDS": "600",
        "VAHTI_SCHEDULER__CRAWL_REQUEST_SECONDS": "0.3",
    }
    with two_web_processes(tmp_path, env, db_url) as (a, b):
        source_id = source_due_tomorrow(db_url, url)
        daemon_env = {**env, "VAHTI_DATABASE__URL": db_url}
        daemon = VahtiProcess("daemon", ["run", "--port", str(free_port())], tmp_path, daemon_env)
        try:
            daemon.wait_for_log("lease: acquired")
            daemon.wait_for_log("sources:", timeout=30)  # its first sync: nothing due
            engine = make_engine(db_url)
            sessions = session_factory(engine)

            def runs() -> list[CrawlRun]:
                with sessions() as session:
                    return list(session.scalars(select(CrawlRun)))

            assert runs() == []
            with a.browser() as admin:
                assert log_in(admin) == 303
                answer = admin.post(
                    f"/admin/sources/{source_id}/crawl", data={"csrf": csrf_on(admin)}
                )
                assert answer.headers["location"].endswith("?crawl=started")
            done = wait_for(
                lambda: [r for r in runs() if r.status != "running"], 30, "the asked-for crawl"
            )
            assert [r.status for r in done] == ["ok"], done[0].first_error
            daemon.wait_for_log(f"crawl: source={source_id} asked for; queued")
            daemon.wait_for_log(f"crawl: source={source_id} (Messut) status=ok")
            with sessions() as session:
                assert session.scalars(select(CrawlRequest)).all() == []
            engine.dispose()
            assert site_server.hits("/tapahtumat/") == 1
            for web in (a, b):
                assert "status=ok" not in web.log_path.read_text()
        finally:
            daemon.close()
