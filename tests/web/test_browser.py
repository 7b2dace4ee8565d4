"""The web app in a real Chromium (Debian's), driven by Playwright, against `vahti serve`.

Screenshots at phone and desktop widths go to tests/_artifacts/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.models import Event, Source, Subscriber
from tests.support.browser import NEEDS_CHROMIUM, chromium
from tests.support.extract import fixture
from tests.support.http import SiteServer
from tests.web.conftest import ADMIN_PASSWORD, Served
from tests.web.test_admin_sources import CALENDAR_PAGE

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    NEEDS_CHROMIUM,
]


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def seed_events(served: Served) -> None:
    engine = make_engine(served.database_url)
    now = datetime.now(UTC)
    with session_factory(engine).begin() as session:
        session.add_all(
            [
                Event(
                    title="Rekrytointimessut <script>alert(1)</script>",
                    titles={"en": "Recruitment fair", "sv": "Rekryteringsmässa"},
                    start_at=now + timedelta(days=2),
                    end_at=now + timedelta(days=2, hours=4),
                    city="Helsinki",
                    venue="Messukeskus",
                    categories=["job-fair"],
                    language="fi",
                    url="https://organiser.example.fi/fair",
                    urls=["https://organiser.example.fi/fair", "https://city.example.fi/77"],
                    deadline_at=now + timedelta(days=1),
                ),
                Event(
                    title="CV clinic for international talents",
                    start_at=now + timedelta(days=4),
                    attendance="online",
                    categories=["webinar", "workshop"],
                    language="en",
                ),
                Event(
                    title="Mentorointiohjelman haku: Kasvu Open -ohjelma kevät 2027",
                    start_at=now + timedelta(days=6),
                    city="Tampere",
                    categories=["mentoring"],
                    language="fi",
                    status="cancelled",
                ),
            ]
        )
    engine.dispose()


def subscriber(served: Served, email: str) -> Subscriber:
    engine = make_engine(served.database_url)
    with session_factory(engine)() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == email))
    engine.dispose()
    assert found is not None
    return found


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_subscribe_confirm_change_preferences_and_unsubscribe(served: Served, browser) -> None:  # type: ignore[no-untyped-def]
    seed_events(served)
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))

    page.goto(f"{served.base_url}/")
    assert page.locator("h1").inner_text() == "Events for growing your professional network"
    assert page.get_by_role("link", name="Recruitment fair").is_visible()
    shoot(page, "events-phone")

    page.get_by_role("link", name="Weekly e-mail").click()
    page.get_by_label("E-mail address").fill("Aino@Example.fi")
    page.get_by_label("Language of the e-mails").select_option("en")
    page.get_by_label("Job fair").check()
    page.get_by_label("Mentoring").check()
    page.get_by_label("Cities").fill("Helsinki, Tampere")
    shoot(page, "subscribe-phone")
    page.get_by_role("button", name="Subscribe").click()
    assert page.locator("h1").inner_text() == "Check your e-mail"

    (mail,) = served.mails()
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    confirm = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", text)
    assert confirm is not None
    page.goto(confirm.group(1))
    assert subscriber(served, "Aino@example.fi").status == "pending"
    page.get_by_role("button", name="Yes, start my weekly e-mail").click()
    assert page.locator("h1").inner_text() == "You are subscribed"
    assert subscriber(served, "Aino@example.fi").status == "active"

    page.get_by_role("link", name="Change your preferences").click()
    assert page.get_by_label("Job fair").is_checked()
    page.get_by_label("Webinar").check()
    page.get_by_label("Send on").select_option("fri")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    shoot(page, "preferences-phone")
    page.set_viewport_size(DESKTOP)
    shoot(page, "preferences-desktop")
    stored = subscriber(served, "Aino@example.fi")
    assert stored.categories == ["job-fair", "mentoring", "webinar"] and stored.send_day == "fri"

    page.get_by_role("link", name="Unsubscribe").last.click()
    page.get_by_role("button", name="Yes, unsubscribe").click()
    assert page.locator("h1").inner_text() == "You are unsubscribed"
    assert subscriber(served, "Aino@example.fi").status == "unsubscribed"
    assert errors == [], errors
    context.close()


def test_pages_fit_a_phone_and_a_desktop(served: Served, browser) -> None:  # type: ignore[no-untyped-def]
    seed_events(served)
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, locale="fi-FI")
        page = context.new_page()
        for path, shot in (("/", "events"), ("/subscribe", "subscribe"), ("/events/1", "event")):
            page.goto(f"{served.base_url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} scrolls sideways at {viewport['width']}px"
            shoot(page, f"{shot}-{name}-fi")
        # The scraped <script> in the title is shown as text and never runs.
        page.goto(f"{served.base_url}/events/1")
        assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
        context.close()


WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className)"""


def no_sideways_scroll(page, viewport: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDE)
    assert width <= viewport["width"], f"{page.url} is {width}px wide: {wide}"


def test_admin_adds_a_source_with_a_preview_crawls_it_and_sees_its_events(
    served: Served,
    browser,  # type: ignore[no-untyped-def]
    site_server: SiteServer,
) -> None:
    site_server.add("/urapalvelut/", CALENDAR_PAGE, content_type="text/html; charset=utf-8")
    site_server.add(
        "/urapalvelut/events.ics", fixture("ics", "urapalvelut.ics"), content_type="text/calendar"
    )
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.goto(f"{served.base_url}/admin/")
    assert page.url.startswith(f"{served.base_url}/admin/login")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("Wrong password.").is_visible()  # answered 401
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.locator("h1").inner_text() == "Overview"
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Sources").click()
    page.get_by_label("Address (URL)").fill(site_server.url("/urapalvelut/"))
    page.get_by_label("Name", exact=True).fill("Urapalvelut")
    page.get_by_role("button", name="Preview").click()
    assert page.locator("h1").inner_text() == "Preview"
    assert page.get_by_text("Found: ics at").is_visible()
    assert page.get_by_role("cell", name="CV clinic (moved to Wednesday)").is_visible()
    shoot(page, "admin-preview-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, "admin-preview-phone")
    no_sideways_scroll(page, PHONE)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Save the source").click()
    assert page.locator("h1").inner_text() == "Urapalvelut"
    assert page.get_by_text("Not crawled yet.").is_visible()
    page.get_by_role("button", name="Crawl now").click()
    assert page.get_by_text("A crawl is running.").is_visible()
    deadline = time.monotonic() + 90
    while page.get_by_text("A crawl is running.").count() and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    assert page.get_by_role("cell", name="Crawled").is_visible()
    shoot(page, "admin-source-desktop")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Events").click()
    assert page.get_by_role("link", name="CV clinic (moved to Wednesday)").is_visible()
    shoot(page, "admin-events-desktop")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Overview").click()
    assert page.get_by_role("img", name="Upcoming events per week by category").is_visible()
    assert page.get_by_role("img", name="Source health, last 30 days").is_visible()
    shoot(page, "admin-dashboard-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, "admin-dashboard-phone")
    no_sideways_scroll(page, PHONE)
    page.goto(f"{served.base_url}/")
    assert page.get_by_role("link", name="CV clinic (moved to Wednesday)").is_visible()
    assert errors == [], errors
    engine = make_engine(served.database_url)
    with session_factory(engine)() as session:
        (source,) = session.scalars(select(Source)).all()
        assert (source.name, source.kind, source.detected_kind) == ("Urapalvelut", "auto", "ics")
    engine.dispose()
    context.close()
