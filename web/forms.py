"""Reading the subscribe and preferences forms (pure: form values in, preferences or errors out)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.subscribers import BadAddress, PreferenceValues, check_address
from store import vocab
from web.i18n import N_

MAX_LIST = 10
MAX_WORD = 60
HONEYPOT = "website"


# Form fields as plain values: each name with its submitted strings (files are not taken).
FormValues = Mapping[str, Sequence[str]]


def form_values(form: Any) -> dict[str, list[str]]:
    """A multi-dict (Starlette's FormData) as plain lists of strings."""
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


@dataclass
class FormResult:
    values: PreferenceValues
    email: str = ""
    # (field name, msgid) pairs; empty when the form is good.
    errors: list[tuple[str, str]] = field(default_factory=list)
    honeypot_filled: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(form: FormValues, name: str) -> str:
    values = form.get(name) or ()
    return values[-1] if values else ""


def _strings(form: FormValues, name: str) -> list[str]:
    return list(form.get(name) or ())


def _split_words(text: str) -> list[str]:
    return list(dict.fromkeys(w.strip() for w in re.split(r"[,;\n]", text) if w.strip()))


def _closed(values: Sequence[str], allowed: Sequence[str]) -> tuple[list[str], bool]:
    chosen = list(dict.fromkeys(v for v in values if v))
    return [v for v in chosen if v in allowed], all(v in allowed for v in chosen)


def read_preferences(form: FormValues, *, default_language: str, with_email: bool) -> FormResult:
    errors: list[tuple[str, str]] = []
    language = _text(form, "language") or default_language
    if language not in vocab.LANGUAGES:
        errors.append(("language", N_("Choose a language from the list.")))
        language = default_language
    categories, ok = _closed(_strings(form, "categories"), vocab.CATEGORIES)
    if not ok:
        errors.append(("categories", N_("Choose categories from the list.")))
    event_languages, ok = _closed(_strings(form, "event_languages"), vocab.EVENT_LANGUAGES)
    if not ok:
        errors.append(("event_languages", N_("Choose languages from the list.")))
    cities = _split_words(_text(form, "cities"))
    keywords = _split_words(_text(form, "keywords"))
    for name, words in (("cities", cities), ("keywords", keywords)):
        if len(words) > MAX_LIST or any(len(w) > MAX_WORD for w in words):
            errors.append((name, N_("At most 10 entries of at most 60 characters each.")))
    day = _text(form, "day") or "mon"
    if day not in vocab.WEEKDAYS:
        errors.append(("day", N_("Choose a day from the list.")))
        day = "mon"
    hour_text = _text(form, "hour") or "8"
    hour = int(hour_text) if hour_text.isdigit() else -1
    if not 0 <= hour <= 23:
        errors.append(("hour", N_("Choose an hour from 0 to 23.")))
        hour = 8
    values = PreferenceValues(
        language=language,
        categories=categories,
        keywords=keywords[:MAX_LIST],
        cities=cities[:MAX_LIST],
        include_online=_text(form, "online") in ("on", "true", "1", "yes"),
        event_languages=event_languages,
        send_day=day,
        send_hour=hour,
    )
    email = ""
    if with_email:
        try:
            email = check_address(_text(form, "email"))
        except BadAddress:
            errors.append(("email", N_("Enter an e-mail address such as name@example.fi.")))
    return FormResult(
        values=values,
        email=email,
        errors=errors,
        honeypot_filled=bool(_text(form, HONEYPOT).strip()),
    )
