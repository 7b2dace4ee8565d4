"""What stops a command is said in one line on stderr, never a traceback (issue 13, item 7).

Each case runs the real `vahti` console script as a process with an explicit environment and
checks the exit code (2: bad input or settings; 3: the database cannot be reached or opened;
1: something else the command needs cannot be had), exactly one line on stderr naming the
problem, and no traceback; beside each, a positive control shows the good value working.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import free_port, wait_for

VAHTI = Path(sys.executable).with_name("vahti")


@pytest.fixture
def vahti(tmp_path: Path, vahti_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """Run the `vahti` console script in tmp_path (or `cwd`); `drop` removes variables."""
    assert VAHTI.is_file(), f"no console script at {VAHTI} (make install)"

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
        cwd: Path | None = None,
        prefix: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        full = {k: v for k, v in {**vahti_env, **(env or {})}.items() if k not in drop}
        return subprocess.run(
            [*prefix, str(VAHTI), *args],
            cwd=cwd or tmp_path,
            env=full,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The single stderr line of a refused command, checked for its code and words."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    assert lines[0].startswith("error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the database cannot be reached or opened: exit 3, the URL with its password hidden ---


@pytest.mark.parametrize(
    "args", [("sources", "list"), ("db", "upgrade"), ("subscribers", "add", "a@example.fi")]
)
def test_unreachable_postgresql_is_one_line_naming_it(vahti, db_url: str, args) -> None:  # type: ignore[no-untyped-def]
    url = f"postgresql+psycopg://nobody:s3cret@127.0.0.1:{refused_port()}/vahti"
    result = vahti(*args, env={"VAHTI_DATABASE__URL": url})
    line = one_line(result, 3, url.replace("s3cret", "***"), "Connection refused")
    assert "s3cret" not in result.stderr + result.stdout and "database.url" in line
    # Positive control: the same command on a database that answers (SQLite and PostgreSQL).
    good = vahti(*args, env={"VAHTI_DATABASE__URL": db_url})
    assert good.returncode == 0, good.stderr


def test_a_password_in_the_query_string_is_hidden_too(vahti) -> None:  # type: ignore[no-untyped-def]
    url = f"postgresql+psycopg://nobody@127.0.0.1:{refused_port()}/vahti?password=s3cret"
    result = vahti("sources", "list", env={"VAHTI_DATABASE__URL": url})
    one_line(result, 3, "password=***", "Connection refused")
    assert "s3cret" not in result.stderr


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize("command", ["run", "serve", "worker"])
def test_daemon_web_and_worker_without_a_database_say_so_in_one_line(  # type: ignore[no-untyped-def]
    vahti, vahti_env: dict[str, str], tmp_path: Path, servers, command: str
) -> None:
    url = f"postgresql+psycopg://vahti:s3cret@127.0.0.1:{refused_port()}/vahti"
    port = free_port()
    args = [command] + ([] if command == "worker" else ["--port", str(port)])
    result = vahti(*args, env={"VAHTI_DATABASE__URL": url})
    one_line(result, 3, "postgresql+psycopg://vahti:***@127.0.0.1", "Connection refused")
    # Positive control: with a database it starts (the web app answers, the worker works).
    with (tmp_path / f"{command}.log").open("wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [str(VAHTI), *args], cwd=tmp_path, env=vahti_env, stdout=log, stderr=subprocess.STDOUT
        )
    servers.append(process)
    if command == "worker":
        wait_for(
            lambda: "sending planned digests" in (tmp_path / "worker.log").read_text(),
            60,
            "the worker to start",
        )
    else:
        wait_for(lambda: _healthy(port), 60, f"`vahti {command}` to answer /healthz")
    assert process.poll() is None


def _as_another_user() -> tuple[str, ...]:
    """A prefix that runs the command without root's right to write anywhere."""
    if os.geteuid() != 0:
        return ()
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root without unshare: a read-only folder is writable")
    probe = subprocess.run(
        [unshare, "--user", "--map-user=1000", "--map-group=1000", "true"], check=False
    )
    if probe.returncode != 0:
        pytest.skip("running as root and user namespaces are not available")
    return (unshare, "--user", "--map-user=1000", "--map-group=1000")


@pytest.mark.parametrize(
    ("where", "needles"),
    [
        ("folder/x.db", ("is not writable",)),
        ("folder/missing/x.db", ("cannot create its folder", "missing", "Permission denied")),
    ],
)
def test_sqlite_in_a_folder_that_cannot_be_written(  # type: ignore[no-untyped-def]
    vahti, tmp_path: Path, where: str, needles: tuple[str, ...]
) -> None:
    prefix = _as_another_user()
    folder = tmp_path / "folder"
    folder.mkdir()
    folder.chmod(0o555)
    url = f"sqlite:///{tmp_path / where}"
    result = vahti("sources", "list", env={"VAHTI_DATABASE__URL": url}, prefix=prefix)
    one_line(result, 3, url, *needles)
    # Positive control: once the folder may be written, the same path works.
    folder.chmod(0o755)
    good = vahti("sources", "list", env={"VAHTI_DATABASE__URL": url}, prefix=prefix)
    assert good.returncode == 0, good.stderr


@pytest.mark.parametrize(
    ("make", "needles"),
    [
        ("file-in-the-way", ("cannot create its folder", "is not a folder")),
        ("folder-as-file", ("unable to open database file", "is a folder")),
        ("not-a-database", ("file is not a database",)),
    ],
)
def test_sqlite_file_that_cannot_be_opened(  # type: ignore[no-untyped-def]
    vahti, tmp_path: Path, make: str, needles: tuple[str, ...]
) -> None:
    if make == "file-in-the-way":
        (tmp_path / "data").write_text("a file where the folder should be")
        path = tmp_path / "data" / "vahti.db"
    elif make == "folder-as-file":
        path = tmp_path / "vahti-folder.db"
        path.mkdir()
    else:
        path = tmp_path / "garbage.db"
        path.write_bytes(b"this is not SQLite " * 100)
    result = vahti("sources", "list", env={"VAHTI_DATABASE__URL": f"sqlite:///{path}"})
    one_line(result, 3, str(path), *needles)
    # Positive control: a path in a folder that does not exist yet is created and works.
    fresh = tmp_path / "new" / "folder" / "vahti.db"
    good = vahti("sources", "list", env={"VAHTI_DATABASE__URL": f"sqlite:///{fresh}"})
    assert good.returncode == 0 and fresh.is_file(), good.stderr


def test_a_database_locked_during_a_command_is_one_line(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "vahti.db"  # the one vahti_env names
    assert vahti("db", "upgrade").returncode == 0
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = vahti(
            "subscribers",
            "add",
            "a@example.fi",
            env={"VAHTI_DATABASE__BUSY_TIMEOUT_MS": "200"},
        )
        one_line(result, 3, str(path), "database is locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Positive control: released, the same command works.
    good = vahti("subscribers", "add", "a@example.fi")
    assert good.returncode == 0, good.stderr


@pytest.mark.parametrize(
    ("url", "needle"),
    [("mysql://vahti:s3cret@127.0.0.1/vahti", "MySQLdb"), ("nosuchdb://x", "nosuchdb")],
)
def test_a_database_url_no_driver_can_open_is_a_bad_setting(  # type: ignore[no-untyped-def]
    vahti, tmp_path: Path, url: str, needle: str
) -> None:
    result = vahti("sources", "list", env={"VAHTI_DATABASE__URL": url})
    one_line(result, 2, "database.url", needle)
    assert "s3cret" not in result.stderr
    good = vahti("sources", "list", env={"VAHTI_DATABASE__URL": f"sqlite:///{tmp_path}/ok.db"})
    assert good.returncode == 0, good.stderr


# --- settings: exit 2 ---


def test_a_settings_file_that_is_not_utf8(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.toml"
    path.write_bytes('[crawl]\nuser_agent = "Tapahtumavahti (café)"\n'.encode("latin-1"))
    result = vahti("--settings", str(path), "sources", "list")
    one_line(result, 2, str(path), "not UTF-8", "line 2")
    path.write_text('[crawl]\nuser_agent = "Tapahtumavahti (café)"\n', encoding="utf-8")
    assert vahti("--settings", str(path), "sources", "list").returncode == 0


@pytest.mark.parametrize(
    ("encoding", "needle"), [("utf-16", "UTF-16"), ("utf-8-sig", "byte-order mark")]
)
def test_a_settings_file_in_utf16_or_with_a_bom(  # type: ignore[no-untyped-def]
    vahti, tmp_path: Path, encoding: str, needle: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[crawl]\nmax_parallel = 3\n", encoding=encoding)
    one_line(vahti("--settings", str(path), "sources", "list"), 2, str(path), needle)
    path.write_text("[crawl]\nmax_parallel = 3\n", encoding="utf-8")
    assert vahti("--settings", str(path), "sources", "list").returncode == 0


def test_a_settings_file_that_is_a_folder(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "settings.d"
    folder.mkdir()
    one_line(vahti("--settings", str(folder), "sources", "list"), 2, str(folder), "is a folder")
    result = vahti("sources", "list", env={"VAHTI_SETTINGS": str(folder)})
    one_line(result, 2, str(folder), "VAHTI_SETTINGS", "is a folder")
    good = tmp_path / "s.toml"
    good.write_text("[crawl]\nmax_parallel = 3\n")
    assert vahti("--settings", str(good), "sources", "list").returncode == 0
    assert vahti("sources", "list", env={"VAHTI_SETTINGS": str(good)}).returncode == 0


def test_a_missing_settings_file(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.toml"
    one_line(vahti("--settings", str(missing), "sources", "list"), 2, str(missing), "not exist")


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        ("VAHTI_CRAWL__TRUSTED_HOSTS", "not json", '["example.fi"]'),
        ("VAHTI_CRAWL__LANGUAGES", "fi,sv", '["fi", "sv"]'),
    ],
)
def test_a_list_setting_that_is_not_json(vahti, name: str, bad: str, good: str) -> None:  # type: ignore[no-untyped-def]
    result = vahti("sources", "list", env={name: bad})
    dotted = name.removeprefix("VAHTI_").replace("__", ".").lower()
    one_line(result, 2, name, dotted, repr(bad), "not JSON", "JSON list")
    assert vahti("sources", "list", env={name: good}).returncode == 0


def test_a_list_setting_of_the_wrong_shape_names_what_is_allowed(vahti) -> None:  # type: ignore[no-untyped-def]
    result = vahti("sources", "list", env={"VAHTI_CRAWL__LANGUAGES": '["de"]'})
    one_line(result, 2, "VAHTI_CRAWL__LANGUAGES", "a JSON list of fi, sv, en")


# --- other things a command needs ---


def test_a_secret_key_file_that_cannot_be_kept(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "var").write_text("a file where var/ should be")
    args = ("digest", "send", "--dry-run")
    result = vahti(*args, cwd=blocked, drop=("VAHTI_WEB__SECRET_KEY",))
    one_line(result, 1, "var/secret_key", "VAHTI_WEB__SECRET_KEY")
    # Positive control: where var/ can be made, the key is generated and kept.
    free = tmp_path / "free"
    free.mkdir()
    good = vahti(*args, cwd=free, drop=("VAHTI_WEB__SECRET_KEY",))
    assert good.returncode == 0, good.stderr
    assert (free / "var" / "secret_key").is_file()


# --- subscribers import: the CSV file ---


def _imported(vahti) -> list[str]:  # type: ignore[no-untyped-def]
    listed = vahti("subscribers", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    import json

    return sorted(s["email"] for s in json.loads(listed.stdout))


CSV = "email,language,cities\nanna@example.fi,sv,Helsingfors\nbo@example.fi,fi,Åbo\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_csv_in_utf8_or_with_a_byte_order_mark_is_read(  # type: ignore[no-untyped-def]
    vahti, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "people.csv"
    data = CSV.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # what a program writing big-endian UTF-16 puts first
    path.write_bytes(data)
    result = vahti("subscribers", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert _imported(vahti) == ["anna@example.fi", "bo@example.fi"]


@pytest.mark.parametrize(
    ("encoding", "needles"),
    [
        ("utf-16-le", ("line 1 has NUL bytes", "UTF-16", "save it as UTF-8")),
        ("latin-1", ("not UTF-8 text", "0xc5", "line 3", "save the file as UTF-8")),
    ],
)
def test_csv_in_another_encoding_is_refused_in_one_line(  # type: ignore[no-untyped-def]
    vahti, tmp_path: Path, encoding: str, needles: tuple[str, ...]
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(CSV.encode(encoding))
    one_line(vahti("subscribers", "import", str(path)), 2, str(path), *needles)
    assert _imported(vahti) == []


def test_a_csv_that_is_truncated_utf16_is_refused(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cut.csv"
    path.write_bytes(CSV.encode("utf-16") + b"\x00\xd8")  # half a surrogate pair at the end
    one_line(vahti("subscribers", "import", str(path)), 2, "not UTF-16 text")


def test_a_csv_that_is_a_folder_or_missing(vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    one_line(vahti("subscribers", "import", str(folder)), 2, str(folder), "is a folder")
    missing = tmp_path / "nope.csv"
    one_line(vahti("subscribers", "import", str(missing)), 2, str(missing), "does not exist")
    good = folder / "people.csv"
    good.write_text(CSV, encoding="utf-8")
    assert vahti("subscribers", "import", str(good)).returncode == 0
