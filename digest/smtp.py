"""The SMTP backend: aiosmtplib clients kept open and reused, an optional rate limit.

aiosmtplib has no pool (its `send()` opens a connection per message), so the sender keeps
`mail.connections` clients, connects each on first use and reuses it. A connection that breaks
is closed and reopened for the next message; a message whose connection broke before the
server accepted it is tried once more at once on a fresh connection (servers close idle
connections), then reported as a transient failure.

Replies are classified the RFC 5321 way: 4xx and 552 (mailbox full, "treat as temporary")
are transient; other 5xx are permanent.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from email.message import Message

import aiosmtplib

from config import MailSettings
from digest.message import envelope
from digest.transports import SendError


def is_permanent(code: int) -> bool:
    return 500 <= code < 600 and code != 552


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "none",
        username: str = "",
        password: str = "",
        connections: int = 4,
        rate_limit: float = 0.0,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"mail.security {security!r}; allowed: none, starttls, tls")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.connections = connections
        self.rate_limit = rate_limit
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.tls_context = tls_context
        # Last in, first out: a quiet sender keeps using one warm connection.
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] | None = None
        self._clients: list[aiosmtplib.SMTP] = []
        self._next_slot = 0.0

    @classmethod
    def from_settings(cls, mail: MailSettings) -> SmtpSender:
        return cls(
            host=mail.host,
            port=mail.port,
            security=mail.security,
            username=mail.username,
            password=mail.password.get_secret_value(),
            connections=mail.connections,
            rate_limit=mail.rate_limit,
            timeout=mail.timeout_seconds,
            local_hostname=mail.message_id_domain,
        )

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username or None,
            password=self.password or None,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            timeout=self.timeout,
            local_hostname=self.local_hostname,
            tls_context=self.tls_context,
        )

    def _pool(self) -> asyncio.LifoQueue[aiosmtplib.SMTP]:
        if self._idle is None:
            self._idle = asyncio.LifoQueue()
            self._clients = [self._client() for _ in range(self.connections)]
            for client in self._clients:
                self._idle.put_nowait(client)
        return self._idle

    async def _pace(self) -> None:
        """Keep to `rate_limit` messages per second over all connections together."""
        if self.rate_limit <= 0:
            return
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.rate_limit
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise SendError(
                f"cannot use the SMTP server {self.host}:{self.port}: {exc}", unavailable=True
            ) from exc

    async def send(self, message: Message) -> None:
        sender, recipient = envelope(message)
        data = message.as_bytes()
        await self._pace()
        pool = self._pool()
        client = await pool.get()
        try:
            await self._transaction(client, sender, recipient, data)
        finally:
            pool.put_nowait(client)

    async def _transaction(
        self, client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> None:
        for attempt in (1, 2):
            if not client.is_connected:
                await self._connect(client)
            try:
                await client.sendmail(sender, [recipient], data)
                return
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0]
                raise SendError(
                    f"{refused.code} {refused.message}",
                    permanent=is_permanent(refused.code),
                    code=refused.code,
                ) from exc
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code == 421 or not client.is_connected:
                    client.close()
                raise SendError(
                    f"{exc.code} {exc.message}", permanent=is_permanent(exc.code), code=exc.code
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                # Disconnected or timed out before the server said yes: once more, freshly.
                client.close()
                if attempt == 2:
                    raise SendError(f"connection lost: {exc}") from exc
            except (ValueError, UnicodeError) as exc:
                raise SendError(f"cannot send to {recipient!r}: {exc}", permanent=True) from exc

    async def close(self) -> None:
        for client in self._clients:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        self._clients = []
        self._idle = None
