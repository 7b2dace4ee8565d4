"""Reading the admin's source forms (pure: form values in, config or a named error out).

A css source's selectors come as one field per selector plus "other options" as JSON; they
are checked exactly as the crawler checks them (`scrapers.extractors.css.check_config`), so
the error names the key ("css config 'title': '//h2[' is not a valid selector").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapers.extractors.base import ExtractError
from scrapers.extractors.css import check_config

# The selectors that get a field of their own; every other key goes in the options JSON.
SELECTOR_FIELDS: tuple[str, ...] = (
    "item",
    "title",
    "date",
    "time",
    "end_date",
    "location",
    "link",
    "description",
    "next_page",
)
MAX_SELECTOR = 500
MAX_OPTIONS = 4000
MAX_CONFIG = 8000
OPTIONS_FIELD = "options"
_KEY_IN_MESSAGE = re.compile(r"'([a-z_]+)'")


class ConfigError(ValueError):
    """A bad config; `key` names the field at fault (a selector, or "options")."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class CssForm:
    """The selector fields as shown in the form."""

    selectors: dict[str, str]
    options: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CssForm:
        selectors = {
            key: str(config[key])
            for key in SELECTOR_FIELDS
            if isinstance(config.get(key), str) and config.get(key)
        }
        rest = {key: value for key, value in config.items() if key not in selectors}
        options = json.dumps(rest, ensure_ascii=False, indent=1) if rest else ""
        return cls(selectors, options)


def read_css_form(values: Mapping[str, str]) -> tuple[CssForm, dict[str, Any]]:
    """The form as shown again, and the checked config; ConfigError names the bad key."""
    selectors = {key: values.get(f"css_{key}", "").strip() for key in SELECTOR_FIELDS}
    form = CssForm({k: v for k, v in selectors.items() if v}, values.get("css_options", ""))
    for key, value in form.selectors.items():
        if len(value) > MAX_SELECTOR:
            raise ConfigError(key, f"css config {key!r}: at most {MAX_SELECTOR} characters")
    config: dict[str, Any] = {}
    options_text = form.options.strip()
    if len(options_text) > MAX_OPTIONS:
        raise ConfigError(OPTIONS_FIELD, f"other options: at most {MAX_OPTIONS} characters")
    if options_text:
        try:
            options = json.loads(options_text)
        except ValueError as exc:
            raise ConfigError(OPTIONS_FIELD, f"other options are not JSON: {exc}") from None
        if not isinstance(options, dict):
            raise ConfigError(OPTIONS_FIELD, "other options must be a JSON object {...}")
        config.update(options)
    config.update(form.selectors)
    check_css_config(config)
    return form, config


def check_css_config(config: Mapping[str, Any]) -> None:
    """The crawler's own check; ConfigError carries the key its message names."""
    try:
        check_config(config)
    except ExtractError as exc:
        message = str(exc)
        found = _KEY_IN_MESSAGE.search(message)
        key = found.group(1) if found else OPTIONS_FIELD
        raise ConfigError(key if key in SELECTOR_FIELDS else OPTIONS_FIELD, message) from None


def read_config_json(text: str) -> dict[str, Any]:
    """A stored config carried through the preview page as JSON (an object, size-limited)."""
    if not text.strip():
        return {}
    if len(text) > MAX_CONFIG:
        raise ConfigError(OPTIONS_FIELD, f"the config is longer than {MAX_CONFIG} characters")
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise ConfigError(OPTIONS_FIELD, f"the config is not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(OPTIONS_FIELD, "the config must be a JSON object")
    return config
