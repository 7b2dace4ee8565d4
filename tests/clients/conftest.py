"""The demo's real output, made once per session, for the client tests to open.

`vahti demo --no-serve` runs as a real process in a folder of its own (SQLite, file outbox,
the bundled sites on a free port); the tests then read its .eml files, and its feeds and pages
through the web app on the same database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    database_url: str
    outbox: Path
    env: dict[str, str]
    stdout: str

    def vahti(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `vahti ARGS...` on the demo's database, in its folder."""
        return subprocess.run(
            [sys.executable, "-m", "vahti", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def messages(self) -> list[Path]:
        return sorted(self.outbox.glob("*.eml"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo")
    database_url = f"sqlite:///{folder / 'vahti.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAHTI_")}
    env.update(
        {
            "VAHTI_DATABASE__URL": database_url,
            "VAHTI_MAIL__OUTBOX_DIR": str(folder / "outbox"),
            "VAHTI_DEMO__DATABASE_URL": database_url,  # the demo's own, not database.url
            "VAHTI_DEMO__OUTBOX_DIR": str(folder / "outbox"),
            "VAHTI_DEMO__SITES_PORT": "0",
            "VAHTI_WEB__SECRET_KEY": "client-tests",
            "PYTHONPATH": str(ROOT),
        }
    )
    run = DemoRun(folder, database_url, folder / "outbox", env, "")
    done = run.vahti("demo", "--no-serve", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run.messages(), done.stdout
    return DemoRun(folder, database_url, folder / "outbox", env, done.stdout)
