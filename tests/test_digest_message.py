"""The e-mail itself: headers, structure, encodings; CR/LF never reach a header."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

from digest.message import build_message, new_message_id
from digest.render import Rendered

WHEN = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def parsed(**overrides) -> EmailMessage:  # type: ignore[no-untyped-def]
    rendered = overrides.pop(
        "rendered",
        Rendered(
            subject="3 uutta tapahtumaa sinulle: Työnhakijan päivä",
            text="Hei!\nTyönhakijan päivä – tiistaina\n" + "pitkä rivi " * 40,
            html='<html><body><p style="color: red;">Työnhakijan päivä</p></body></html>',
            language="fi",
        ),
    )
    values = {
        "sender": "Tapahtumavahti <digest@vahti.example>",
        "recipient": "anna@example.fi",
        "message_id": "<abc123@vahti.example>",
        "date": WHEN,
        "list_id": "Tapahtumavahti <digest.vahti.example>",
        "unsubscribe_url": "https://vahti.example/u/MS4xLnVuc3Vic2NyaWJl._N4jXMR697cM8gIzEddHd7su",
        **overrides,
    }
    data = build_message(rendered, **values).as_bytes()
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_every_header_a_list_mail_needs() -> None:
    message = parsed()
    assert message["From"] == "Tapahtumavahti <digest@vahti.example>"
    assert message["To"] == "anna@example.fi"
    assert message["Subject"] == "3 uutta tapahtumaa sinulle: Työnhakijan päivä"
    assert message["Date"].datetime == WHEN
    assert message["Message-ID"] == "<abc123@vahti.example>"
    assert message["MIME-Version"] == "1.0"
    assert message["List-Id"] == "Tapahtumavahti <digest.vahti.example>"
    assert message["List-Unsubscribe"] == (
        "<https://vahti.example/u/MS4xLnVuc3Vic2NyaWJl._N4jXMR697cM8gIzEddHd7su>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Content-Language"] == "fi"


def test_a_non_ascii_subject_is_rfc2047_encoded() -> None:
    subject = "12 uutta tapahtumaa sinulle tällä viikolla: Työnhakijan päivä Äänekoskella"
    raw = build_message(
        Rendered(subject, "t", "<p>h</p>", "fi"),
        sender="digest@vahti.example",
        recipient="a@example.fi",
        message_id="<x@vahti.example>",
        date=WHEN,
    ).as_bytes()
    subject_line = next(line for line in raw.split(b"\n") if line.startswith(b"Subject:"))
    assert subject_line.isascii() and b"=?utf-8?" in subject_line
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == subject


def test_text_comes_before_html_in_multipart_alternative() -> None:
    message = parsed()
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().startswith("Hei!\nTyönhakijan päivä – tiistaina")
    assert 'style="color: red;"' in parts[1].get_content()
    assert all(p.get_content_charset() == "utf-8" for p in parts)


def test_lines_stay_short_on_the_wire() -> None:
    raw = build_message(
        Rendered("s", "x" * 5000, "<p>" + "y" * 5000 + "</p>", "en"),
        sender="digest@vahti.example",
        recipient="a@example.fi",
        message_id="<x@vahti.example>",
        date=WHEN,
    ).as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    assert raw.isascii()


def test_cr_and_lf_never_reach_a_header() -> None:
    message = parsed(
        rendered=Rendered("Hello\r\nBcc: victim@example.fi", "t", "<p>h</p>", "en"),
        recipient="anna@example.fi\r\nBcc: victim@example.fi",
        unsubscribe_url="https://vahti.example/u/T\nX-Evil: 1",
    )
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"] and "victim" in message["Subject"]
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), name


def test_a_mail_outside_a_list_has_no_list_headers() -> None:
    message = parsed(list_id=None, unsubscribe_url=None)
    assert message["List-Id"] is None and message["List-Unsubscribe"] is None


def test_message_ids_are_unique_and_at_our_domain() -> None:
    first, second = new_message_id("vahti.example"), new_message_id("vahti.example")
    assert first != second
    assert first.startswith("<") and first.endswith("@vahti.example>")


def test_the_fast_bytes_say_what_the_stdlib_generator_says() -> None:
    message = build_message(
        Rendered(
            "12 uutta tapahtumaa sinulle tällä viikolla: Työnhakijan päivä Äänekoskella",
            "Hei!\n\nTyönhakijan päivä\n" + "rivi=1 " * 300 + "\n",
            '<p style="color: red;">Työnhakijan päivä</p>\n' * 50,
            "fi",
        ),
        sender="Tapahtumavahti Ääni <digest@vahti.example>",
        recipient="anna@example.fi",
        message_id="<abc@vahti.example>",
        date=WHEN,
        list_id="Tapahtumavahti <digest.vahti.example>",
        unsubscribe_url="https://vahti.example/u/MS4xLnVuc3Vic2NyaWJl._N4jXMR697cM8gIzEddHd7su",
    )
    fast = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    stdlib = email.message_from_bytes(
        message.as_bytes(policy=message.policy), policy=email.policy.default
    )
    assert isinstance(fast, EmailMessage) and isinstance(stdlib, EmailMessage)
    assert list(fast.items()) == list(stdlib.items())
    assert [p.get_content() for p in fast.iter_parts()] == [
        p.get_content() for p in stdlib.iter_parts()
    ]
    assert [list(p.items()) for p in fast.iter_parts()] == [
        list(p.items()) for p in stdlib.iter_parts()
    ]
    assert not fast.defects and all(not p.defects for p in fast.iter_parts())
