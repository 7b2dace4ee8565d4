"""The command line as a user meets it: help everywhere, exit codes, JSON output."""

from __future__ import annotations

import json

import pytest

COMMANDS = [
    (),
    ("db",),
    ("db", "upgrade"),
    ("sources",),
    ("sources", "add"),
    ("sources", "list"),
    ("sources", "show"),
    ("sources", "set"),
    ("sources", "enable"),
    ("sources", "disable"),
    ("sources", "remove"),
    ("sources", "test"),
    ("crawl",),
    ("dedupe",),
    ("events", "list"),
    ("events", "show"),
    ("subscribers", "add"),
    ("subscribers", "list"),
    ("subscribers", "remove"),
    ("digest", "preview"),
    ("digest", "send"),
    ("demo",),
    ("run",),
    ("worker",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "vahti")
def test_every_command_has_help(run_vahti, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = run_vahti(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("sources", "add", "ftp://example.fi/"), "must start with http"),
        (("sources", "add", "https://example.fi/", "--kind", "pdf"), "not a source kind"),
        (("sources", "add", "https://example.fi/", "--language", "de"), "--language"),
        (("sources", "add", "https://example.fi/", "--category", "party"), "--category"),
        (("sources", "add", "https://example.fi/", "--config", "{nope"), "not JSON"),
        (("sources", "show", "999"), "no source with id 999"),
        (("sources", "enable", "999"), "no source with id 999"),
        (("sources", "set", "999", "--name", "X"), "no source with id 999"),
        (("sources", "set", "1", "--timezone", "Mars/Base"), "--timezone"),
        (("sources", "set", "1", "--language", "de"), "--language"),
        (("sources", "set", "1", "--config", "[1]"), "JSON object"),
        (("sources", "remove", "999"), "no source with id 999"),
        (("crawl", "--source", "999"), "no source with id 999"),
        (("events", "show", "999"), "no event with id 999"),
        (("events", "list", "--from", "next tuesday"), "is not a date"),
        (("events", "list", "--category", "party"), "--category"),
        (("subscribers", "add", "not-an-address"), "not an e-mail address"),
        (("subscribers", "add", "a@example.fi", "--day", "someday"), "--day"),
        (("subscribers", "add", "a@example.fi", "--timezone", "Mars/Base"), "--timezone"),
        (("subscribers", "add", "a@example.fi", "--hour", "25"), "--hour"),
        (("subscribers", "remove", "nobody@example.fi"), "no subscriber"),
        (("digest", "preview", "nobody@example.fi"), "no subscriber"),
        (("sources", "show", "abc"), "valid integer"),
        (("no-such-command",), "no-such-command"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    run_vahti, args: tuple[str, ...], needle: str
) -> None:  # type: ignore[no-untyped-def]
    result = run_vahti(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr


def test_sources_add_list_enable_disable_remove(run_vahti) -> None:  # type: ignore[no-untyped-def]
    added = run_vahti(
        "sources",
        "add",
        "https://example.fi/tapahtumat/",
        "--name",
        "Example",
        "--kind",
        "jsonld",
        "--interval",
        "6",
        "--language",
        "fi",
        "--category",
        "job-fair",
    )
    assert added.returncode == 0, added.stderr
    source_id = int(added.stdout.strip())
    listed = json.loads(run_vahti("sources", "list", "--json").stdout)
    assert [s["id"] for s in listed] == [source_id]
    source = listed[0]
    for key in ("id", "name", "url", "kind", "enabled", "health", "last_run", "records"):
        assert key in source
    assert source["health"] == "new"
    assert source["enabled"] is True
    assert source["interval_hours"] == 6
    changed = run_vahti(
        "sources",
        "set",
        str(source_id),
        "--name",
        "Esimerkki",
        "--interval",
        "12",
        "--language",
        "none",
        "--category",
        "course",
        "--category",
        "workshop",
        "--priority",
        "5",
    )
    assert changed.returncode == 0, changed.stderr
    assert "name, language, categories, priority, interval" in changed.stdout
    source = json.loads(run_vahti("sources", "list", "--json").stdout)[0]
    assert (source["name"], source["interval_hours"], source["language"]) == ("Esimerkki", 12, None)
    assert (source["categories"], source["priority"]) == (["course", "workshop"], 5)
    assert run_vahti("sources", "disable", str(source_id)).returncode == 0
    assert json.loads(run_vahti("sources", "list", "--json").stdout)[0]["enabled"] is False
    assert run_vahti("sources", "enable", str(source_id)).returncode == 0
    assert run_vahti("sources", "remove", str(source_id)).returncode == 0
    assert json.loads(run_vahti("sources", "list", "--json").stdout) == []


def test_subscribers_add_update_list_remove(run_vahti) -> None:  # type: ignore[no-untyped-def]
    assert (
        run_vahti(
            "subscribers",
            "add",
            "Anna@Example.FI",
            "--language",
            "sv",
            "--category",
            "mentoring",
            "--city",
            "Helsinki",
            "--no-online",
            "--event-language",
            "sv",
            "--day",
            "fri",
            "--hour",
            "7",
            "--timezone",
            "Europe/Stockholm",
            "--confirmed",
        ).returncode
        == 0
    )
    assert (
        run_vahti(
            "subscribers", "add", "Anna@example.fi", "--language", "en", "--confirmed"
        ).returncode
        == 0
    )
    listed = json.loads(run_vahti("subscribers", "list", "--json").stdout)
    assert len(listed) == 1
    anna = listed[0]
    assert anna["email"] == "Anna@example.fi"
    assert anna["status"] == "active"
    assert anna["language"] == "en"
    for key in (
        "categories",
        "keywords",
        "cities",
        "online",
        "event_languages",
        "day",
        "hour",
        "timezone",
    ):
        assert key in anna
    assert run_vahti("subscribers", "remove", "Anna@example.fi").returncode == 0
    assert json.loads(run_vahti("subscribers", "list", "--json").stdout) == []


def test_sources_add_refuses_private_addresses_unless_allowed(run_vahti) -> None:  # type: ignore[no-untyped-def]
    guarded = {"VAHTI_CRAWL__ALLOW_PRIVATE_NETWORKS": "false"}
    for url in (
        "http://127.0.0.1:8100/",
        "http://10.1.2.3/events",
        "http://[::1]/",
        "http://2130706433/",
        "http://169.254.169.254/latest/",
    ):
        result = run_vahti("sources", "add", url, "--kind", "jsonld", env=guarded)
        assert result.returncode == 2, (url, result.stderr)
        assert "refused" in result.stderr
    assert json.loads(run_vahti("sources", "list", "--json").stdout) == []
    allowed = run_vahti("sources", "add", "http://127.0.0.1:8100/", "--kind", "jsonld")
    assert allowed.returncode == 0, allowed.stderr
