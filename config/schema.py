"""The typed settings: one model per section of settings.toml, and the whole (Settings).

Plain values only: nothing here reads a file or the environment (config.loader does that, for
the shell). The parts below the shell take the sections they need as arguments.

Every key here must be documented in the repository's settings.toml (a test checks it).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Language = Literal["fi", "sv", "en"]
_ALL_LANGUAGES: tuple[Language, ...] = ("fi", "sv", "en")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    secret_keys: ClassVar[tuple[str, ...]] = ()


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Helsinki)"
        ) from exc
    return value


class DatabaseSettings(Section):
    url: str = "sqlite:///var/vahti.db"
    busy_timeout_ms: int = Field(default=10_000, ge=0)
    echo: bool = False


class CrawlSettings(Section):
    # The Scrapyd nodes' login: environment only (VAHTI_CRAWL__SCRAPYD_USERNAME, ..._PASSWORD).
    secret_keys: ClassVar[tuple[str, ...]] = ("scrapyd_username", "scrapyd_password")

    allow_private_networks: bool = False
    trusted_hosts: list[str] = Field(default_factory=list)
    max_parallel: int = Field(default=2, ge=1, le=64)
    default_interval_hours: float = Field(default=24.0, gt=0)
    time_limit_seconds: int = Field(default=600, ge=5)
    user_agent: str = "Tapahtumavahti/0.1 (+{contact_url})"
    contact_url: str = "https://tapahtumavahti.fi/bot"
    obey_robots: bool = True
    autothrottle: bool = True
    download_delay: float = Field(default=1.0, ge=0)
    concurrency_per_domain: int = Field(default=2, ge=1)
    download_timeout: int = Field(default=30, ge=1)
    max_response_mb: float = Field(default=10.0, gt=0)
    retries: int = Field(default=2, ge=0)
    retry_backoff_seconds: float = Field(default=2.0, ge=0)
    conditional_requests: bool = True
    full_fetch_days: float = Field(default=7.0, gt=0)
    max_detail_pages: int = Field(default=200, ge=0)
    max_pages: int = Field(default=50, ge=1)
    horizon_days: int = Field(default=365, ge=1)
    default_timezone: str = "Europe/Helsinki"
    languages: list[Language] = Field(default_factory=lambda: list(_ALL_LANGUAGES))
    # Where crawls run: "local" (a child process of the asking process) or "scrapyd" (a job
    # on the least busy of the Scrapyd nodes in scrapyd_urls; docs/crawling.md).
    backend: Literal["local", "scrapyd"] = "local"
    scrapyd_urls: list[str] = Field(default_factory=list)
    scrapyd_username: str = ""
    scrapyd_password: SecretStr = SecretStr("")
    scrapyd_poll_seconds: float = Field(default=2.0, gt=0)
    scrapyd_lost_seconds: float = Field(default=30.0, gt=0)

    _tz = field_validator("default_timezone")(_check_timezone)

    @field_validator("scrapyd_urls")
    @classmethod
    def _node_urls(cls, value: list[str]) -> list[str]:
        urls = [item.strip().rstrip("/") for item in value]
        for url in urls:
            if not url.startswith(("http://", "https://")) or "@" in url:
                raise ValueError(
                    f"{url!r} is not a Scrapyd node URL (http://host:port, no user or password "
                    "in it: those come from VAHTI_CRAWL__SCRAPYD_USERNAME and ..._PASSWORD)"
                )
        if len(set(urls)) != len(urls):
            raise ValueError("a node is listed twice")
        return urls

    @model_validator(mode="after")
    def _nodes_for_scrapyd(self) -> CrawlSettings:
        if self.backend == "scrapyd" and not self.scrapyd_urls:
            raise ValueError(
                'backend "scrapyd" needs at least one node in scrapyd_urls, e.g. '
                "VAHTI_CRAWL__SCRAPYD_URLS='[\"http://127.0.0.1:6800\"]'"
            )
        return self

    def for_nodes(self) -> CrawlSettings:
        """The section as a Scrapyd job carries it: without the nodes' login."""
        return self.model_copy(update={"scrapyd_username": "", "scrapyd_password": SecretStr("")})


class MailSettings(Section):
    secret_keys: ClassVar[tuple[str, ...]] = ("password",)

    backend: Literal["file", "smtp"] = "file"
    outbox_dir: Path = Path("var/outbox")
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str = ""
    password: SecretStr = SecretStr("")
    from_address: str = "Tapahtumavahti <digest@tapahtumavahti.fi>"
    message_id_domain: str = "tapahtumavahti.fi"
    connections: int = Field(default=4, ge=1, le=64)
    rate_limit: float = Field(default=0.0, ge=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_backoff_seconds: float = Field(default=10.0, ge=0)
    claim_timeout_seconds: float = Field(default=600.0, gt=0)
    timeout_seconds: float = Field(default=30.0, gt=0)


class WebSettings(Section):
    secret_keys: ClassVar[tuple[str, ...]] = ("secret_key", "admin_password")

    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    secret_key: SecretStr = SecretStr("")
    admin_password: SecretStr = SecretStr("")
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: list[str] = Field(default_factory=list)
    admin_session_hours: float = Field(default=8.0, gt=0)
    login_attempts: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    confirm_link_hours: int = Field(default=72, ge=1)
    signup_resend_minutes: int = Field(default=60, ge=1)
    signup_client_mails_per_hour: int = Field(default=10, ge=1)
    signup_mails_per_hour: int = Field(default=300, ge=1)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_only(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return [item.strip() for item in value]

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class DigestSettings(Section):
    # The zone the digests are planned and written in, and only that (sources get theirs from
    # crawl.default_timezone).
    timezone: str = "Europe/Helsinki"
    default_language: Language = "fi"
    default_day: Weekday = "mon"
    default_hour: int = Field(default=8, ge=0, le=23)
    window_days: int = Field(default=14, ge=1)
    deadline_days: int = Field(default=21, ge=1)
    max_items: int = Field(default=15, ge=1, le=200)
    send_empty: bool = False
    # "cores": one per core of the machine (digest.compose resolves it), or a number; 0
    # composes in the sending process.
    compose_processes: Annotated[int, Field(ge=0, le=16)] | Literal["cores"] = "cores"

    _tz = field_validator("timezone")(_check_timezone)


class DedupeSettings(Section):
    past_days: int = Field(default=30, ge=0)


class SchedulerSettings(Section):
    """`vahti run` (the daemon) and `vahti worker`; see docs/operations.md."""

    lease_ttl_seconds: float = Field(default=30.0, gt=0)
    lease_renew_seconds: float = Field(default=10.0, gt=0)
    source_sync_seconds: float = Field(default=60.0, gt=0)
    crawl_jitter_seconds: float = Field(default=120.0, ge=0)
    crawl_request_seconds: float = Field(default=2.0, gt=0)
    digest_tick_seconds: float = Field(default=60.0, gt=0)
    send_digests: bool = True
    worker_poll_seconds: float = Field(default=10.0, gt=0)
    cleanup_hours: float = Field(default=24.0, gt=0)
    keep_crawl_runs_days: int = Field(default=90, ge=1)
    keep_past_events_days: int = Field(default=180, ge=1)
    unconfirmed_days: int = Field(default=7, ge=1)
    stop_timeout_seconds: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _renew_well_within_the_lease(self) -> SchedulerSettings:
        if self.lease_renew_seconds * 2 > self.lease_ttl_seconds:
            raise ValueError(
                f"lease_renew_seconds ({self.lease_renew_seconds:g}) must be at most half of "
                f"lease_ttl_seconds ({self.lease_ttl_seconds:g}), or a slow renewal loses the "
                "lease"
            )
        return self


class DemoSettings(Section):
    sites_port: int = Field(default=8100, ge=0, le=65535)
    # The demo's own database and outbox: `vahti demo` never uses database.url or
    # mail.outbox_dir (an installation's real data) unless told so (--database, --outbox).
    database_url: str = "sqlite:///var/demo/vahti.db"
    outbox_dir: Path = Path("var/demo/outbox")


class Settings(BaseModel):
    """Every section; built by config.loader.load_settings (file and environment) or by hand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: DatabaseSettings = DatabaseSettings()
    crawl: CrawlSettings = CrawlSettings()
    mail: MailSettings = MailSettings()
    web: WebSettings = WebSettings()
    digest: DigestSettings = DigestSettings()
    dedupe: DedupeSettings = DedupeSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    demo: DemoSettings = DemoSettings()


def sections() -> dict[str, type[Section]]:
    """The settings sections by name, as they appear in settings.toml."""
    result: dict[str, type[Section]] = {}
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            result[name] = annotation
    return result


def documented_keys() -> list[str]:
    """Every ``section.key`` the code knows, for the documentation test."""
    return [f"{name}.{key}" for name, section in sections().items() for key in section.model_fields]
