"""The demo's real output in a real Chromium (Debian's), driven by Playwright.

The HTML part of each digest the demo mailed, and the main pages as `vahti serve` shows them on
the demo's database, at a desktop width and at a phone width: nothing scrolls sideways on a phone,
no element is wider than the window, the console stays quiet and no request leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.clients.conftest import DemoRun
from tests.support.browser import NEEDS_CHROMIUM, chromium
from tests.support.serve import vahti_serve
from tests.web.conftest import free_port

ADMIN_PASSWORD = "demo admin password"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# A scroll bar or a rounding pixel is not sideways scrolling.
MARGIN = 2

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    NEEDS_CHROMIUM,
]

# Visible elements whose right edge passes the window, except inside a box that scrolls sideways
# on its own (a wide admin table in an overflow-x wrapper): the page itself does not move.
WIDE = """(limit) => {
  const scrolls = (e) => { for (let a = e.parentElement; a && a !== document.body;
                                a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if (x === 'auto' || x === 'scroll') return true; }
    return false; };
  return [...document.querySelectorAll('body *')]
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.width > 0 && r.height > 0 && r.right > limit && !scrolls(e); })
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                          + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'); }"""


class Guarded:
    """A browser context that refuses (and records) every request to a host but 127.0.0.1 and
    records console errors and page errors."""

    def __init__(self, browser, viewport: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=viewport, locale="fi-FI")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "about", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def close(self) -> None:
        self.context.close()


def fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    """The page does not scroll sideways and no element is wider than the window."""
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    wide = page.evaluate(WIDE, width + MARGIN)
    where = page.url if page.url != "about:blank" else "the digest"
    assert scroll <= width + MARGIN, f"{where} is {scroll}px wide at {width}px: {wide}"
    assert wide == [], f"{where} has elements past {width}px: {wide}"


def digest_html(path: Path) -> tuple[str, str]:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("html",))
    assert body is not None, path
    return str(message["Content-Language"]), body.get_content()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo_web(demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`vahti serve` on the demo's database, on a free port of 127.0.0.1; yields its address."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **demo_run.env,
        "VAHTI_WEB__BASE_URL": base_url,
        "VAHTI_WEB__ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with vahti_serve(port, cwd=demo_run.folder, env=env, log_path=log_path):
        yield base_url


def test_each_digest_fits_a_desktop_and_a_phone(demo_run: DemoRun, browser) -> None:  # type: ignore[no-untyped-def]
    digests = dict(digest_html(path) for path in demo_run.messages())
    assert sorted(digests) == ["en", "fi", "sv"]
    for viewport in (DESKTOP, PHONE):
        guarded = Guarded(browser, viewport)
        for language, html in sorted(digests.items()):
            guarded.page.set_content(html, wait_until="load")
            assert guarded.page.locator("a").count() > 5, language
            fits(guarded.page, viewport["width"])
        assert guarded.outside == [], guarded.outside
        assert guarded.errors == [], guarded.errors
        guarded.close()


def test_the_main_pages_fit_and_stay_on_127_0_0_1(demo_web: str, browser) -> None:  # type: ignore[no-untyped-def]
    for viewport in (DESKTOP, PHONE):
        guarded = Guarded(browser, viewport)
        page = guarded.page
        page.goto(f"{demo_web}/")
        fits(page, viewport["width"])
        event_links = page.locator("main a[href^='/events/']:not([href$='.ics'])")
        assert event_links.count() >= 10, page.content()[:2000]
        event_links.first.click()
        page.wait_for_url(f"{demo_web}/events/*")
        assert page.locator("h1").inner_text()
        fits(page, viewport["width"])
        page.goto(f"{demo_web}/subscribe")
        assert page.locator("input[name=email]").count() == 1
        fits(page, viewport["width"])

        page.goto(f"{demo_web}/admin/")
        assert page.url.startswith(f"{demo_web}/admin/login")
        page.locator("input[type=password]").fill(ADMIN_PASSWORD)
        page.locator("form button[type=submit], form input[type=submit]").first.click()
        page.wait_for_url(f"{demo_web}/admin/")
        fits(page, viewport["width"])
        page.goto(f"{demo_web}/admin/sources")
        fits(page, viewport["width"])
        page.goto(f"{demo_web}/admin/sources/1")
        assert page.locator("h1").inner_text()
        fits(page, viewport["width"])
        # The settings form's number fields are as tall as its text field.
        heights = page.eval_on_selector_all(
            "form input[type=text], form input[type=number]",
            "fields => fields.map(f => [f.type, Math.round(f.getBoundingClientRect().height)])",
        )
        assert {kind for kind, _ in heights} == {"text", "number"}, heights
        assert len({height for _, height in heights}) == 1, heights
        assert guarded.outside == [], guarded.outside
        assert guarded.errors == [], guarded.errors
        guarded.close()


def test_the_guard_sees_a_request_to_another_host_and_a_too_wide_page(browser) -> None:  # type: ignore[no-untyped-def]
    """Positive controls: the checks above can fail."""
    guarded = Guarded(browser, PHONE)
    guarded.page.set_content(
        '<img src="http://example.invalid/pixel.png" alt="">'
        '<div style="width: 600px">wide</div><script>console.error("boom")</script>',
        wait_until="load",
    )
    assert guarded.outside == ["http://example.invalid/pixel.png"]
    assert any("boom" in error for error in guarded.errors)
    with pytest.raises(AssertionError, match=r"px wide at 390px: \['div 608px'"):
        fits(guarded.page, PHONE["width"])
    # Cut off instead of scrolling: the page fits, the text does not.
    guarded.page.set_content(
        '<div style="overflow: hidden"><p style="width: 600px">cut text</p></div>'
    )
    with pytest.raises(AssertionError, match=r"has elements past 390px: \['p 608px'"):
        fits(guarded.page, PHONE["width"])
    guarded.close()
