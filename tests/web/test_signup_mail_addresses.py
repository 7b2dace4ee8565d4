"""Sign-up mails to an internationalised address (åsa@exempel.se, allowed by check_address):
the address is written as it is, in UTF-8, never as an RFC 2047 encoded-word (which is no
address); sent with SMTPUTF8 when the server offers it, and when it does not, that mail alone
fails: the next sign-up's mail goes out on the same reused connection."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from digest.smtp import SmtpSender
from tests.conftest import Database
from tests.support.smtp import SmtpServer
from tests.web.conftest import BASE_URL, Clock, WebEnv, make_config
from web.app import create_app

FORM = {"language": "sv", "categories": ["job-fair"], "day": "mon", "hour": "8", "website": ""}
ASA = "åsa@exempel.se"


def header_line(data: bytes, name: bytes) -> bytes:
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    (line,) = [line for line in head.split(b"\n") if line.startswith(name + b":")]
    return line


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_file_outbox_holds_a_utf8_message_with_the_address_as_it_is(web: WebEnv) -> None:
    for address in (ASA, "anna@example.fi"):
        assert web.client.post("/subscribe", data={**FORM, "email": address}).status_code == 200
    utf8, plain = sorted(web.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    data = utf8.read_bytes()
    assert header_line(data, b"To") == "To: åsa@exempel.se".encode()
    message = parsed(data)
    assert str(message["To"]) == ASA and not message.defects
    assert message["Subject"] == "Bekräfta din prenumeration på Tapahtumavahti"
    # An ASCII address keeps ASCII headers (RFC 2047 for the Swedish subject).
    assert header_line(plain.read_bytes(), b"Subject").isascii()
    assert str(parsed(plain.read_bytes())["To"]) == "anna@example.fi"


@pytest.fixture
def smtp_app(
    request: pytest.FixtureRequest, sqlite_db: Database, tmp_path: Path, now: datetime
) -> Iterator[tuple[TestClient, SmtpServer]]:
    server = SmtpServer(smtputf8=request.param)
    server.start()
    sender = SmtpSender(host=server.host, port=server.port, timeout=5, connections=1)
    app = create_app(make_config(), sqlite_db.sessions, sender=sender, clock=Clock(now))
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            yield client, server
            assert client.portal is not None
            client.portal.call(sender.close)  # on the app's event loop, where it connected
    finally:
        server.stop()


@pytest.mark.parametrize("smtp_app", [True], indirect=True, ids=["SMTPUTF8"])
def test_with_smtputf8_the_address_gets_a_correct_mail(
    smtp_app: tuple[TestClient, SmtpServer],
) -> None:
    client, server = smtp_app
    assert client.post("/subscribe", data={**FORM, "email": ASA}).status_code == 200
    (received,) = server.messages
    assert received.rcpt_tos == [ASA]
    assert header_line(received.data, b"To") == "To: åsa@exempel.se".encode()
    message = parsed(received.data)
    assert str(message["To"]) == ASA and not message.defects
    assert "/confirm/" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize("smtp_app", [False], indirect=True, ids=["no SMTPUTF8"])
def test_without_smtputf8_that_mail_alone_fails(smtp_app: tuple[TestClient, SmtpServer]) -> None:
    client, server = smtp_app
    page = client.post("/subscribe", data={**FORM, "email": ASA})
    assert "Traceback" not in page.text
    assert server.messages == []
    # The next sign-up's mail goes out on the same connection (no "503 nested MAIL command").
    assert client.post("/subscribe", data={**FORM, "email": "anna@example.fi"}).status_code == 200
    assert [m.rcpt_tos for m in server.messages] == [["anna@example.fi"]]
    assert server.greetings == 1
