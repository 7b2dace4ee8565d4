"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records messages and can refuse them.

smtp_server.refuse("bob@example.fi", "550 5.1.1 No such user")   # every time
smtp_server.refuse("ann@example.fi", "451 4.3.0 Try later", times=1)  # once, then accept
smtp_server.drop_after(3)   # close the connection without answering after 3 messages
smtp_server.refuse_sender("x@vahti.example", "550 5.7.1 Not our sender")   # MAIL FROM
smtp_server.refuse_data("bob@example.fi", "554 5.7.1 Spam")   # the DATA of a message to bob
smtp_server.stall("bob@example.fi", 3.0)   # answer RCPT TO:<bob...> after 3 s
smtp_server.resets, smtp_server.greetings   # RSETs received, EHLO/HELOs (one per connection)
smtp_server.messages        # list of Received (mail_from, rcpt_tos, data, message)
smtp_server.rcpt_counts     # how many times each recipient was offered (refused or not)

SmtpServer(security="starttls" or "tls", certificate=(cert.pem, key.pem), login=("u", "p"))
serves STARTTLS (required) or implicit TLS, and AUTH with one user (only over TLS).
SmtpServer(smtputf8=False) does not offer SMTPUTF8 (aiosmtpd's Controller offers it).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, _server: Any, session: Any, _envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does when there is no hook
        self.server.greetings += 1
        return responses

    async def handle_HELO(self, server: Any, session: Any, _envelope: Any, hostname: str) -> str:
        session.host_name = hostname
        self.server.greetings += 1
        return f"250 {server.hostname}"

    async def handle_RSET(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.server.resets += 1
        return "250 OK"

    async def handle_MAIL(
        self, _server: Any, _session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        answer = self.server._sender_refusals.get(address.lower())
        if answer is not None:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        with self.server.lock:
            key = address.lower()
            self.server.rcpt_counts[key] = self.server.rcpt_counts.get(key, 0) + 1
        delay = self.server._stalls.get(key)
        if delay is not None:
            await asyncio.sleep(delay)
        answer = self.server._refusal(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, _session: Any, envelope: Any) -> str:
        with self.server.lock:
            if (
                self.server._drop_after is not None
                and len(self.server.messages) >= self.server._drop_after
            ):
                self.server._drop_after = None
                self.server.dropped += 1
                server.transport.close()  # the SMTP protocol object owns the connection
                return "421 closing"
            for rcpt in envelope.rcpt_tos:
                answer = self.server._data_refusals.get(rcpt.lower())
                if answer is not None:
                    return answer
            self.server.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(
        self,
        *,
        security: str = "none",
        certificate: tuple[Path, Path] | None = None,
        login: tuple[str, str] | None = None,
        smtputf8: bool = True,
    ) -> None:
        self.messages: list[Received] = []
        self.rcpt_counts: dict[str, int] = {}
        self.dropped = 0  # connections dropped by drop_after
        self.logins: list[str] = []
        self.lock = threading.Lock()
        self._refusals: dict[str, list[Any]] = {}
        self._drop_after: int | None = None
        self._sender_refusals: dict[str, str] = {}
        self._data_refusals: dict[str, str] = {}
        self._stalls: dict[str, float] = {}
        self.resets = 0
        self.greetings = 0
        self.port = _free_port()
        self.host = "127.0.0.1"
        options: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
        context = None
        if security != "none":
            assert certificate is not None, "TLS needs a certificate"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, certificate))
        if security == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if login is not None:
            options["authenticator"] = self._authenticator(login)
            if security == "tls":
                # aiosmtpd cannot tell an implicit-TLS connection is encrypted: offer AUTH anyway.
                options["auth_require_tls"] = False
            else:
                options["auth_required"] = True
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=context if security == "tls" else None,
            **options,
        )

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def check(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            if ok:
                self.logins.append(data.login.decode())
            return AuthResult(success=ok)

        return check

    def refuse(self, address: str, answer: str, times: int | None = None) -> None:
        self._refusals[address.lower()] = [answer, times]

    def refuse_sender(self, address: str, answer: str) -> None:
        self._sender_refusals[address.lower()] = answer

    def refuse_data(self, recipient: str, answer: str) -> None:
        self._data_refusals[recipient.lower()] = answer

    def stall(self, recipient: str, seconds: float) -> None:
        self._stalls[recipient.lower()] = seconds

    def drop_after(self, count: int) -> None:
        """Drop the connection, unanswered, when the message after `count` arrives."""
        self._drop_after = count

    def _refusal(self, address: str) -> str | None:
        rule = self._refusals.get(address.lower())
        if rule is None:
            return None
        answer, times = rule
        if times is not None:
            if times <= 0:
                return None
            rule[1] = times - 1
        return str(answer)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def message_ids(self) -> list[str]:
        return [str(m.message["Message-ID"]) for m in self.messages]

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        found: dict[str, list[EmailMessage]] = {}
        for received in list(self.messages):
            for rcpt in received.rcpt_tos:
                found.setdefault(rcpt.lower(), []).append(received.message)
        return found
