"""The systemd units in deploy/ pass `systemd-analyze verify` (where systemd is installed).

The units name /srv/vahti/.venv/bin/vahti and .../scrapyd, which exist on a server, not here:
the test verifies copies that name this checkout's executables instead, and instances of the
template units (vahti-worker@1, vahti-serve@8001)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = {
    "vahti-run.service": "vahti-run.service",
    "vahti-worker@.service": "vahti-worker@1.service",
    "vahti-serve@.service": "vahti-serve@8001.service",
    "scrapyd.service": "scrapyd.service",
}
ANALYZE = shutil.which("systemd-analyze")

pytestmark = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (no systemd on this machine)"
)


def local_copies(folder: Path) -> list[Path]:
    """The units with this checkout's executables in place of the server's paths."""
    bin_dir = Path(sys.executable).parent
    vahti = bin_dir / "vahti"
    scrapyd = bin_dir / "scrapyd"
    if not scrapyd.exists():  # installed by the Scrapyd backend's extra; any executable will do
        scrapyd = Path(sys.executable)
    copies = []
    for template, name in UNITS.items():
        text = (DEPLOY / template).read_text()
        text = text.replace("/srv/vahti/.venv/bin/vahti", str(vahti))
        text = text.replace("/srv/vahti/.venv/bin/scrapyd", str(scrapyd))
        copy = folder / name
        copy.write_text(text)
        copies.append(copy)
    return copies


def verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run(
        [ANALYZE, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert sorted(path.name for path in DEPLOY.glob("*.service")) == sorted(UNITS)
    result = verify(local_copies(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_verify_finds_a_misspelt_key_and_a_missing_executable(tmp_path: Path) -> None:
    """Positive control: what the check above would report."""
    (run,) = (path for path in local_copies(tmp_path) if path.name == "vahti-run.service")
    misspelt = tmp_path / "misspelt.service"
    misspelt.write_text(run.read_text().replace("Restart=always", "Restartt=always"))
    assert "Unknown key 'Restartt'" in verify([misspelt]).stderr
    missing = tmp_path / "missing.service"
    lines = [
        "ExecStart=/nonexistent/vahti run" if line.startswith("ExecStart=") else line
        for line in run.read_text().splitlines()
    ]
    missing.write_text("\n".join(lines) + "\n")
    result = verify([missing])
    assert result.returncode != 0 and "/nonexistent/vahti is not executable" in result.stderr


def test_every_vahti_unit_reads_its_settings_and_secrets_from_files() -> None:
    for template in UNITS:
        text = (DEPLOY / template).read_text()
        assert "EnvironmentFile=/etc/vahti/" in text, template
        if template.startswith("vahti"):
            assert "--settings /etc/vahti/settings.toml" in text, template
            assert "TimeoutStopSec=" in text and "KillMode=mixed" in text, template
