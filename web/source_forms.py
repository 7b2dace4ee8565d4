"""Reading the admin's source forms (pure: form values in, config or a named error out).

A css source's selectors come as one field per selector plus "other options" as JSON; the
config they make is checked by the source service (`services.sources.check_config`, which
runs the crawler's own check), and a refusal is a `SourceError` whose `part` names the form
field at fault ("css config 'title': '//h2[' is not a valid selector" marks the title).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.sources import N_, SourceError, check_config

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
OPTIONS_FIELD = "options"
SELECTORS_REFUSED = N_("The selectors cannot be used.")


def form_field(error: SourceError) -> str:
    """The field of the admin's forms to mark for a refusal (a selector, "options", "url"...)."""
    if error.field == "config":
        return error.part if error.part in SELECTOR_FIELDS else OPTIONS_FIELD
    return error.field


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


def _refused(key: str, detail: str) -> SourceError:
    return SourceError("config", SELECTORS_REFUSED, detail=detail, part=key)


def read_css_form(values: Mapping[str, str]) -> tuple[CssForm, dict[str, Any]]:
    """The form as shown again, and the checked config; SourceError names the bad key."""
    selectors = {key: values.get(f"css_{key}", "").strip() for key in SELECTOR_FIELDS}
    form = CssForm({k: v for k, v in selectors.items() if v}, values.get("css_options", ""))
    for key, value in form.selectors.items():
        if len(value) > MAX_SELECTOR:
            raise _refused(key, f"css config {key!r}: at most {MAX_SELECTOR} characters")
    config: dict[str, Any] = {}
    options_text = form.options.strip()
    if len(options_text) > MAX_OPTIONS:
        raise _refused(OPTIONS_FIELD, f"other options: at most {MAX_OPTIONS} characters")
    if options_text:
        try:
            options = json.loads(options_text)
        except ValueError as exc:
            raise _refused(OPTIONS_FIELD, f"other options are not JSON: {exc}") from None
        if not isinstance(options, dict):
            raise _refused(OPTIONS_FIELD, "other options must be a JSON object {...}")
        config.update(options)
    config.update(form.selectors)
    return form, check_config(config, "css")
