"""The one door for sources (services.sources) and `vahti sources` through it: a bad value is
refused with its field named (exit 2 and one line on the CLI), the same command with a good
value is accepted, and a refused change changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.sources import (
    SourceError,
    SourceRules,
    SourceSpec,
    add_source,
    change_source,
    check_interval,
    check_priority,
    check_timezone,
    disable_source,
    enable_source,
    plan_trial,
    remove_source,
)
from store.models import Source
from tests.conftest import Database

RULES = SourceRules(allow_private_networks=False, default_timezone="Europe/Helsinki")
PUBLIC_URL = "https://93.184.215.14/tapahtumat/"  # an address literal: no DNS asked
GOOD_CSS = {"item": "article.event", "title": "h2 a::text", "date": ".date::text"}


def refused(call: Any, *args: Any) -> SourceError:
    with pytest.raises(SourceError) as caught:
        call(*args)
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"interval_hours": float("inf")}, "interval_hours"),
        ({"interval_hours": float("nan")}, "interval_hours"),
        ({"interval_hours": 720.5}, "interval_hours"),
        ({"interval_hours": 0.001}, "interval_hours"),
        ({"priority": 10**20}, "priority"),
        ({"priority": -1001}, "priority"),
        ({"language": "de"}, "language"),
        ({"categories": ["party"]}, "categories"),
        ({"kind": "pdf"}, "kind"),
        ({"name": " "}, "name"),
        ({"url": "http://127.0.0.1:8100/"}, "url"),
        ({"url": "ftp://files.example.fi/"}, "url"),
        ({"kind": "css", "config": {**GOOD_CSS, "title": "//h2["}}, "config"),
        ({"config": "[1]"}, "config"),
    ],
)
def test_add_refuses_a_bad_value_naming_its_field_and_takes_the_good_one(
    sqlite_db: Database, now: datetime, changes: dict[str, Any], field: str
) -> None:
    good = {"url": PUBLIC_URL, "name": "Työmessut", "kind": "css", "config": GOOD_CSS}
    with sqlite_db.sessions.begin() as session:
        error = refused(add_source, session, SourceSpec(**{**good, **changes}), RULES, now)
        assert error.field == field and error.message
        assert session.query(Source).count() == 0
        source = add_source(session, SourceSpec(**good), RULES, now)  # the positive control
        assert (source.kind, source.config, source.timezone) == ("css", GOOD_CSS, "Europe/Helsinki")
        assert (source.interval_hours, source.next_crawl_at) == (24.0, now)


def test_a_bad_selector_names_its_key() -> None:
    error = refused(plan_trial, PUBLIC_URL, "css", {**GOOD_CSS, "title": "//h2["}, RULES)
    assert (error.field, error.part) == ("config", "title")
    assert "'title'" in error.detail
    assert plan_trial(PUBLIC_URL, "css", GOOD_CSS, RULES).config == GOOD_CSS


def test_the_bounds_are_the_admin_forms() -> None:
    assert check_interval("0,01") == 0.01 and check_interval(720) == 720.0
    assert check_priority("-1000") == -1000 and check_priority("") == 0
    for hours in ("0", "720.01", "inf", "-inf", "nan", "1e400", "soon"):
        assert refused(check_interval, hours).field == "interval_hours"
    for priority in ("1001", "-1001", str(10**20), "1.5", True):
        assert refused(check_priority, priority).field == "priority"
    assert check_timezone("Europe/Stockholm") == "Europe/Stockholm"
    for zone in ("Mars/Base", "", "../etc/passwd"):
        assert refused(check_timezone, zone).field == "timezone"


def test_a_refused_change_changes_nothing_and_a_good_one_moves_the_next_crawl(
    sqlite_db: Database, now: datetime
) -> None:
    with sqlite_db.sessions.begin() as session:
        source = add_source(session, SourceSpec(url=PUBLIC_URL, kind="jsonld"), RULES, now)
        source.last_run_at, source.next_crawl_at = now, now + timedelta(hours=24)
        source_id = source.id
    with sqlite_db.sessions.begin() as session:
        bad = {"name": "Uusi nimi", "interval_hours": "inf"}
        assert refused(change_source, session, source_id, bad, RULES, now).field == (
            "interval_hours"
        )
        assert session.get_one(Source, source_id).name == PUBLIC_URL
        good = {"name": "Uusi nimi", "interval_hours": "6", "priority": 5, "language": "none"}
        source, changed = change_source(session, source_id, good, RULES, now)
        assert changed == ["name", "priority", "interval_hours"]
        assert source.next_crawl_at == now + timedelta(hours=6)


def test_a_css_config_change_is_checked_against_the_source_s_kind(
    sqlite_db: Database, now: datetime
) -> None:
    with sqlite_db.sessions.begin() as session:
        spec = SourceSpec(url=PUBLIC_URL, kind="css", config=GOOD_CSS)
        source_id = add_source(session, spec, RULES, now).id
        broken = {"config": json.dumps({**GOOD_CSS, "date": "::nope("})}
        error = refused(change_source, session, source_id, broken, RULES, now)
        assert (error.field, error.part) == ("config", "date")
        fixed = {"config": json.dumps({**GOOD_CSS, "date": "time::text"})}
        assert change_source(session, source_id, fixed, RULES, now)[1] == ["config"]


def test_enable_disable_remove(sqlite_db: Database, now: datetime) -> None:
    with sqlite_db.sessions.begin() as session:
        source_id = add_source(session, SourceSpec(url=PUBLIC_URL, kind="ics"), RULES, now).id
        assert disable_source(session, source_id).enabled is False
        later = now + timedelta(hours=1)
        source = enable_source(session, source_id, later)
        assert (source.enabled, source.next_crawl_at) == (True, later)
        remove_source(session, source_id)
        assert session.get(Source, source_id) is None


def test_a_linked_events_list_asks_for_its_places_and_keywords(
    sqlite_db: Database, now: datetime
) -> None:
    url = "https://93.184.215.14/linkedevents/v1/event/"
    with sqlite_db.sessions.begin() as session:
        source = add_source(session, SourceSpec(url=url, kind="linkedevents"), RULES, now)
        assert source.feed_url == url + "?include=location,keywords"
    assert plan_trial(url, "linkedevents", None, RULES).url == source.feed_url


# --- `vahti sources` through the service: exit 2 and one line naming the option ---

GOOD_CSS_JSON = json.dumps(GOOD_CSS)
BAD_CSS_JSON = json.dumps({**GOOD_CSS, "title": "//h2["})
ADD = ("sources", "add", "https://example.fi/tapahtumat/", "--kind")


@pytest.mark.parametrize(
    ("bad", "good", "said"),
    [
        (
            (*ADD, "css", "--config", BAD_CSS_JSON),
            (*ADD, "css", "--config", GOOD_CSS_JSON),
            "error: --config: The selectors cannot be used. (css config 'title'",
        ),
        (
            (*ADD, "jsonld", "--timezone", "Mars/Base"),
            (*ADD, "jsonld", "--timezone", "Europe/Stockholm"),
            "error: --timezone 'Mars/Base': This time zone is not known",
        ),
        (
            (*ADD, "jsonld", "--interval", "inf"),
            (*ADD, "jsonld", "--interval", "720"),
            "error: --interval inf: Hours between crawls must be a number from 0.01 to 720.",
        ),
        (
            (*ADD, "jsonld", "--interval", "nan"),
            (*ADD, "jsonld", "--interval", "0.01"),
            "error: --interval nan: Hours between crawls must be",
        ),
        (
            (*ADD, "jsonld", "--interval", "721"),
            (*ADD, "jsonld", "--interval", "1.5"),
            "error: --interval 721.0: Hours between crawls must be",
        ),
        (
            (*ADD, "jsonld", "--priority", str(10**20)),
            (*ADD, "jsonld", "--priority", "1000"),
            f"error: --priority {10**20}: The priority must be a whole number from -1000 to 1000.",
        ),
        (
            (*ADD, "jsonld", "--priority", "-1001"),
            (*ADD, "jsonld", "--priority", "-1000"),
            "error: --priority -1001: The priority must be",
        ),
    ],
    ids=["css", "timezone", "inf", "nan", "interval-721", "priority-1e20", "priority-1001"],
)
def test_sources_add_refuses_what_the_admin_refuses(
    run_vahti,  # type: ignore[no-untyped-def]
    bad: tuple[str, ...],
    good: tuple[str, ...],
    said: str,
) -> None:
    result = run_vahti(*bad)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(said), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert json.loads(run_vahti("sources", "list", "--json").stdout) == []
    accepted = run_vahti(*good)
    assert accepted.returncode == 0, accepted.stderr
    assert len(json.loads(run_vahti("sources", "list", "--json").stdout)) == 1


def test_sources_set_refuses_out_of_bounds_and_keeps_the_source(run_vahti) -> None:  # type: ignore[no-untyped-def]
    added = run_vahti(*ADD, "jsonld", "--interval", "6")
    source_id = added.stdout.strip()
    for option, value in (
        ("--interval", "inf"),
        ("--interval", "1000"),
        ("--priority", "5000"),
        ("--timezone", "Mars/Base"),
    ):
        result = run_vahti("sources", "set", source_id, option, value)
        assert result.returncode == 2, (option, value, result.stderr)
        assert result.stderr.startswith(f"error: {option} "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    (source,) = json.loads(run_vahti("sources", "list", "--json").stdout)
    assert (source["interval_hours"], source["priority"]) == (6, 0)
    changed = run_vahti("sources", "set", source_id, "--interval", "720", "--priority", "-1000")
    assert changed.returncode == 0, changed.stderr
    assert "priority, interval" in changed.stdout
