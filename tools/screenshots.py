"""Screenshots for the docs (`make screenshots`): the demo's digests and the main pages.

Runs `vahti demo --no-serve` in var/screenshots-demo/ (its own database and outbox, made afresh),
serves the web app on that database on a free port of 127.0.0.1 with `vahti serve`, and has
Debian's Chromium (driven by Playwright, as the browser tests do) write PNGs to docs/screenshots/:

    digest-{fi,sv,en}-{desktop,phone}.png     the HTML part of each digest the demo mailed
    events-{desktop,phone}.png                the event list
    event-desktop.png                         the first event of the list
    subscribe-desktop.png                     the sign-up form
    admin-dashboard-desktop.png               the admin overview, after logging in
    admin-source-desktop.png                  one source's admin page

Only the window is shot (no full-page images), so the files stay small; the script fails if the
PNGs together pass MAX_TOTAL_BYTES. No request may leave 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
WORK = ROOT / "var" / "screenshots-demo"
CHROMIUM = Path("/usr/lib/chromium/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# A throwaway password for the one login the script makes.
ADMIN_PASSWORD = secrets.token_urlsafe(16)
MAX_TOTAL_BYTES = 3_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def demo_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAHTI_")}
    env.update(
        {
            "VAHTI_DATABASE__URL": f"sqlite:///{WORK / 'vahti.db'}",
            "VAHTI_MAIL__OUTBOX_DIR": str(WORK / "outbox"),
            # The demo keeps to its own database and outbox: point them at the same place, so
            # `vahti serve` (which reads database.url) shows what the demo made.
            "VAHTI_DEMO__DATABASE_URL": f"sqlite:///{WORK / 'vahti.db'}",
            "VAHTI_DEMO__OUTBOX_DIR": str(WORK / "outbox"),
            "VAHTI_DEMO__SITES_PORT": "0",
            "VAHTI_WEB__SECRET_KEY": "screenshots",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def run_demo(env: dict[str, str]) -> list[Path]:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "vahti", "demo", "--no-serve"],
        cwd=WORK,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"vahti demo failed:\n{done.stdout}{done.stderr}")
    return sorted((WORK / "outbox").glob("*.eml"))


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**env, "VAHTI_WEB__BASE_URL": base_url, "VAHTI_WEB__ADMIN_PASSWORD": ADMIN_PASSWORD}
    log_path = WORK / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "vahti", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=WORK,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    sys.exit(f"vahti serve exited:\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("vahti serve did not answer /healthz within 30 s")
                time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def digests(messages: list[Path]) -> dict[str, str]:
    """The HTML part of each digest, by its Content-Language."""
    found = {}
    for path in messages:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = message.get_body(preferencelist=("html",))
        if body is not None:
            found[str(message["Content-Language"])] = body.get_content()
    return found


class Shooter:
    """One browser context at one width that refuses every request to a host but 127.0.0.1."""

    def __init__(self, browser: Any, viewport: dict[str, int], outside: list[str]) -> None:
        self.viewport = viewport
        self.outside = outside
        self.context = browser.new_context(viewport=viewport, locale="en-GB")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "about", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def shoot(self, name: str) -> Path:
        path = OUT / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB")
        return path


def shoot_all(browser: Any, base_url: str, html: dict[str, str]) -> list[str]:
    outside: list[str] = []
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        shooter = Shooter(browser, viewport, outside)
        for language in ("fi", "sv", "en"):
            shooter.page.set_content(html[language], wait_until="load")
            shooter.shoot(f"digest-{language}-{width}")
        shooter.page.goto(f"{base_url}/")
        shooter.shoot(f"events-{width}")
        shooter.context.close()

    shooter = Shooter(browser, DESKTOP, outside)
    page = shooter.page
    page.goto(f"{base_url}/")
    links = page.locator("main a[href^='/events/']:not([href$='.ics'])")
    paths = [links.nth(index).get_attribute("href") for index in range(links.count())]
    # The first event listed at more than one source shows the most.
    for path in paths:
        page.goto(f"{base_url}{path}")
        if page.locator("section.also").count():
            break
    shooter.shoot("event-desktop")
    page.goto(f"{base_url}/subscribe")
    shooter.shoot("subscribe-desktop")
    page.goto(f"{base_url}/admin/")
    page.locator("input[type=password]").fill(ADMIN_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base_url}/admin/")
    shooter.shoot("admin-dashboard-desktop")
    page.goto(f"{base_url}/admin/sources/1")
    shooter.shoot("admin-source-desktop")
    shooter.context.close()
    return outside


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"screenshots need Debian's chromium at {CHROMIUM} (`make browser` installs it)")
    from playwright.sync_api import sync_playwright

    env = demo_env()
    print(f"running the demo in {WORK.relative_to(ROOT)}/")
    html = digests(run_demo(env))
    missing = {"fi", "sv", "en"} - set(html)
    if missing:
        sys.exit(f"the demo wrote no HTML digest in {', '.join(sorted(missing))}")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with serving(env) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            outside = shoot_all(browser, base_url, html)
        finally:
            browser.close()
    if outside:
        sys.exit(f"pages asked for hosts other than 127.0.0.1 (refused): {outside}")
    total = sum(path.stat().st_size for path in OUT.glob("*.png"))
    print(f"{len(list(OUT.glob('*.png')))} screenshots, {total // 1024} KiB in all")
    if total > MAX_TOTAL_BYTES:
        sys.exit(f"screenshots take {total} bytes, more than {MAX_TOTAL_BYTES}")


if __name__ == "__main__":
    main()
