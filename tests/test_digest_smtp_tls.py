"""The SMTP backend over STARTTLS and implicit TLS, with a login, against aiosmtpd."""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config import MailSettings
from digest.message import build_message, new_message_id
from digest.render import Rendered
from digest.smtp import SmtpSender
from digest.transports import SendError, make_sender
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@contextmanager
def server(**options) -> Iterator[SmtpServer]:  # type: ignore[no-untyped-def]
    smtp = SmtpServer(**options)
    smtp.start()
    try:
        yield smtp
    finally:
        smtp.stop()


def message():  # type: ignore[no-untyped-def]
    return build_message(
        Rendered("Hei", "teksti", "<p>html</p>", "fi"),
        sender="digest@vahti.example",
        recipient="anna@example.fi",
        message_id=new_message_id("vahti.example"),
        date=datetime.now(UTC),
    )


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_mail_goes_over_tls_with_a_login(
    certificate: tuple[Path, Path], security: str
) -> None:
    with server(security=security, certificate=certificate, login=("vahti", "s3cret")) as smtp:
        sender = SmtpSender(
            host=smtp.host,
            port=smtp.port,
            security=security,
            username="vahti",
            password="s3cret",
            tls_context=trusting(certificate[0]),
            timeout=5,
        )
        sent = message()
        await sender.send(sent)
        await sender.send(message())  # the same connection, reused
        await sender.close()
        assert smtp.logins == ["vahti"]
        received = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default)
        assert received["Message-ID"] == sent["Message-ID"]
        assert len(smtp.messages) == 2


async def test_a_wrong_password_stops_the_sender_not_the_message(
    certificate: tuple[Path, Path],
) -> None:
    with server(security="starttls", certificate=certificate, login=("vahti", "s3cret")) as smtp:
        sender = SmtpSender(
            host=smtp.host,
            port=smtp.port,
            security="starttls",
            username="vahti",
            password="wrong",
            tls_context=trusting(certificate[0]),
            timeout=5,
        )
        with pytest.raises(SendError) as failure:
            await sender.send(message())
        await sender.close()
        assert failure.value.unavailable and not failure.value.permanent
        assert smtp.messages == []


async def test_an_untrusted_certificate_is_refused(certificate: tuple[Path, Path]) -> None:
    with server(security="tls", certificate=certificate) as smtp:
        sender = SmtpSender(host=smtp.host, port=smtp.port, security="tls", timeout=5)
        with pytest.raises(SendError) as failure:
            await sender.send(message())
        await sender.close()
        assert failure.value.unavailable and "certificate" in str(failure.value).lower()
        assert smtp.messages == []


def test_the_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAHTI_MAIL__PASSWORD", "from-env")
    from config.loader import load_settings

    mail = load_settings().mail
    sender = make_sender(mail.model_copy(update={"backend": "smtp", "username": "u"}))
    assert isinstance(sender, SmtpSender) and sender.password == "from-env"
    assert MailSettings().password.get_secret_value() == ""
