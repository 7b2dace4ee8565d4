"""The web app's configuration: plain values the shell builds from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapers.handoff import ChildSettings


@dataclass(frozen=True)
class WebConfig:
    """Everything the app reads from the settings, read once at start-up."""

    base_url: str
    secret_key: bytes
    # The admin password, or its argon2 hash ("$argon2id$..."); empty keeps /admin closed.
    admin_password: str = ""
    allow_private_networks: bool = False
    trusted_hosts: tuple[str, ...] = ()
    # The zone pages and feeds show times in (digest.timezone).
    timezone: str = "Europe/Helsinki"
    # The zone of sources added from the admin, for times given without one
    # (crawl.default_timezone, as for sources added from the CLI).
    source_timezone: str = "Europe/Helsinki"
    default_language: str = "fi"
    default_day: str = "mon"
    default_hour: int = 8
    max_items: int = 15
    from_address: str = "Tapahtumavahti <digest@tapahtumavahti.fi>"
    message_id_domain: str = "tapahtumavahti.fi"
    default_interval_hours: float = 24.0
    # Most entries in one feed, and events on one page of the list.
    feed_limit: int = 200
    page_size: int = 25
    # A confirmation link works this long; a new one is sent at most this often per address.
    confirm_valid_hours: int = 72
    confirm_resend_minutes: int = 60
    # Sign-up mails one client may cause per hour, and sign-up mails per hour in all.
    signup_client_mails_per_hour: int = 10
    signup_mails_per_hour: int = 300
    # Failed admin logins allowed per client address in the window before 429 answers.
    login_attempts: int = 5
    login_window_minutes: int = 15
    # An admin session ends after this many idle hours (and at logout or a password change).
    admin_session_hours: float = 8.0
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()
    # For the crawls and probes the admin pages start in child processes: the settings handed
    # to them on stdin (the crawl section, and the database for stored crawls; without one a
    # crawl fails with a clear message), crawl.time_limit_seconds, crawl.max_parallel and
    # dedupe.past_days.
    child_settings: ChildSettings = field(default_factory=ChildSettings)
    crawl_time_limit: int = 600
    crawl_max_parallel: int = 2
    dedupe_past_days: int = 30

    @property
    def https(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def admin_enabled(self) -> bool:
        return bool(self.admin_password)
