"""Where mail goes: one `Sender` interface, backends chosen by `mail.backend`.

* `file`: each message becomes an .eml file in `mail.outbox_dir`, named after its Message-ID
  (sending the same message again overwrites it: the outbox never holds a digest twice).
* `smtp`: digest.smtp.SmtpSender (aiosmtplib, a few connections kept open, optional rate limit).

A sender raises `SendError` when a message was not accepted; `permanent` says whether trying
again can help. The web app may use `make_sender` to send its own mails.

Both backends first check the envelope (`checked_envelope`): a recipient address that cannot
be sent as it is (digest.message.mailbox_problem: an address stored before addresses were
checked) fails that message alone, for good; a sender address that cannot be sent stops the
run (the settings' fault, not a subscriber's).
"""

from __future__ import annotations

import re
from email.message import Message
from pathlib import Path
from typing import Protocol

from config import MailSettings
from digest.message import envelope, mailbox_problem


class SendError(Exception):
    """A message was not accepted.

    `permanent`: the server refused it for good (5xx but 552); trying again cannot help.
    `unavailable`: the server could not be reached or refused us (connect, TLS, login): not
    the message's fault, so it must not use up the message's tries; the batch stops instead.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        unavailable: bool = False,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unavailable = unavailable
        self.code = code


def checked_envelope(message: Message) -> tuple[str, str]:
    """(sender, recipient) of a message, or SendError naming the address that cannot be sent."""
    sender, recipient = envelope(message)
    problem = mailbox_problem(recipient)
    if problem is not None:
        raise SendError(f"cannot send to {recipient!r}: {problem}", permanent=True)
    problem = mailbox_problem(sender)
    if problem is not None:
        raise SendError(
            f"cannot send from {sender!r} (mail.from_address): {problem}", unavailable=True
        )
    return sender, recipient


class Sender(Protocol):
    async def send(self, message: Message) -> None:
        """Return once the message was accepted; raise SendError otherwise."""

    async def close(self) -> None: ...


class FileSender:
    """Writes each message as an .eml file named after its Message-ID (a resend overwrites)."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def path_for(self, message: Message) -> Path:
        message_id = str(message["Message-ID"] or "no-id").strip("<>")
        return self.outbox / (re.sub(r"[^A-Za-z0-9._@-]", "_", message_id) + ".eml")

    async def send(self, message: Message) -> None:
        checked_envelope(message)
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            target = self.path_for(message)
            temporary = target.with_suffix(".tmp")
            temporary.write_bytes(message.as_bytes())
            temporary.replace(target)
        except OSError as exc:
            raise SendError(
                f"cannot write to the outbox {self.outbox}: {exc}", unavailable=True
            ) from exc

    async def close(self) -> None:
        return None


def make_sender(mail: MailSettings) -> Sender:
    """The sender `mail.backend` names, configured from the mail settings."""
    if mail.backend == "file":
        return FileSender(Path(mail.outbox_dir))
    from digest.smtp import SmtpSender

    return SmtpSender.from_settings(mail)
