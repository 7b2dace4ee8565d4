"""`vahti demo --no-serve` end to end, offline, as on a fresh machine."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

DEMO_DB = "sqlite:///var/demo/vahti.db"  # relative: the demo's default, in the run's folder


def test_demo_crawls_dedupes_and_writes_digests(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = run_vahti("demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo summary" in result.stdout
    # Its own database and outbox under var/demo/, not database.url or mail.outbox_dir.
    assert (tmp_path / "var" / "demo" / "vahti.db").is_file()
    outbox = list((tmp_path / "var" / "demo" / "outbox").glob("*.eml"))
    assert outbox, result.stdout
    assert not (tmp_path / "outbox").exists()
    assert not (tmp_path / "vahti.db").exists()
    demo_db = {"VAHTI_DATABASE__URL": DEMO_DB}
    sources = json.loads(run_vahti("sources", "list", "--json", env=demo_db).stdout)
    assert len(sources) == 6
    crawled = [s for s in sources if s["health"] == "ok"]
    assert crawled, sources
    assert all(s["records"] > 0 for s in crawled)
    events = json.loads(run_vahti("events", "list", "--json", env=demo_db).stdout)
    assert len(events) >= 20
    assert {e["language"] for e in events} >= {"fi", "sv"}
    subscribers = json.loads(run_vahti("subscribers", "list", "--json", env=demo_db).stdout)
    assert sorted(s["language"] for s in subscribers) == ["en", "fi", "sv"]
    # A second run updates the same sources and does not send this week's digests again.
    again = run_vahti("demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(json.loads(run_vahti("sources", "list", "--json", env=demo_db).stdout)) == 6
    assert len(list((tmp_path / "var" / "demo" / "outbox").glob("*.eml"))) == len(outbox)
    assert elapsed < 120


def test_rerun_with_the_sites_port_taken_refuses_and_moves_nothing(run_vahti) -> None:  # type: ignore[no-untyped-def]
    first = run_vahti("demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240)
    assert first.returncode == 0, first.stdout + first.stderr
    demo_db = {"VAHTI_DATABASE__URL": DEMO_DB}
    before = {
        s["name"]: s["url"]
        for s in json.loads(run_vahti("sources", "list", "--json", env=demo_db).stdout)
    }
    assert len(before) == 6
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        again = run_vahti(
            "demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": str(port)}, timeout=240
        )
    assert again.returncode == 1, again.stdout + again.stderr
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port}" in lines[0] and "taken" in lines[0], again.stderr
    after = {
        s["name"]: s["url"]
        for s in json.loads(run_vahti("sources", "list", "--json", env=demo_db).stdout)
    }
    assert after == before


def test_the_suggested_preview_runs_and_shows_the_digest_sent(  # type: ignore[no-untyped-def]
    run_vahti, vahti_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_vahti("demo", "--no-serve", env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    hint = re.search(r"Look at a digest: (.+)", result.stdout)
    assert hint, result.stdout
    command = hint.group(1).strip()
    assert command.startswith("VAHTI_DATABASE__URL=sqlite:///var/demo/vahti.db "), command
    assert "digest preview aino.tyonhakija@example.fi --text" in command
    # Run it as printed, in a shell, without the test's database setting.
    env = {k: v for k, v in vahti_env.items() if k != "VAHTI_DATABASE__URL"}
    shown = subprocess.run(  # noqa: S602 (the command the demo printed, as a user runs it)
        command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "already sent to aino.tyonhakija@example.fi" in shown.stderr
    # What the demo mailed her is what the preview shows: the same event titles.
    mails = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in (tmp_path / "var" / "demo" / "outbox").glob("*.eml")
    ]
    (mail,) = [m for m in mails if m["To"] == "aino.tyonhakija@example.fi"]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    mailed = body.get_content()
    events = json.loads(
        run_vahti("events", "list", "--json", env={"VAHTI_DATABASE__URL": DEMO_DB}).stdout
    )
    in_mail = {e["title"] for e in events if e["title"] in mailed}
    in_preview = {e["title"] for e in events if e["title"] in shown.stdout}
    assert len(in_mail) >= 3, mailed
    assert in_preview == in_mail, shown.stdout
