"""Sources, one door for every caller: add, change, test (a dry run), enable, disable, remove.

`vahti sources ...`, the admin pages and `vahti demo` call these functions with their own
session, so a value is accepted or refused in one place. A refused value raises
:class:`SourceError` naming the field; its `message` is an English sentence that is also a
msgid in locales/*/messages.po (the admin shows it translated and marks the field, the CLI
prints it as is), and its `detail` holds the words no catalog can know (the address guard's
reason, the selector error, the values allowed).

The checks: the URL (http, https or webcal; the crawler's address guard,
`scrapers.netguard.check_url`, under crawl.allow_private_networks and crawl.trusted_hosts),
the name, the kind, the config (a JSON object; for css the selectors compile, as the crawler
checks them), the time zone (known to zoneinfo), the hours between crawls (finite, 0.01-720),
the merge priority (a whole number, -1000-1000), the language and the categories (store.vocab).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrapers.bookkeeping import change_interval
from scrapers.detect import with_includes
from scrapers.extractors.base import ExtractError
from scrapers.extractors.css import check_config as check_css_config
from scrapers.netguard import RefusedURL, check_url
from scrapers.runner import dry_run_command
from store import vocab
from store.models import Source

MAX_URL = 2000
MAX_NAME = 200
MAX_CONFIG = 8000  # characters of the config as JSON
MIN_INTERVAL_HOURS = 0.01
MAX_INTERVAL_HOURS = 720.0
MAX_PRIORITY = 1000
URL_SCHEMES = ("http://", "https://", "webcal://")
CRAWL_KINDS = tuple(kind for kind in vocab.SOURCE_KINDS if kind != "auto")
# Written for `language`: no language of its own (the events' language is detected).
NO_LANGUAGE = ("", "none")
_KEY_IN_MESSAGE = re.compile(r"'([a-z_]+)'")


def N_(message: str) -> str:
    """Mark a msgid (translated where it is shown: the admin pages)."""
    return message


class SourceError(ValueError):
    """A value refused: `field` names it (a Source column, e.g. "interval_hours").

    `message` is a msgid in English, `detail` untranslated specifics, `value` the value
    refused (None when `detail` already shows it), `part` the config key at fault (a css
    selector such as "title"; "" when the config as a whole is)."""

    def __init__(
        self, field: str, message: str, *, value: Any = None, detail: str = "", part: str = ""
    ) -> None:
        super().__init__(f"{message} ({detail})" if detail else message)
        self.field, self.message, self.value = field, message, value
        self.detail, self.part = detail, part


class SourceNotFound(LookupError):
    """No source has this id."""

    def __init__(self, source_id: int) -> None:
        super().__init__(f"no source with id {source_id}")
        self.source_id = source_id


@dataclass(frozen=True)
class SourceRules:
    """What the settings decide for sources (crawl.* in settings.toml)."""

    allow_private_networks: bool = False
    trusted_hosts: tuple[str, ...] = ()
    default_interval_hours: float = 24.0
    default_timezone: str = "Europe/Helsinki"


@dataclass
class SourceSpec:
    """A source to add, as its caller has it (text or typed values; checked on add)."""

    url: str
    name: str | None = None
    kind: str = "auto"
    # A dict, or its JSON text (as --config and the admin's preview carry it).
    config: Mapping[str, Any] | str | None = None
    interval_hours: float | str | None = None  # None: rules.default_interval_hours
    priority: int | str = 0
    language: str | None = None
    languages: Iterable[str] = ()
    categories: Iterable[str] = ()
    timezone: str | None = None  # None: rules.default_timezone
    enabled: bool = True
    # What `auto` detection found (kept only for kind "auto"), and the URL to crawl when it
    # is not `url` (a linked feed; a Linked Events list asks for its places and keywords).
    detected_kind: str | None = None
    feed_url: str | None = None
    detected_reason: str | None = None


@dataclass
class Trial:
    """A dry run about to start: what to fetch and read, and the child that does it."""

    url: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)

    def command(self, *, timezone: str | None = None, time_limit: int | None = None) -> list[str]:
        """`python -m scrapers.crawl_child --dry-run ...` (scrapers.runner.dry_run_command)."""
        return dry_run_command(
            self.url, self.kind, self.config, timezone=timezone, time_limit=time_limit
        )


# --- the checks: each returns the value to store or raises SourceError naming the field ---


def check_source_url(url: str, rules: SourceRules, field: str = "url") -> str:
    """The URL to store (webcal:// read as https://), or SourceError."""
    url = url.strip()
    if not url:
        raise SourceError(field, N_("Enter the address of the organiser's page, feed or API."))
    if len(url) > MAX_URL:
        raise SourceError(field, N_("The address is longer than 2000 characters."))
    if not url.lower().startswith(URL_SCHEMES):
        raise SourceError(
            field,
            N_("This address cannot be added as a source."),
            detail=f"{url}: the address must start with http://, https:// or webcal://",
        )
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    try:
        check_url(
            url,
            allow_private=rules.allow_private_networks,
            trusted_hosts=rules.trusted_hosts,
        )
    except RefusedURL as exc:
        raise SourceError(
            field, N_("This address cannot be added as a source."), detail=str(exc)
        ) from None
    return url


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise SourceError("name", N_("The name cannot be empty."))
    if len(name) > MAX_NAME:
        raise SourceError("name", N_("The name is longer than 200 characters."))
    return name


def check_kind(kind: str, field: str = "kind") -> str:
    kind = kind.strip()
    if not vocab.is_source_kind(kind):
        raise SourceError(
            field,
            N_("This is not a source kind."),
            value=kind,
            detail=f"allowed: {', '.join(vocab.SOURCE_KINDS)}, spider:NAME",
        )
    return kind


def check_detected_kind(kind: str | None) -> str | None:
    """What auto-detection found: a kind a crawl can use, or None."""
    if kind is not None and kind not in CRAWL_KINDS:
        raise SourceError(
            "kind",
            N_("This is not a source kind."),
            value=kind,
            detail=f"allowed: {', '.join(CRAWL_KINDS)}",
        )
    return kind


def check_config(config: Mapping[str, Any] | str | None, kind: str) -> dict[str, Any]:
    """The kind's options as a dict ({} for none); a css config's selectors must compile."""
    if isinstance(config, str):
        config = _config_json(config)
    options = dict(config or {})
    try:
        size = len(json.dumps(options, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise SourceError(
            "config", N_("The options must be a JSON object."), detail=str(exc)
        ) from None
    if size > MAX_CONFIG:
        raise SourceError("config", N_("The options are longer than 8000 characters."))
    if kind == "css":
        try:
            check_css_config(options)
        except ExtractError as exc:
            message = str(exc)
            named = _KEY_IN_MESSAGE.search(message)
            raise SourceError(
                "config",
                N_("The selectors cannot be used."),
                detail=message,
                part=named.group(1) if named else "",
            ) from None
    return options


def _config_json(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    if len(text) > MAX_CONFIG:
        raise SourceError("config", N_("The options are longer than 8000 characters."))
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise SourceError(
            "config", N_("The options must be a JSON object."), detail=f"not JSON: {exc}"
        ) from None
    if not isinstance(parsed, dict):
        raise SourceError(
            "config", N_("The options must be a JSON object."), detail=f"got {text[:100]}"
        )
    return parsed


def check_timezone(zone: str) -> str:
    zone = zone.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SourceError(
            "timezone", N_("This time zone is not known (e.g. Europe/Helsinki)."), value=zone
        ) from None
    return zone


def check_interval(hours: float | str) -> float:
    """Hours between crawls: a finite number from 0.01 to 720 ("1,5" reads as 1.5)."""
    try:
        value = float(hours.strip().replace(",", ".") if isinstance(hours, str) else hours)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and MIN_INTERVAL_HOURS <= value <= MAX_INTERVAL_HOURS):
        raise SourceError(
            "interval_hours",
            N_("Hours between crawls must be a number from 0.01 to 720."),
            value=hours,
        )
    return value


def check_priority(priority: int | str) -> int:
    """The merge priority: a whole number from -1000 to 1000 ("" reads as 0)."""
    try:
        if isinstance(priority, str):
            value = int(priority.strip() or "0")
        elif isinstance(priority, int) and not isinstance(priority, bool):
            value = priority
        else:
            raise ValueError(priority)
    except ValueError:
        value = MAX_PRIORITY + 1
    if abs(value) > MAX_PRIORITY:
        raise SourceError(
            "priority",
            N_("The priority must be a whole number from -1000 to 1000."),
            value=priority,
        )
    return value


def check_language(language: str | None) -> str | None:
    """A default event language, or None ("" and "none" clear it)."""
    if language is None or language.strip() in NO_LANGUAGE:
        return None
    if language not in vocab.LANGUAGES:
        raise SourceError(
            "language", N_("Choose fi, sv, en or none as the language."), value=language
        )
    return language


def check_languages(languages: Iterable[str]) -> list[str]:
    found = list(languages)
    for language in found:
        if language not in vocab.LANGUAGES:
            raise SourceError(
                "languages", N_("Choose fi, sv, en or none as the language."), value=language
            )
    return found


def check_categories(categories: Iterable[str]) -> list[str]:
    found = list(categories)
    for category in found:
        if category not in vocab.CATEGORIES:
            raise SourceError(
                "categories",
                N_("This is not a category."),
                value=category,
                detail=f"allowed: {', '.join(vocab.CATEGORIES)}",
            )
    return found


def check_spec(spec: SourceSpec, rules: SourceRules) -> dict[str, Any]:
    """The Source columns for `spec`, every value checked; SourceError names the first bad one.

    Cheap checks come first; the URL (which may ask DNS) last but one, the config last."""
    kind = check_kind(spec.kind)
    detected_kind = check_detected_kind(spec.detected_kind) if kind == "auto" else None
    values: dict[str, Any] = {
        "kind": kind,
        "name": None if spec.name is None else check_name(spec.name),
        "interval_hours": check_interval(
            rules.default_interval_hours if spec.interval_hours is None else spec.interval_hours
        ),
        "priority": check_priority(spec.priority),
        "language": check_language(spec.language),
        "languages": check_languages(spec.languages),
        "categories": check_categories(spec.categories),
        "timezone": check_timezone(spec.timezone or rules.default_timezone),
        "enabled": bool(spec.enabled),
        "detected_kind": detected_kind,
        "detected_reason": spec.detected_reason if detected_kind else None,
    }
    url = check_source_url(spec.url, rules)
    feed_url = spec.feed_url
    if feed_url is not None and feed_url != url:
        feed_url = check_source_url(feed_url, rules)
    if feed_url is None and kind == "linkedevents":
        feed_url = with_includes(url)
    values["url"] = url
    values["name"] = values["name"] or url
    values["feed_url"] = feed_url if feed_url != url else None
    values["config"] = check_config(spec.config, detected_kind or kind)
    return values


# --- the operations ---


def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise SourceNotFound(source_id)
    return source


DUPLICATE_URL = N_("This address is already a source")


def check_not_a_source(session: Session, url: str) -> None:
    """SourceError when a source has this (checked) URL already: one line naming it."""
    bare = url.rstrip("/")
    same = session.scalars(
        select(Source).where(Source.url.in_({url, bare, bare + "/"})).order_by(Source.id).limit(1)
    ).first()
    if same is not None:
        raise SourceError("url", DUPLICATE_URL, value=url, detail=f"source {same.id}: {same.name}")


def add_source(
    session: Session, spec: SourceSpec, rules: SourceRules, now: datetime, *, force: bool = False
) -> Source:
    """Check `spec` and add the source (flushed: it has its id), due for a crawl at `now`.
    A URL that is a source already is refused unless `force`."""
    checked = check_spec(spec, rules)
    if not force:
        check_not_a_source(session, checked["url"])
    source = Source(**checked, next_crawl_at=now)
    session.add(source)
    session.flush()
    return source


# The fields `change_source` takes, each with its check; kind and config are checked together.
_CHANGE_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": check_name,
    "priority": check_priority,
    "language": check_language,
    "languages": check_languages,
    "categories": check_categories,
    "timezone": check_timezone,
}
CHANGEABLE = (*_CHANGE_CHECKS, "url", "kind", "config", "interval_hours")


def check_changes(changes: Mapping[str, Any], rules: SourceRules) -> dict[str, Any]:
    """The checked values of `changes` (a css config's selectors are checked against the
    source's kind in change_source); SourceError names the first bad one."""
    unknown = [key for key in changes if key not in CHANGEABLE]
    if unknown:
        raise ValueError(f"cannot change {', '.join(unknown)}; only {', '.join(CHANGEABLE)}")
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _CHANGE_CHECKS:
            checked[key] = _CHANGE_CHECKS[key](value)
        elif key == "interval_hours":
            checked[key] = check_interval(value)
        elif key == "kind":
            checked[key] = check_kind(value)
    if "config" in changes:  # its shape here; for css its selectors in change_source
        checked["config"] = check_config(changes["config"], kind="")
    if "url" in changes:
        checked["url"] = check_source_url(changes["url"], rules)
    return checked


def change_source(
    session: Session,
    source_id: int,
    changes: Mapping[str, Any],
    rules: SourceRules,
    now: datetime,
) -> tuple[Source, list[str]]:
    """Change a source's settings (the fields in CHANGEABLE); the fields really changed.

    The values are checked before the source is looked up; the config against the kind the
    source will have. A new interval moves the next crawl at once
    (scrapers.bookkeeping.change_interval). A kind given (even the same one) or a new URL
    drops what auto-detection found (a Linked Events list gets its includes again) and makes
    the source due at `now`. Nothing is changed when any value is refused."""
    checked = check_changes(changes, rules)
    source = get_source(session, source_id)
    if "config" in checked or "kind" in checked:
        kind = checked.get("kind", source.crawl_kind)
        checked["config"] = check_config(checked.get("config", source.config), kind)
    changed: list[str] = []
    interval = checked.pop("interval_hours", None)
    rerouted = "kind" in checked or ("url" in checked and checked["url"] != source.url)
    for key, value in checked.items():
        if getattr(source, key) != value:
            setattr(source, key, value)
            changed.append(key)
    if interval is not None and change_interval(source, interval):
        changed.append("interval_hours")
    if rerouted:
        source.detected_kind = source.detected_reason = None
        linked = with_includes(source.url) if source.kind == "linkedevents" else source.url
        source.feed_url = linked if linked != source.url else None
        source.next_crawl_at = now
    return source, changed


def enable_source(session: Session, source_id: int, now: datetime) -> Source:
    """Crawl the source again, first at `now`."""
    source = get_source(session, source_id)
    source.enabled = True
    source.next_crawl_at = now
    return source


def disable_source(session: Session, source_id: int) -> Source:
    """Stop crawling the source (its listings stay)."""
    source = get_source(session, source_id)
    source.enabled = False
    return source


def remove_source(session: Session, source_id: int) -> None:
    """Delete the source with its runs and listings."""
    session.delete(get_source(session, source_id))
    session.flush()


def plan_trial(
    url: str, kind: str, config: Mapping[str, Any] | str | None, rules: SourceRules
) -> Trial:
    """A dry run of `url` read as `kind` (not "auto": detect first), checked as an add is;
    a Linked Events list asks for its places and keywords."""
    url = check_source_url(url, rules)
    kind = check_kind(kind)
    if kind == "auto":
        raise ValueError("a trial needs a kind: detect it first")
    options = check_config(config, kind)
    return Trial(with_includes(url) if kind == "linkedevents" else url, kind, options)
