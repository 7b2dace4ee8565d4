"""The SMTP backend: aiosmtplib clients kept open and reused, an optional rate limit.

aiosmtplib has no pool (its `send()` opens a connection per message), so the sender keeps
`mail.connections` clients, connects each on first use and reuses it. A connection that breaks
is closed and reopened for the next message; a message whose connection broke before the
server accepted it is tried once more at once on a fresh connection (servers close idle
connections), then reported as a transient failure.

A connection is reused only in a known state: after any failed transaction (a refused sender,
recipient or message, an address aiosmtplib would not put on the wire) it is reset (RSET), and
one that does not answer the RSET with 250, timed out, broke or was interrupted is closed (the
next message opens a new one). A MAIL left open would make the next message fail with
"503 nested MAIL command", charged to an innocent subscriber.

A failure is charged to the recipient only when it is theirs: a refusal of the recipient
(RCPT) or of their message (DATA), classified the RFC 5321 way: 4xx and 552 (mailbox full,
"treat as temporary") are transient, other 5xx permanent, except 503 (bad sequence of
commands: the connection's state, never the address). A refusal of our sender (MAIL), a reply
to anything else, a timeout or a lost connection is transient and never counts towards a
bounce. An address with non-ASCII characters goes with SMTPUTF8 when the server offers it;
when it does not, that recipient fails for good (the sender address: the run stops).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from email.message import Message

import aiosmtplib

from config import MailSettings
from digest.transports import SendError, checked_envelope


def is_permanent(code: int) -> bool:
    """A refusal of the recipient or of their message that trying again cannot help."""
    return 500 <= code < 600 and code not in (503, 552)


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
            if client.is_ehlo_or_helo_needed:  # the extensions the server offers
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise SendError(
                f"cannot use the SMTP server {self.host}:{self.port}: {exc}", unavailable=True
            ) from exc

    async def send(self, message: Message) -> None:
        sender, recipient = checked_envelope(message)
        data = message.as_bytes()
        await self._pace()
        pool = self._pool()
        client = await pool.get()
        try:
            await self._transaction(client, sender, recipient, data)
        except SendError:
            raise
        except BaseException:
            client.close()  # interrupted (cancelled) or a bug: the connection's state is unknown
            raise
        finally:
            pool.put_nowait(client)

    def _options(
        self, client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> list[str]:
        """MAIL parameters: SMTPUTF8 for a non-ASCII address (SendError when the server does
        not offer it), BODY=8BITMIME for 8-bit content when the server offers it."""
        options = []
        if not (sender.isascii() and recipient.isascii()):
            if not client.supports_extension("smtputf8"):
                reason = (
                    f"the SMTP server {self.host}:{self.port} does not offer SMTPUTF8, which an "
                    "address with non-ASCII characters needs"
                )
                if not sender.isascii():
                    raise SendError(
                        f"cannot send from {sender!r} (mail.from_address): {reason}",
                        unavailable=True,
                    )
                raise SendError(f"cannot send to {recipient!r}: {reason}", permanent=True)
            options.append("SMTPUTF8")
        if not data.isascii() and client.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
        return options

    async def _reset(self, client: aiosmtplib.SMTP, code: int | None = None) -> None:
        """After a failed transaction: RSET, or close a connection that does not answer it
        (or whose server said 421: closing)."""
        if not client.is_connected:
            return
        if code == 421:
            client.close()
            return
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def _transaction(
        self, client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> None:
        for attempt in (1, 2):
            if not client.is_connected:
                await self._connect(client)
            options = self._options(client, sender, recipient, data)
            try:
                await client.sendmail(sender, [recipient], data, mail_options=options)
                return
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0]
                await self._reset(client, refused.code)
                raise SendError(
                    f"{refused.code} {refused.message}",
                    permanent=is_permanent(refused.code),
                    code=refused.code,
                ) from exc
            except aiosmtplib.SMTPDataError as exc:
                await self._reset(client, exc.code)
                raise SendError(
                    f"{exc.code} {exc.message}", permanent=is_permanent(exc.code), code=exc.code
                ) from exc
            except aiosmtplib.SMTPSenderRefused as exc:  # our sender: never the recipient's
                await self._reset(client, exc.code)
                raise SendError(
                    f"the server refused the sender {sender!r}: {exc.code} {exc.message}",
                    code=exc.code,
                ) from exc
            except aiosmtplib.SMTPResponseException as exc:  # a reply to anything else
                await self._reset(client, exc.code)
                raise SendError(f"{exc.code} {exc.message}", code=exc.code) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                # Disconnected or timed out before the server said yes: once more, freshly.
                client.close()
                if attempt == 2:
                    raise SendError(f"connection lost: {exc}") from exc
            except (ValueError, UnicodeError) as exc:
                # aiosmtplib would not put an address on the wire (checked_envelope let it
                # through, so whose it is is not known): transient, never a bounce.
                await self._reset(client)
                raise SendError(f"cannot send to {recipient!r}: {exc}") from exc

    async def close(self) -> None:
        for client in self._clients:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        self._clients = []
        self._idle = None
