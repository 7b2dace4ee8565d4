"""Settings: defaults, file, environment, errors (one clear line, exit code 2), documentation."""

from __future__ import annotations

import ast
import os
import re
import tomllib
from pathlib import Path

import pytest

import config.loader
from config import Settings, documented_keys, sections
from config.loader import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_TOML = ROOT / "settings.toml"


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No VAHTI_* variable here, and the default file is the repository's (tests/conftest.py).
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings()
    assert settings.database.url == "sqlite:///var/vahti.db"
    assert settings.mail.backend == "file"
    assert settings.digest.timezone == "Europe/Helsinki"
    assert settings.crawl.max_parallel == 2


def test_file_then_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[mail]\nport = 2525\nhost = "mail.example.fi"\n')
    assert load_settings(path).mail.port == 2525
    monkeypatch.setenv("VAHTI_MAIL__PORT", "587")
    settings = load_settings(path)
    assert settings.mail.port == 587
    assert settings.mail.host == "mail.example.fi"


def test_settings_env_variable_picks_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[crawl]\nmax_parallel = 5\n")
    monkeypatch.setenv("VAHTI_SETTINGS", str(path))
    assert load_settings().crawl.max_parallel == 5


def test_settings_toml_in_the_working_folder_is_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite points the default at the repository's own file (tests/conftest.py); outside
    # the tests it is ./settings.toml.
    assert config.loader.DEFAULT_FILE.resolve() == SETTINGS_TOML
    monkeypatch.setattr(config.loader, "DEFAULT_FILE", Path("settings.toml"))
    write(tmp_path, "[crawl]\nmax_parallel = 7\n").rename(tmp_path / "settings.toml")
    assert load_settings().crawl.max_parallel == 7


def test_the_loaded_settings_are_plain_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAHTI_MAIL__PORT", "2525")
    settings = load_settings()
    assert type(settings) is Settings and settings.mail.port == 2525
    # What a part of the program is handed reads no environment: a copy stays as it was.
    monkeypatch.setenv("VAHTI_MAIL__PORT", "587")
    assert Settings.model_validate(settings.model_dump()).mail.port == 2525
    assert Settings().mail.port == 25


def test_misspelt_key_names_key_file_and_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "[mail]\nprot = 25\n")
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    assert "mail.prot" in message and str(path) in message and "port" in message
    assert "\n" not in message


def test_unknown_section(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"unknown section \[mial\].*mail"):
        load_settings(write(tmp_path, "[mial]\nport = 25\n"))


def test_bad_value_names_allowed_values(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, '[mail]\nbackend = "carrier-pigeon"\n'))
    assert "mail.backend" in str(info.value) and "file, smtp" in str(info.value)


def test_bad_time_zone(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"digest.timezone.*Mars/Olympus"):
        load_settings(write(tmp_path, '[digest]\ntimezone = "Mars/Olympus"\n'))


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAHTI_CRAWL__MAX_PARALLEL", "many")
    with pytest.raises(SettingsError, match=r"VAHTI_CRAWL__MAX_PARALLEL.*crawl.max_parallel"):
        load_settings()


def test_unknown_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAHTI_MAIL__PROT", "25")
    with pytest.raises(SettingsError, match=r"mail.prot"):
        load_settings()
    monkeypatch.delenv("VAHTI_MAIL__PROT")
    monkeypatch.setenv("VAHTI_MIAL__PORT", "25")
    with pytest.raises(SettingsError, match="VAHTI_MIAL__PORT names no setting"):
        load_settings()


def test_secrets_are_refused_in_the_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="VAHTI_WEB__SECRET_KEY"):
        load_settings(write(tmp_path, '[web]\nsecret_key = "hunter2"\n'))
    with pytest.raises(SettingsError, match="VAHTI_MAIL__PASSWORD"):
        load_settings(write(tmp_path, '[mail]\npassword = "hunter2"\n'))


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAHTI_WEB__SECRET_KEY", "s3cret")
    settings = load_settings()
    assert settings.web.secret_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(write(tmp_path, "[mail\n"))


def _documented(text: str) -> set[str]:
    """section.key for every `key =` or `# key:` / `# key =` line under a [section]."""
    found: set[str] = set()
    section = ""
    for line in text.splitlines():
        header = re.match(r"^\[(\w+)\]", line)
        if header:
            section = header.group(1)
            continue
        key = re.match(r"^#?\s*(\w+)\s*[=:]", line)
        if key and section:
            found.add(f"{section}.{key.group(1)}")
    return found


def test_every_setting_is_documented_in_settings_toml() -> None:
    documented = _documented(SETTINGS_TOML.read_text())
    missing = [key for key in documented_keys() if key not in documented]
    assert not missing, f"settings missing from settings.toml: {missing}"


def test_settings_toml_values_are_the_defaults() -> None:
    data = tomllib.loads(SETTINGS_TOML.read_text())
    defaults = Settings().model_dump(mode="json")
    for section, values in data.items():
        for key, value in values.items():
            assert defaults[section][key] == value, f"{section}.{key} differs from the default"
    assert set(data) == set(sections())


def test_cli_exits_2_with_one_line_on_a_bad_setting(run_vahti) -> None:  # type: ignore[no-untyped-def]
    result = run_vahti("sources", "list", env={"VAHTI_MAIL__BACKEND": "pigeon"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "mail.backend" in lines[0] and "VAHTI_MAIL__BACKEND" in lines[0]


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_only_the_shell_loads_settings() -> None:
    """Below vahti/ the parts are handed sections; none reads the file or the environment."""
    packages = [
        folder
        for folder in ROOT.iterdir()
        if (folder / "__init__.py").is_file() and folder.name not in {"vahti", "config", "tests"}
    ]
    assert {"scrapers", "digest", "web", "scheduler"} <= {folder.name for folder in packages}
    loaders = {
        str(path.relative_to(ROOT))
        for folder in packages
        for path in folder.rglob("*.py")
        if any(name.startswith("config.loader") for name in _imported(path))
    }
    assert loaders == set()
    # Positive control: the shell does.
    assert "config.loader" in _imported(ROOT / "vahti" / "cli" / "__init__.py")


def test_compose_processes_is_one_per_core_unless_a_number_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from digest.compose import compose_processes

    assert load_settings().digest.compose_processes == "cores"
    assert compose_processes("cores") == min(os.cpu_count() or 1, 16) >= 1
    monkeypatch.setenv("VAHTI_DIGEST__COMPOSE_PROCESSES", "0")
    assert compose_processes(load_settings().digest.compose_processes) == 0
    monkeypatch.delenv("VAHTI_DIGEST__COMPOSE_PROCESSES")
    given = load_settings(write(tmp_path, "[digest]\ncompose_processes = 3\n"))
    assert given.digest.compose_processes == 3
    with pytest.raises(SettingsError, match="compose_processes"):
        load_settings(write(tmp_path, '[digest]\ncompose_processes = "many"\n'))
