"""Rendering a digest into subject, text and HTML in the subscriber's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digest.model import Digest
from locales import translations

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]

    def local(value: datetime, zone: str) -> datetime:
        return value.astimezone(ZoneInfo(zone))

    env.filters["day"] = lambda value, zone: format_date(
        local(value, zone), format="full", locale=language
    )
    env.filters["clock"] = lambda value, zone: format_time(
        local(value, zone), format="short", locale=language
    )
    return env


def render_digest(digest: Digest, *, links: dict[str, str]) -> Rendered:
    language = digest.preferences.language
    env = environment(language)
    context = {
        "digest": digest,
        "prefs": digest.preferences,
        "language": language,
        "zone": digest.preferences.timezone,
        "links": links,
    }
    subject = env.get_template("email/digest/subject.txt").render(context).strip()
    return Rendered(
        subject=" ".join(subject.split()),
        text=env.get_template("email/digest/body.txt").render(context),
        html=env.get_template("email/digest/body.html").render(context),
        language=language,
    )
