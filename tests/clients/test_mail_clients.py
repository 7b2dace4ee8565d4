"""The demo's digests as mail clients show them: Python's e-mail parser on the .eml files (the
text part) and, where Debian's w3m is installed, `w3m -dump` on the HTML part."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from tests.clients.conftest import DemoRun


def _digests(demo_run: DemoRun) -> dict[str, EmailMessage]:
    """Each demo digest by its language (the demo mails one subscriber per language)."""
    found: dict[str, EmailMessage] = {}
    for path in demo_run.messages():
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        found[str(message["Content-Language"])] = message
    assert set(found) >= {"fi", "sv", "en"}, sorted(found)
    return found


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _cards(text: str) -> list[str]:
    """The text part's event cards ("* title" up to the next card or section)."""
    return re.findall(r"^\* .*?(?=^\* |^== |^-- |\Z)", text, flags=re.M | re.S)


def test_the_text_part_shows_the_badges_each_apart(demo_run: DemoRun) -> None:
    text = _text(_digests(demo_run)["en"])
    # The labels line of a card: category, then the language the event is held in.
    assert re.search(r"^  mentoring · held in Swedish\b", text, flags=re.M), text
    assert re.search(r"^  Apply by \w", text, flags=re.M)
    assert not re.search(r"[a-z](Apply by|held in|SV|FI|EN)\b", text)


def test_the_why_line_says_what_the_reader_chose_and_the_badge_what_the_event_is_held_in(
    demo_run: DemoRun,
) -> None:
    text = _text(_digests(demo_run)["en"])
    mentoring = next(c for c in _cards(text) if "Career mentoring" in c)
    assert "held in Swedish, Finnish, English" in mentoring
    assert "Why: mentoring · Helsinki · you chose English" in mentoring
    assert "· in English" not in text


def test_the_heading_names_the_digests_window(demo_run: DemoRun) -> None:
    headings = {
        "fi": "Sinulle sopivat tapahtumat seuraavien 14 päivän aikana",
        "sv": "Evenemang för dig de närmaste 14 dagarna",
        "en": "Events for you in the next 14 days",
    }
    for language, message in _digests(demo_run).items():
        assert headings[language] in _text(message)
        assert re.search(rf"<h1[^>]*>{headings[language]}</h1>", _html(message))
        assert "this week" not in _text(message).split("==")[0]


def test_the_swedish_digest_says_helsingfors(demo_run: DemoRun) -> None:
    digests = _digests(demo_run)
    swedish = _text(digests["sv"])
    assert re.search(r"· [^\n]*, Helsingfors$", swedish, flags=re.M)  # a place line
    assert re.search(r"^  Varför: [^\n]*· Helsingfors ·", swedish, flags=re.M)
    # Source names are names ("Työllisyyspalvelut Helsinki"): only they may keep the form.
    not_names = "\n".join(
        line for line in swedish.splitlines() if not line.lstrip().startswith("Finns också på:")
    )
    assert not re.search(r"\bHelsinki\b", not_names)
    assert not re.search(r"· [^<]*\bHelsinki\b", _html(digests["sv"]))
    # Positive control: the Finnish and English digests keep "Helsinki".
    assert re.search(r"· [^\n]*, Helsinki$", _text(digests["fi"]), flags=re.M)
    assert re.search(r"· [^\n]*, Helsinki$", _text(digests["en"]), flags=re.M)


def test_a_rescheduled_event_carries_its_mark_in_the_digest(demo_run: DemoRun) -> None:
    events = json.loads(demo_run.vahti("events", "list", "--json").stdout)
    rescheduled = [e["id"] for e in events if e["status"] == "rescheduled"]
    scheduled = [e["id"] for e in events if e["status"] == "scheduled"]
    assert rescheduled
    marks = {"fi": "Aika muuttunut", "sv": "Ny tid", "en": "Rescheduled"}
    shown = 0
    for language, message in _digests(demo_run).items():
        for card in _cards(_text(message)):
            event_id = int(re.search(r"/events/(\d+)\.ics", card).group(1))  # type: ignore[union-attr]
            if event_id in rescheduled:
                shown += 1
                assert marks[language] in card, card
            elif event_id in scheduled:
                assert marks[language] not in card, card  # the control
    assert shown, "no digest shows the demo's rescheduled event"


W3M = shutil.which("w3m")


@pytest.mark.skipif(W3M is None, reason="w3m is not installed (apt-get install w3m; make clients)")
def test_w3m_shows_the_badges_each_apart(demo_run: DemoRun) -> None:
    assert W3M is not None
    for language, message in _digests(demo_run).items():
        dump = subprocess.run(
            [W3M, "-dump", "-T", "text/html", "-O", "UTF-8", "-cols", "200"],
            input=_html(message),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        apply_by = {"fi": "Hae viimeistään", "sv": "Ansök senast", "en": "Apply by"}[language]
        assert apply_by in dump
        assert not re.search(rf"\S{apply_by}", dump), dump
        if language == "en":
            assert re.search(r"\bmentoring held in Swedish, Finnish, English Apply by ", dump)
            assert re.search(r"\bRescheduled seminar\b", dump)
        if language == "sv":
            # Source names are names ("Työllisyyspalvelut Helsinki"): only they keep the form.
            places = "\n".join(line for line in dump.splitlines() if "Finns också på:" not in line)
            assert "Helsingfors" in dump and not re.search(r"\bHelsinki\b", places)
