"""`vahti sources ...` as a person reads it, through real `vahti` processes (piped output):
local times with their offset, one refusal of a duplicate URL, a 404 said once, plural forms,
and tables that keep a long source name on one line."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.support.extract import fixture
from tests.support.http import SiteServer


def test_sources_test_prints_the_events_local_time_with_its_offset(
    run_vahti,  # type: ignore[no-untyped-def]
    site_server: SiteServer,
) -> None:
    url = site_server.add(
        "/events.ics", fixture("ics", "urapalvelut.ics"), content_type="text/calendar"
    )
    records = json.loads(run_vahti("sources", "test", url, "--kind", "ics", "--json").stdout)
    assert records
    tried = run_vahti("sources", "test", url, "--kind", "ics")
    assert tried.returncode == 0, tried.stderr
    for record in records:
        start = datetime.fromisoformat(record["start_at"]).astimezone(ZoneInfo("Europe/Helsinki"))
        assert start.isoformat(sep=" ", timespec="minutes") in tried.stdout  # "... 14:00+02:00"
        assert record["start_at"][:16] not in tried.stdout  # the bare UTC time is gone
    assert re.search(r"\+0[23]:00", tried.stdout)


def test_a_summary_counts_in_the_singular_and_the_plural(
    run_vahti,  # type: ignore[no-untyped-def]
    site_server: SiteServer,
) -> None:
    url = site_server.add(
        "/events.ics", fixture("ics", "urapalvelut.ics"), content_type="text/calendar"
    )
    tried = run_vahti("sources", "test", url, "--kind", "ics")
    # The fixture has one VEVENT without a usable start: one error.
    assert re.search(r"\b10 records from 1 page; 1 error\n", tried.stdout), tried.stdout
    assert "1 pages" not in tried.stdout and "1 errors" not in tried.stdout


def test_adding_a_url_that_is_a_source_already_is_refused_unless_forced(run_vahti) -> None:  # type: ignore[no-untyped-def]
    url = "https://example.fi/tapahtumat/"
    first = run_vahti("sources", "add", url, "--kind", "jsonld", "--name", "Example")
    assert first.returncode == 0, first.stderr
    again = run_vahti("sources", "add", url.rstrip("/"), "--kind", "jsonld")
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0, again.stderr  # one line
    assert "already a source" in again.stderr and f"source {first.stdout.strip()}" in again.stderr
    assert "--force" in again.stderr
    # The controls: another URL is taken, and --force adds the same URL again.
    assert run_vahti("sources", "add", url + "?page=2", "--kind", "jsonld").returncode == 0
    forced = run_vahti("sources", "add", url, "--kind", "jsonld", "--force")
    assert forced.returncode == 0, forced.stderr
    listed = json.loads(run_vahti("sources", "list", "--json").stdout)
    assert [s["url"] for s in listed].count(url) == 2


def test_a_404_on_sources_add_is_reported_once(
    run_vahti,  # type: ignore[no-untyped-def]
    site_server: SiteServer,
) -> None:
    missing = site_server.url("/missing/")
    added = run_vahti("sources", "add", missing)
    assert added.returncode == 2
    assert added.stderr.count("404") == 1, added.stderr
    assert "nothing was added" in added.stderr
    assert json.loads(run_vahti("sources", "list", "--json").stdout) == []


def test_a_piped_sources_list_keeps_a_long_name_on_one_line(run_vahti) -> None:  # type: ignore[no-untyped-def]
    name = "Helsingin kaupungin työllisyyspalvelujen tapahtumakalenteri (maahanmuuttajat)"
    added = run_vahti(
        "sources", "add", "https://example.fi/tyollisyys/", "--kind", "jsonld", "--name", name
    )
    assert added.returncode == 0, added.stderr
    listed = run_vahti("sources", "list", env={"COLUMNS": "80"})
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout, listed.stdout
    assert run_vahti("sources", "list", "--json").stdout.count(name) == 1  # control


def test_subscribers_import_of_a_folder_says_so_in_one_line(run_vahti, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "csv"
    folder.mkdir()
    result = run_vahti("subscribers", "import", str(folder))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {folder} is a folder, not a CSV file", result.stderr
    assert "{file}" not in result.stderr + result.stdout
    good = tmp_path / "people.csv"  # the control: a CSV file is read
    good.write_text("email,language\nuusi@example.fi,fi\n", encoding="utf-8")
    assert run_vahti("subscribers", "import", str(good)).returncode == 0


def test_the_package_licence_is_an_spdx_string() -> None:
    """setuptools warns (a box, once per build step) about a license table or classifier."""
    import tomllib

    from tests.conftest import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert not any(c.startswith("License ::") for c in project.get("classifiers", []))
