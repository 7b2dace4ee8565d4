"""Admin sources against real sites on 127.0.0.1: the preview (auto-detection and a trial
crawl in child processes), saving, a css source's selectors, crawl now in the background.

The children read their settings from a file written here (the test database, private
networks allowed, politeness off), as `vahti serve` hands its own settings file on.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.sources import SourceError, check_interval, check_priority
from store.models import CrawlRun, Event, Listing, Source
from tests.conftest import Database
from tests.support.children import child_settings
from tests.support.extract import fixture
from tests.support.http import SiteServer
from tests.web.conftest import WebEnv, _web, make_config
from tests.web.test_admin import log_in

HTML = "text/html; charset=utf-8"
CALENDAR_PAGE = (
    '<html><head><link rel="alternate" type="text/calendar" href="/urapalvelut/events.ics">'
    "</head><body><h1>Urapalvelut</h1></body></html>"
)
CSS_SELECTORS = {
    "css_item": "article.event",
    "css_title": "h2 a::text",
    "css_date": ".date::text",
    "css_time": ".time::text",
    "css_location": ".location::text",
    "css_link": "h2 a::attr(href)",
}


@pytest.fixture
def admin(db: Database, tmp_path: Path, now: datetime) -> Iterator[WebEnv]:
    """The app with private networks allowed, as for the settings of its child processes."""
    children = child_settings(db.url, download_timeout=10)
    config = make_config(allow_private_networks=True, child_settings=children)
    yield from _web(db, tmp_path, now, config)


@pytest.fixture
def calendar_site(site_server: SiteServer) -> SiteServer:
    site_server.add("/urapalvelut/", CALENDAR_PAGE, content_type=HTML)
    site_server.add(
        "/urapalvelut/events.ics", fixture("ics", "urapalvelut.ics"), content_type="text/calendar"
    )
    return site_server


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden field {name}"
    return found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def sources(web: WebEnv) -> list[Source]:
    with web.db.sessions() as session:
        return list(session.scalars(select(Source)))


def test_preview_shows_the_detected_kind_why_and_records_before_anything_is_saved(
    admin: WebEnv, calendar_site: SiteServer
) -> None:
    token = log_in(admin)
    url = calendar_site.url("/urapalvelut/")
    preview = admin.client.post(
        "/admin/sources/preview?lang=en",
        data={"csrf": token, "url": url, "name": "Urapalvelut", "kind": "auto"},
    )
    assert preview.status_code == 200, preview.text
    assert f"Found: ics at {calendar_site.url('/urapalvelut/events.ics')}" in preview.text
    assert "the page links a calendar" in preview.text
    assert "CV clinic (moved to Wednesday)" in preview.text  # a record of the trial crawl
    assert "10 events" in preview.text
    assert sources(admin) == []
    saved = admin.client.post(
        "/admin/sources",
        data={
            "csrf": token,
            **{
                name: hidden(preview.text, name)
                for name in (
                    "url",
                    "name",
                    "kind",
                    "config",
                    "detected_kind",
                    "feed_url",
                    "detected_reason",
                )
            },
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    (source,) = sources(admin)
    assert (source.name, source.url, source.kind) == ("Urapalvelut", url, "auto")
    assert source.detected_kind == "ics" and source.crawl_kind == "ics"
    assert source.feed_url == calendar_site.url("/urapalvelut/events.ics")
    assert "calendar" in (source.detected_reason or "")


def test_preview_of_a_page_nothing_can_read_offers_no_save(
    admin: WebEnv, site_server: SiteServer
) -> None:
    token = log_in(admin)
    url = site_server.add("/blog/", "<html><body><p>Hello</p></body></html>", content_type=HTML)
    preview = admin.client.post(
        "/admin/sources/preview?lang=en", data={"csrf": token, "url": url, "kind": "auto"}
    )
    assert preview.status_code == 200
    assert "No way to read this address was found." in preview.text
    assert "Save the source" not in preview.text


def test_a_bad_selector_is_refused_with_its_key_named_and_marked(
    admin: WebEnv, site_server: SiteServer
) -> None:
    token = log_in(admin)
    url = site_server.add("/tapahtumat/", fixture("css", "tyomessut-1.html"), content_type=HTML)
    response = admin.client.post(
        "/admin/sources/preview?lang=en",
        data={"csrf": token, "url": url, "kind": "css", **CSS_SELECTORS, "css_title": "//h2["},
    )
    assert response.status_code == 400
    assert "The selectors cannot be used." in response.text
    assert "css config &#39;title&#39;" in response.text
    assert re.search(r'id="css_title"[^>]*aria-invalid="true"', response.text)
    assert not re.search(r'id="css_date"[^>]*aria-invalid', response.text)
    assert site_server.hits("/tapahtumat/") == 0 and sources(admin) == []


def test_css_preview_reads_the_list_and_saving_keeps_the_selectors(
    admin: WebEnv, site_server: SiteServer
) -> None:
    token = log_in(admin)
    url = site_server.add("/tapahtumat/", fixture("css", "tyomessut-1.html"), content_type=HTML)
    preview = admin.client.post(
        "/admin/sources/preview?lang=en",
        data={"csrf": token, "url": url, "name": "Työmessut", "kind": "css", **CSS_SELECTORS},
    )
    assert preview.status_code == 200, preview.text
    assert "Rekrytointimessut Helsinki" in preview.text and "IT Job Fair" in preview.text
    admin.client.post(
        "/admin/sources",
        data={
            "csrf": token,
            **{name: hidden(preview.text, name) for name in ("url", "name", "kind", "config")},
        },
    )
    (source,) = sources(admin)
    assert source.kind == "css" and source.config["item"] == "article.event"
    assert source.config["link"] == "h2 a::attr(href)"


def test_editing_selectors_previews_then_saves_and_names_a_bad_key(
    admin: WebEnv, site_server: SiteServer
) -> None:
    token = log_in(admin)
    url = site_server.add("/tapahtumat/", fixture("css", "tyomessut-1.html"), content_type=HTML)
    source_id = admin.add_source(url=url, kind="css", config={"item": "li", "title": "a::text"})
    page = admin.client.get(f"/admin/sources/{source_id}?lang=en")
    assert re.search(r'id="css_item"[^>]*value="li"', page.text)
    bad = admin.client.post(
        f"/admin/sources/{source_id}/selectors?lang=en",
        data={"csrf": token, "action": "save", **CSS_SELECTORS, "css_date": ""},
    )
    assert bad.status_code == 400 and "needs &#39;date&#39;" in bad.text
    assert re.search(r'id="css_date"[^>]*aria-invalid="true"', bad.text)
    previewed = admin.client.post(
        f"/admin/sources/{source_id}/selectors?lang=en",
        data={"csrf": token, "action": "preview", **CSS_SELECTORS},
    )
    assert previewed.status_code == 200 and "Rekrytointimessut Helsinki" in previewed.text
    with admin.db.sessions() as session:
        assert session.get_one(Source, source_id).config == {"item": "li", "title": "a::text"}
    admin.client.post(
        f"/admin/sources/{source_id}/selectors",
        data={"csrf": token, "action": "save", **CSS_SELECTORS},
    )
    with admin.db.sessions() as session:
        assert session.get_one(Source, source_id).config["item"] == "article.event"


def wait_for_finished_run(web: WebEnv, source_id: int, timeout: float = 90) -> CrawlRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with web.db.sessions() as session:
            run = session.scalar(select(CrawlRun).where(CrawlRun.source_id == source_id))
            events = session.scalar(select(func.count()).select_from(Event))
            if run is not None and run.status != "running" and events:
                session.expunge(run)
                return run
        time.sleep(0.3)
    raise AssertionError("the crawl did not finish in time")


def test_crawl_now_returns_at_once_shows_the_running_crawl_then_its_run_and_events(
    admin: WebEnv, calendar_site: SiteServer
) -> None:
    token = log_in(admin)
    source_id = admin.add_source(
        name="Urapalvelut", url=calendar_site.url("/urapalvelut/events.ics"), kind="ics"
    )
    started = admin.client.post(
        f"/admin/sources/{source_id}/crawl", data={"csrf": token}, follow_redirects=False
    )
    assert started.status_code == 303
    assert started.headers["location"] == f"/admin/sources/{source_id}?crawl=started"
    running = admin.client.get(f"/admin/sources/{source_id}?lang=en")
    assert "A crawl is running." in running.text
    assert '<meta http-equiv="refresh" content="5">' in running.text
    again = admin.client.post(
        f"/admin/sources/{source_id}/crawl", data={"csrf": token}, follow_redirects=False
    )
    assert again.headers["location"].endswith("?crawl=running")
    run = wait_for_finished_run(admin, source_id)
    assert run.status == "ok" and run.records == 9  # the past 2024 fair is not stored
    done = admin.client.get(f"/admin/sources/{source_id}?lang=en")
    assert "A crawl is running." not in done.text and "Crawled" in done.text
    with admin.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Listing)) == 9
    assert "CV clinic (moved to Wednesday)" in admin.client.get("/admin/events").text


def test_crawl_now_needs_the_csrf_token(admin: WebEnv) -> None:
    log_in(admin)
    source_id = admin.add_source()
    refused = admin.client.post(f"/admin/sources/{source_id}/crawl", data={"csrf": "forged"})
    assert refused.status_code == 403
    with admin.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 0


def test_too_long_fields_are_refused_with_a_page(admin: WebEnv) -> None:
    token = log_in(admin)
    long_url = "https://example.fi/" + "a" * 2100
    response = admin.client.post(
        "/admin/sources/preview?lang=en", data={"csrf": token, "url": long_url, "kind": "auto"}
    )
    assert response.status_code == 400
    assert (
        "A field is longer than allowed." in response.text and "url: at most 2000" in response.text
    )
    assert "Traceback" not in response.text


def test_a_source_s_settings_are_changed_on_its_page_and_a_bad_value_is_named(
    admin: WebEnv, now: datetime
) -> None:
    token = log_in(admin)
    source_id = admin.add_source()
    last = now - timedelta(hours=1)
    with admin.db.sessions.begin() as session:  # crawled an hour ago; next in 5 h
        source = session.get_one(Source, source_id)
        source.interval_hours, source.last_run_at = 6.0, last
        source.next_crawl_at = last + timedelta(hours=6)
    page = admin.client.get(f"/admin/sources/{source_id}?lang=sv")
    assert "Inställningar" in page.text and 'name="interval_hours"' in page.text
    bad = admin.client.post(
        f"/admin/sources/{source_id}/settings?lang=en",
        data={"csrf": token, "name": "Urapalvelut", "interval_hours": "0", "priority": "2"},
    )
    assert bad.status_code == 400
    assert "Hours between crawls must be a number from 0.01 to 720." in bad.text
    assert re.search(r'id="settings-interval"[^>]*aria-invalid="true"', bad.text)
    assert re.search(r'id="settings-name"[^>]*value="Urapalvelut"', bad.text)  # kept
    saved = admin.client.post(
        f"/admin/sources/{source_id}/settings",
        data={
            "csrf": token,
            "name": "Urapalvelut",
            "interval_hours": "24",
            "priority": "2",
            "language": "sv",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with admin.db.sessions() as session:
        source = session.get_one(Source, source_id)
        assert (source.name, source.interval_hours, source.priority, source.language) == (
            "Urapalvelut",
            24,
            2,
            "sv",
        )
        assert source.next_crawl_at == last + timedelta(hours=24)  # moved at once
    refused = admin.client.post(
        f"/admin/sources/{source_id}/settings", data={"csrf": "forged", "name": "X"}
    )
    assert refused.status_code == 403


def _refusal(check: Callable[[str], object], value: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        check(value)
    return caught.value


@pytest.mark.parametrize(
    ("field", "option", "bad", "good", "check"),
    [
        ("interval_hours", "--interval", "inf", "720", check_interval),
        ("interval_hours", "--interval", "721", "0.5", check_interval),
        ("priority", "--priority", str(10**20), "1000", check_priority),
        ("priority", "--priority", "-1001", "-7", check_priority),
    ],
)
def test_the_admin_and_the_cli_refuse_with_the_one_check(
    web_factory,  # type: ignore[no-untyped-def]
    run_vahti,  # type: ignore[no-untyped-def]
    field: str,
    option: str,
    bad: str,
    good: str,
    check: Callable[[str], object],
) -> None:
    """The admin's settings form and `vahti sources set` both show services.sources' message."""
    message = _refusal(check, bad).message
    assert message  # the service's own words, e.g. "Hours between crawls must be ..."
    web = web_factory()
    token = log_in(web)
    source_id = web.add_source()
    form = {"csrf": token, "name": "Urapalvelut", "interval_hours": "24", "priority": "0"}
    page = web.client.post(
        f"/admin/sources/{source_id}/settings?lang=en", data={**form, field: bad}
    )
    assert page.status_code == 400
    assert html.escape(message) in page.text
    input_id = {"interval_hours": "settings-interval", "priority": "settings-priority"}[field]
    assert re.search(rf'id="{input_id}"[^>]*aria-invalid="true"', page.text)
    added = run_vahti("sources", "add", "https://example.fi/", "--kind", "jsonld")
    cli = run_vahti("sources", "set", added.stdout.strip(), option, bad)
    assert cli.returncode == 2
    assert cli.stderr.startswith(f"error: {option} ") and message in cli.stderr
    # The positive controls: the same forms with a good value are taken.
    saved = web.client.post(
        f"/admin/sources/{source_id}/settings", data={**form, field: good}, follow_redirects=False
    )
    assert saved.status_code == 303
    with web.db.sessions() as session:
        assert getattr(session.get_one(Source, source_id), field) == float(good)
    assert run_vahti("sources", "set", added.stdout.strip(), option, good).returncode == 0


def test_the_admin_s_refusals_are_translated(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory()
    token = log_in(web)
    source_id = web.add_source()
    form = {"csrf": token, "name": "Urapalvelut", "interval_hours": "inf", "priority": "0"}
    for language, words in (("fi", "Tuntien hakujen välillä"), ("sv", "Timmarna mellan")):
        page = web.client.post(f"/admin/sources/{source_id}/settings?lang={language}", data=form)
        assert page.status_code == 400 and words in page.text, language


def test_a_source_added_from_the_admin_gets_the_crawl_zone_not_the_digest_zone(
    web_factory,  # type: ignore[no-untyped-def]
) -> None:
    web = web_factory(timezone="Europe/Stockholm", source_timezone="Europe/Tallinn")
    token = log_in(web)
    added = web.client.post(
        "/admin/sources",
        data={"csrf": token, "url": "https://93.184.215.14/events.ics", "kind": "ics"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    (source,) = sources(web)
    assert (source.timezone, source.interval_hours) == ("Europe/Tallinn", 24.0)


def test_web_config_takes_the_source_zone_from_crawl_default_timezone() -> None:
    from config import Settings
    from vahti.cli.serve import web_config

    settings = Settings.model_validate(
        {"crawl": {"default_timezone": "Europe/Tallinn"}, "digest": {"timezone": "Europe/Oslo"}}
    )
    config = web_config(settings, b"secret")
    assert (config.source_timezone, config.timezone) == ("Europe/Tallinn", "Europe/Oslo")
