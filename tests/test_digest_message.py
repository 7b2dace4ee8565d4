"""The e-mail itself: headers, structure, encodings; CR/LF never reach a header."""

from __future__ import annotations

import email
import email.policy
import pickle
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.message import (
    DigestMessage,
    PreparedMessage,
    build_message,
    envelope,
    mailbox_problem,
    new_message_id,
)
from digest.render import Rendered
from digest.transports import FileSender, SendError

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


# -- addresses: written as they are, or not at all -------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["anna@example.fi", "åsa@exempel.se", "kirja@xn--bcher-kva.de", "o'brien+d@example.fi"],
)
def test_a_sendable_address_has_no_problem(address: str) -> None:
    assert mailbox_problem(address) is None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("anna\x00@example.fi", "control or invisible character (U+0000)"),
        ("anna\x01@example.fi", "control or invisible character (U+0001)"),
        ("anna\x1b[2J@example.fi", "control or invisible character (U+001B)"),
        ("anna\x85@example.fi", "control or invisible character (U+0085)"),
        ("anna\u202e@example.fi", "control or invisible character (U+202E)"),
        ("an\u200bna@example.fi", "control or invisible character (U+200B)"),
        ("anna virtanen@example.fi", "a space (U+0020)"),
        ("anna@example.fi\r\nBcc: eve@example.fi", "control or invisible character (U+000D)"),
        ("anna<eve@example.fi>@example.fi", "'<'"),
        ('"anna"@example.fi', "'\"'"),
        ("anna@eve@example.fi", "more than one @-sign"),
        ("anna", "not of the form name@domain"),
        ("", "not of the form name@domain"),
    ],
)
def test_an_address_that_cannot_be_sent_as_it_is_says_why(address: str, problem: str) -> None:
    found = mailbox_problem(address)
    assert found is not None and problem in found


def test_a_non_ascii_address_is_written_raw_in_utf8_never_rfc2047() -> None:
    message = build_message(
        Rendered("Hei", "t", "<p>h</p>", "fi"),
        sender="Vahti Ääni <vähti@vahti.example>",
        recipient="åsa@exempel.se",
        message_id="<x@vahti.example>",
        date=WHEN,
    )
    raw = message.as_bytes()
    assert "\nTo: åsa@exempel.se\n".encode() in raw
    assert "\nFrom: =?utf-8?b?VmFodGkgw4TDpG5p?= <vähti@vahti.example>\n".encode() in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["To"]) == "åsa@exempel.se"
    assert str(parsed["From"]) == "Vahti Ääni <vähti@vahti.example>"
    assert envelope(message) == ("vähti@vahti.example", "åsa@exempel.se")
    # As the compose processes hand it to the sending process (our own bytes: S301 is moot).
    prepared = pickle.loads(pickle.dumps(PreparedMessage(message)))  # noqa: S301
    assert prepared.as_bytes() == raw
    assert envelope(prepared) == ("vähti@vahti.example", "åsa@exempel.se")


def test_an_address_that_cannot_be_written_never_reaches_a_header_but_stays_the_envelope() -> None:
    stored = "anna<eve@example.fi>\x01@example.fi"
    message = build_message(
        Rendered("Hei", "t", "<p>h</p>", "fi"),
        sender="digest@vahti.example",
        recipient=stored,
        message_id="<x@vahti.example>",
        date=WHEN,
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert str(parsed["To"]) == "undisclosed-recipients:;"
    assert "eve" not in message.as_bytes().decode()
    assert envelope(message) == ("digest@vahti.example", stored)


async def test_the_file_outbox_refuses_an_address_that_cannot_be_sent(tmp_path: Path) -> None:
    outbox = FileSender(tmp_path)

    def to(recipient: str) -> DigestMessage:
        return build_message(
            Rendered("Hei", "t", "<p>h</p>", "fi"),
            sender="digest@vahti.example",
            recipient=recipient,
            message_id=new_message_id("vahti.example"),
            date=WHEN,
        )

    with pytest.raises(SendError, match=r"cannot send to 'anna\\x01@example.fi'") as refused:
        await outbox.send(to("anna\x01@example.fi"))
    assert refused.value.permanent and not refused.value.unavailable
    assert list(tmp_path.iterdir()) == []
    await outbox.send(to("åsa@exempel.se"))  # the positive control: UTF-8 on disk
    (written,) = tmp_path.iterdir()
    assert "\nTo: åsa@exempel.se\n".encode() in written.read_bytes()
