"""Where digests go: a sender interface with backends chosen by `mail.backend`."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class SendError(Exception):
    """Sending failed. `permanent` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class Sender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    async def close(self) -> None: ...


class FileSender:
    """Writes each message as an .eml file named after its Message-ID (a resend overwrites)."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def path_for(self, message: EmailMessage) -> Path:
        message_id = str(message["Message-ID"] or "no-id").strip("<>")
        return self.outbox / (re.sub(r"[^A-Za-z0-9._@-]", "_", message_id) + ".eml")

    async def send(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        target = self.path_for(message)
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(message.as_bytes())
        temporary.replace(target)

    async def close(self) -> None:
        return None
