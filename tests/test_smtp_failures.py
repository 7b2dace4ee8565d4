"""One failed message never costs the next one anything: after any failed transaction the
reused SMTP connection is reset (RSET) or replaced, and a failure is charged only to the
recipient it belongs to. A real aiosmtpd server on 127.0.0.1, one connection (so every
message after the bad one is on the connection the bad one used)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from typing import Any

import pytest

from digest.message import build_message, new_message_id
from digest.render import Rendered
from digest.smtp import SmtpSender
from digest.transports import SendError
from tests.support.smtp import SmtpServer

SENDER = "Tapahtumavahti <digest@vahti.example>"
GOOD = ["anna@example.fi", "bertta@example.fi", "cecilia@example.fi"]


def digest_to(recipient: str, sender: str = SENDER) -> Message:
    return build_message(
        Rendered("Tapahtumia sinulle", "Hei!\nTyönhakijan päivä", "<p>Työnhakijan päivä</p>", "fi"),
        sender=sender,
        recipient=recipient,
        message_id=new_message_id("vahti.example"),
        date=datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
    )


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    options: dict[str, Any] = getattr(request, "param", {})
    smtp = SmtpServer(**options)
    smtp.start()
    try:
        yield smtp
    finally:
        smtp.stop()


async def send_all(
    server: SmtpServer, messages: list[Message], **options: Any
) -> dict[str, SendError | None]:
    """Send each message in turn over ONE reused connection; what happened to each recipient."""
    options.setdefault("timeout", 5)
    sender = SmtpSender(host=server.host, port=server.port, connections=1, **options)
    outcome: dict[str, SendError | None] = {}
    try:
        for message in messages:
            try:
                await sender.send(message)
                outcome[message["Message-ID"]] = None
            except SendError as exc:
                outcome[message["Message-ID"]] = exc
    finally:
        await sender.close()
    return outcome


def received(server: SmtpServer) -> list[str]:
    return [rcpt for message in server.messages for rcpt in message.rcpt_tos]


async def _bad_then_good(
    server: SmtpServer, bad: Message, **options: Any
) -> tuple[SendError | None, list[SendError | None]]:
    """A good message, the bad one, then the good ones again: the bad one's error, the
    others' errors (all None when nothing was charged to them)."""
    first = digest_to(GOOD[0])
    rest = [digest_to(address) for address in GOOD]
    outcome = await send_all(server, [first, bad, *rest], **options)
    others = [outcome[m["Message-ID"]] for m in (first, *rest)]
    return outcome[bad["Message-ID"]], others


@pytest.mark.parametrize(
    "bad",
    [
        "dora\x01@example.fi",  # a control character (stored before the check)
        "dora\x1b[2J@example.fi",  # an escape sequence
        "dora\u202e@example.fi",  # a bidi override
        "dora smith@example.fi",  # a space
        "dora<eve@example.fi>@example.fi",  # would send to another address
    ],
    ids=["control", "escape", "bidi", "space", "angle brackets"],
)
async def test_an_address_that_cannot_be_sent_fails_alone_and_for_good(
    server: SmtpServer, bad: str
) -> None:
    error, others = await _bad_then_good(server, digest_to(bad))
    assert others == [None] * 4, others
    assert error is not None and error.permanent and not error.unavailable
    assert repr(bad) in str(error)
    assert received(server) == [GOOD[0], *GOOD]  # nothing went anywhere else
    assert bad.lower() not in server.rcpt_counts  # never put on the wire


@pytest.mark.parametrize("server", [{"smtputf8": False}], indirect=True)
async def test_a_non_ascii_address_without_smtputf8_fails_alone_and_for_good(
    server: SmtpServer,
) -> None:
    error, others = await _bad_then_good(server, digest_to("åsa@exempel.se"))
    assert others == [None] * 4, others  # no "503 nested MAIL command" for the next one
    assert error is not None and error.permanent and not error.unavailable
    assert "does not offer SMTPUTF8" in str(error) and "'åsa@exempel.se'" in str(error)
    assert received(server) == [GOOD[0], *GOOD]


@pytest.mark.parametrize("server", [{"smtputf8": False}], indirect=True)
async def test_a_sign_up_mail_to_a_non_ascii_address_does_not_break_the_connection(
    server: SmtpServer,
) -> None:
    """The same with a mail built the way web/mail.py builds it (an EmailMessage)."""
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = "åsa@exempel.se"
    mail["Subject"] = "Vahvista tilauksesi"
    mail["Message-ID"] = new_message_id("vahti.example")
    mail.set_content("Hei!")
    error, others = await _bad_then_good(server, mail)
    assert others == [None] * 4, others
    assert error is not None and error.permanent


async def test_a_refused_recipient_fails_alone(server: SmtpServer) -> None:
    server.refuse("dora@example.fi", "550 5.1.1 No such user")
    error, others = await _bad_then_good(server, digest_to("dora@example.fi"))
    assert others == [None] * 4
    assert error is not None and error.permanent and error.code == 550
    assert received(server) == [GOOD[0], *GOOD]


async def test_a_refused_message_fails_alone_and_the_connection_is_reset(
    server: SmtpServer,
) -> None:
    server.refuse_data("dora@example.fi", "554 5.7.1 Message refused")
    error, others = await _bad_then_good(server, digest_to("dora@example.fi"))
    assert others == [None] * 4
    assert error is not None and error.permanent and error.code == 554
    assert received(server) == [GOOD[0], *GOOD]
    assert server.resets >= 1


async def test_a_refused_sender_is_never_charged_to_the_recipient(server: SmtpServer) -> None:
    server.refuse_sender("other@vahti.example", "550 5.7.1 Not our customer")
    error, others = await _bad_then_good(
        server, digest_to("dora@example.fi", sender="other@vahti.example")
    )
    assert others == [None] * 4
    assert error is not None and not error.permanent  # not dora's fault: no bounce
    assert "sender 'other@vahti.example'" in str(error)
    assert received(server) == [GOOD[0], *GOOD]


async def test_a_503_bad_sequence_is_never_a_bounce(server: SmtpServer) -> None:
    server.refuse("dora@example.fi", "503 5.5.1 Bad sequence of commands")
    error, others = await _bad_then_good(server, digest_to("dora@example.fi"))
    assert others == [None] * 4
    assert error is not None and not error.permanent and error.code == 503


async def test_a_timeout_replaces_the_connection(server: SmtpServer) -> None:
    server.stall("dora@example.fi", 1.5)
    error, others = await _bad_then_good(server, digest_to("dora@example.fi"), timeout=0.5)
    assert others == [None] * 4  # the late "250" of the stalled RCPT is never read as theirs
    assert error is not None and not error.permanent and not error.unavailable
    assert received(server) == [GOOD[0], *GOOD]
    assert server.greetings >= 2  # a new connection after the timeout


async def test_a_421_closes_the_connection_and_the_next_message_opens_a_new_one(
    server: SmtpServer,
) -> None:
    server.refuse("dora@example.fi", "421 4.3.2 Shutting down")
    error, others = await _bad_then_good(server, digest_to("dora@example.fi"))
    assert others == [None] * 4
    assert error is not None and not error.permanent and error.code == 421
    assert server.greetings == 2


async def test_a_good_run_needs_no_reset_and_one_connection(server: SmtpServer) -> None:
    """The positive control for the counters the tests above read."""
    outcome = await send_all(server, [digest_to(address) for address in GOOD])
    assert list(outcome.values()) == [None] * 3
    assert (server.resets, server.greetings) == (0, 1)


# -- SMTPUTF8: an internationalised local part gets a correct message -------------------------


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("server", [{"smtputf8": True}], indirect=True)
async def test_a_non_ascii_address_goes_with_smtputf8(server: SmtpServer) -> None:
    outcome = await send_all(server, [digest_to("åsa@exempel.se"), digest_to(GOOD[0])])
    assert list(outcome.values()) == [None, None]
    utf8, plain = server.messages
    assert utf8.rcpt_tos == ["åsa@exempel.se"] and plain.rcpt_tos == [GOOD[0]]
    assert b"\nTo: \xc3\xa5sa@exempel.se\n" in utf8.data.replace(b"\r\n", b"\n")
    assert b"=?" not in utf8.data.split(b"\nTo:", 1)[1].split(b"\n", 1)[0]
    message = parsed(utf8.data)
    assert str(message["To"]) == "åsa@exempel.se" and not message.defects
    assert message["Subject"] == "Tapahtumia sinulle"
    assert "Työnhakijan päivä" in next(message.iter_parts()).get_content()
    # ASCII addresses still go without SMTPUTF8 (and their headers stay ASCII).
    assert plain.data.isascii()


@pytest.mark.parametrize("server", [{"smtputf8": False}], indirect=True)
async def test_a_non_ascii_sender_address_without_smtputf8_stops_the_run(
    server: SmtpServer,
) -> None:
    """The sender is the settings' fault, never a subscriber's: `unavailable` stops the run
    and uses no one's tries."""
    outcome = await send_all(server, [digest_to(GOOD[0], sender="Vahti <vähti@vahti.example>")])
    (error,) = outcome.values()
    assert error is not None and error.unavailable and not error.permanent
    assert "mail.from_address" in str(error)
