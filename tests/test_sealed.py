"""Sealed: no VAHTI_* variable or settings file of whoever runs the suite changes it, and a crawl
child takes its settings from its parent only (scrapers.handoff, scrapers.runner)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import config.loader
from scrapers.runner import child_environment
from store.models import CrawlRun, Source
from tests.conftest import ROOT, Database
from tests.support.children import child_settings
from tests.support.http import SiteServer

START = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
PAGE = (
    '<html><head><script type="application/ld+json">'
    '{"@type": "Event", "@id": "https://x.example.fi/1", "name": "Työnhakuklinikka",'
    f' "startDate": "{START}"}}</script></head></html>'
)
# The part of the suite the sealed run repeats: crawls in children, the CLI, the settings.
SEALED_RUN = ["tests/test_crawl_runs.py", "tests/test_cli.py", "tests/test_settings.py"]


def operator_environment(folder: Path) -> dict[str, str]:
    """What an operator may have exported: another database, a settings file naming a third
    one, and the SMTP backend (nothing listens on the port it names)."""
    settings = folder / "operator.toml"
    settings.write_text(f'[database]\nurl = "sqlite:///{folder / "operator" / "operator.db"}"\n')
    return {
        "VAHTI_DATABASE__URL": f"sqlite:///{folder / 'absent' / 'never.db'}",
        "VAHTI_SETTINGS": str(settings),
        "VAHTI_MAIL__BACKEND": "smtp",
    }


def untouched(folder: Path) -> None:
    assert not (folder / "absent").exists()
    assert not (folder / "operator").exists()


def test_the_tests_see_no_vahti_variable_and_the_repository_settings() -> None:
    assert [name for name in os.environ if name.startswith("VAHTI_")] == []
    assert config.loader.DEFAULT_FILE == ROOT / "settings.toml"


def test_a_child_gets_no_vahti_variable_that_its_parent_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAHTI_DATABASE__URL", "sqlite:///never.db")
    monkeypatch.setenv("VAHTI_SETTINGS", "/elsewhere/settings.toml")
    monkeypatch.setenv("LC_TIME", "fi_FI.UTF-8")
    # Positive control: the parent has them, so an inherited environment would pass them on.
    assert os.environ["VAHTI_DATABASE__URL"] == "sqlite:///never.db"
    assert "VAHTI_SETTINGS" in dict(os.environ)
    env = child_environment()
    assert [name for name in env if name.startswith("VAHTI_")] == []
    assert env["LC_TIME"] == "fi_FI.UTF-8" and env["PATH"] == os.environ["PATH"]
    assert str(ROOT) in env["PYTHONPATH"].split(os.pathsep)


def test_a_child_environment_is_a_fixed_list() -> None:
    parent = {"PATH": "/bin", "HOME": "/h", "VAHTI_WEB__SECRET_KEY": "s", "AWS_SECRET": "x"}
    assert child_environment(parent) == {"PATH": "/bin", "HOME": "/h", "PYTHONPATH": str(ROOT)}


def test_a_crawl_child_reads_only_what_its_parent_hands_over(
    sqlite_db: Database, site_server: SiteServer, tmp_path: Path
) -> None:
    url = site_server.add("/tapahtumat/", PAGE, content_type="text/html")
    with sqlite_db.sessions.begin() as session:
        source = Source(name="Kirjasto", url=url, kind="jsonld")
        session.add(source)
        session.flush()
        source_id = source.id
    # Handed to it on purpose: an inherited environment that would send it elsewhere and
    # guard 127.0.0.1 away.
    polluted = {
        **child_environment(),
        **operator_environment(tmp_path),
        "VAHTI_CRAWL__ALLOW_PRIVATE_NETWORKS": "false",
    }
    done = subprocess.run(
        [sys.executable, "-m", "scrapers.crawl_child", "--source-id", str(source_id)],
        input=child_settings(sqlite_db.url).to_json(),
        env=polluted,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout.strip().splitlines()[-1])["run"]
    assert (run["status"], run["records"]) == ("ok", 1)
    with sqlite_db.sessions() as session:
        assert session.get_one(CrawlRun, run["run_id"]).new == 1
    untouched(tmp_path)


@pytest.mark.parametrize(
    ("module", "handed", "says"),
    [
        ("scrapers.crawl_child", "", "no settings on stdin"),
        ("scrapers.crawl_child", "{not json", "settings on stdin"),
        ("scrapers.crawl_child", '{"crawl": {"retries": -1}}', "crawl.retries"),
        ("scrapers.crawl_child", '{"crawl": {}}', "needs [database]"),
        ("scrapers.probe_child", '{"mail": {}}', "mail"),
    ],
)
def test_a_child_without_good_settings_exits_2_with_one_line(
    module: str, handed: str, says: str
) -> None:
    args = ["--source-id", "1"] if module == "scrapers.crawl_child" else ["--url", "http://x.fi/"]
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        input=handed,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and says in lines[0]


@pytest.mark.slow
def test_the_suite_passes_and_touches_nothing_under_an_operators_settings(
    tmp_path: Path,
) -> None:
    control, sealed = tmp_path / "control", tmp_path / "sealed"
    control.mkdir()
    sealed.mkdir()
    base = {**child_environment(), "PYTHONDONTWRITEBYTECODE": "1"}
    # Positive control: a command run with the operator's environment uses its database.
    shown = subprocess.run(
        [sys.executable, "-m", "vahti", "db", "upgrade"],
        cwd=control,
        env={**base, **operator_environment(control)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert (control / "absent" / "never.db").exists()
    # The same environment, and an operator's ./settings.toml, around a run of the suite.
    operator = operator_environment(sealed)
    (sealed / "settings.toml").write_text((sealed / "operator.toml").read_text())
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "--rootdir", str(ROOT), *(str(ROOT / path) for path in SEALED_RUN)],
        cwd=sealed,
        env={**base, **operator},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
    untouched(sealed)
