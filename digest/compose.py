"""From a subscriber and the pool to a digest, a rendering and a message (no database here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Any

from config import DigestSettings, MailSettings, WebSettings
from digest.links import subscriber_links
from digest.message import build_message
from digest.model import Digest, Preferences, SentItem
from digest.pool import EventPool
from digest.render import Rendered, render_digest
from digest.select import Selections, select_digest


@dataclass(frozen=True)
class DigestConfig:
    """Everything the digest code reads from the settings (plus the secret for links)."""

    base_url: str
    secret: bytes
    from_address: str
    message_id_domain: str
    window_days: int = 14
    deadline_days: int = 21
    send_empty: bool = False
    max_attempts: int = 5
    retry_backoff_seconds: float = 10.0
    claim_timeout_seconds: float = 600.0
    connections: int = 4
    batch_size: int = 100
    compose_processes: int = 0  # 0: compose in the sending process (see digest.batches)

    @classmethod
    def from_settings(
        cls, web: WebSettings, mail: MailSettings, digest: DigestSettings, secret: bytes
    ) -> DigestConfig:
        return cls(
            base_url=web.base_url,
            secret=secret,
            from_address=mail.from_address,
            message_id_domain=mail.message_id_domain,
            window_days=digest.window_days,
            deadline_days=digest.deadline_days,
            send_empty=digest.send_empty,
            max_attempts=mail.max_attempts,
            retry_backoff_seconds=mail.retry_backoff_seconds,
            claim_timeout_seconds=mail.claim_timeout_seconds,
            connections=mail.connections,
            compose_processes=compose_processes(digest.compose_processes),
        )

    @property
    def list_id(self) -> str:
        return f"Tapahtumavahti <digest.{self.message_id_domain}>"

    def retry_delay(self, attempts: int) -> float:
        """Seconds before try number `attempts + 1`: the backoff doubles each time (max 1 h)."""
        return min(self.retry_backoff_seconds * 2 ** max(attempts - 1, 0), 3600.0)


def compose_processes(setting: int | str) -> int:
    """`digest.compose_processes` as a count: "cores" is one per core (at most 16)."""
    if setting == "cores":
        return max(1, min(os.cpu_count() or 1, 16))
    return int(setting)


@dataclass(frozen=True)
class Composed:
    digest: Digest
    rendered: Rendered
    unsubscribe_url: str


def compose(
    row: Mapping[str, Any],
    pool: EventPool,
    sent: Mapping[int, SentItem],
    config: DigestConfig,
    now: datetime,
    selections: Selections | None = None,
) -> Composed:
    """Select and render the digest of one subscriber (a row with the Subscriber's columns,
    `id` and `token_version`); `selections`: the run's selections by group (digest.select),
    which must be of this `pool` and `now`."""
    prefs = Preferences.from_values(row)
    if selections is not None:
        digest = selections.select(prefs, sent)
    else:
        digest = select_digest(prefs, pool, sent, now)
    links = subscriber_links(config.base_url, config.secret, row["id"], row["token_version"])
    rendered, shown = render_digest(
        digest, links=links, base_url=config.base_url, window_days=config.window_days
    )
    return Composed(digest=shown, rendered=rendered, unsubscribe_url=links.unsubscribe)


def to_message(
    composed: Composed, *, email: str, message_id: str, date: datetime, config: DigestConfig
) -> Message:
    return build_message(
        composed.rendered,
        sender=config.from_address,
        recipient=email,
        message_id=message_id,
        date=date,
        list_id=config.list_id,
        unsubscribe_url=composed.unsubscribe_url,
    )
