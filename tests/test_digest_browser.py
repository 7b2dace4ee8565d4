"""The digest's HTML in a real browser (Debian's Chromium) at phone and desktop widths.

Screenshots land in tests/_artifacts/ for a person to look at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digest.links import subscriber_links
from digest.model import SentItem
from digest.pool import EventPool
from digest.render import render_digest
from digest.select import select_digest
from store import vocab
from tests.support.browser import NEEDS_CHROMIUM, chromium
from tests.support.digest import BASE_URL, SECRET, event_view, prefs

ARTIFACTS = Path(__file__).parent / "_artifacts"
WIDTHS = {"phone": 390, "desktop": 1280}

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]


def digest_html(now: datetime, language: str) -> str:
    events = [
        event_view(
            now,
            days=1,
            title="Kansainvälisten osaajien rekrytointitapahtuma Helsingin Messukeskuksessa",
            titles={"en": "International talent recruitment fair at Messukeskus Helsinki"},
            categories=("job-fair", "networking"),
            language="en",
            venue="Messukeskus",
            end_at=now + timedelta(days=1, hours=3),
            description_text="Yli 60 työnantajaa etsii osaajia. Ota CV mukaan! " * 4,
            url="https://organiser.example/fair",
            urls=("https://organiser.example/fair", "https://www.tyomarkkinatori.fi/e/1"),
            audiences=("immigrants",),
        ),
        event_view(now, days=2, title="CV-klinikka verkossa", city=None,
                   attendance=vocab.ONLINE, categories=("workshop",), language="fi"),
        event_view(now, days=2.2, title="Networking breakfast", categories=("networking",),
                   city="Espoo", language="en", attendance=vocab.HYBRID),
        event_view(now, days=30, title="Mentorointiohjelma maahanmuuttajille 2027",
                   categories=("mentoring",), deadline_at=now + timedelta(days=9),
                   application_url="https://organiser.example/apply"),
        event_view(now, days=3, title="Yrittäjyysinfo", status=vocab.CANCELLED),
    ]  # fmt: skip
    cancelled = events[-1]
    sent = {cancelled.id: SentItem(cancelled.id, cancelled.start_at, vocab.SCHEDULED)}
    digest = select_digest(prefs(language=language), EventPool(events, now), sent, now)
    links = subscriber_links(BASE_URL, SECRET, 1, 1)
    return render_digest(digest, links=links, base_url=BASE_URL)[0].html


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("language", ["fi", "en"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_digest_looks_right_at_phone_and_desktop_widths(
    browser,  # type: ignore[no-untyped-def]
    now: datetime,
    language: str,
    width: str,
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_content(digest_html(now, language))
    page.screenshot(path=str(ARTIFACTS / f"digest-{language}-{width}.png"), full_page=True)

    assert requests == [], "the digest must not load anything remote"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= WIDTHS[width], "nothing may stick out sideways"
    cards = page.locator(".card")
    assert cards.count() == 5
    for index in range(cards.count()):
        box = cards.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[width]
        assert box["height"] > 60
    sheet = page.locator(".sheet").bounding_box()
    assert sheet is not None
    if width == "desktop":
        assert sheet["width"] <= 640 and sheet["x"] > 200  # a centred column, not a full row
    else:
        assert sheet["width"] >= WIDTHS[width] - 2  # the phone gets the whole width
    title = page.locator("a.title").first
    assert title.is_visible()
    assert float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 16
    assert page.locator(".badge-deadline").first.is_visible()
    assert page.locator(".badge-change").first.is_visible()
    assert not page.locator(".preheader").is_visible()  # inbox preview text only
    page.close()
