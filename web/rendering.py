"""Jinja2 pages in the reader's language: one environment per language, made at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from locales import translations
from web import formatting, i18n
from web.source_forms import SELECTOR_FIELDS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def sanitise_html(html: str) -> Markup:
    """Scraped HTML, cleaned again on the way out (nh3 cleaned it at extraction too)."""
    return Markup(nh3.clean(html or "", link_rel="nofollow noopener noreferrer"))  # noqa: S704 - nh3 output


def make_environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        language=language,
        languages=i18n.LANGUAGES,
        language_native=i18n.LANGUAGE_NATIVE,
        category_labels=i18n.CATEGORY_LABELS,
        language_labels=i18n.LANGUAGE_LABELS,
        status_labels=i18n.STATUS_LABELS,
        weekday_labels=i18n.WEEKDAY_LABELS,
        subscriber_status_labels=i18n.SUBSCRIBER_STATUS_LABELS,
        health_labels=i18n.HEALTH_LABELS,
        run_status_labels=i18n.RUN_STATUS_LABELS,
        delivery_status_labels=i18n.DELIVERY_STATUS_LABELS,
        selector_fields=SELECTOR_FIELDS,
        is_online=formatting.is_online,
    )
    env.filters["safe_html"] = sanitise_html
    env.filters["http_url"] = formatting.http_url
    env.filters["day"] = lambda value, zone, form="full": formatting.day(
        value, zone, language, form
    )
    env.filters["iso_moment"] = lambda text, zone: formatting.iso_moment(text, zone, language)
    env.filters["day_month"] = lambda value: formatting.day_month(value, language)
    env.filters["moment"] = lambda value, zone: formatting.moment(value, zone, language)
    env.filters["when"] = lambda event, zone: formatting.when(
        event.start_at, event.end_at, event.all_day, event.timezone, zone, language
    )
    env.filters["title_in"] = lambda event: (event.titles or {}).get(language) or event.title
    return env


class Renderer:
    """Renders templates/web pages; holds one environment per language."""

    def __init__(self, default_language: str) -> None:
        self.default_language = default_language
        self.environments = {code: make_environment(code) for code in i18n.LANGUAGES}

    def language(self, request: Request, preferred: str | None = None) -> str:
        return i18n.negotiate(
            request.query_params.get("lang"),
            request.cookies.get(i18n.LANG_COOKIE),
            request.headers.get("accept-language"),
            self.default_language,
            preferred,
        )

    def gettext(self, language: str, message: str) -> str:
        return translations(language).gettext(message)

    def render(self, name: str, language: str, context: Mapping[str, Any]) -> str:
        return self.environments[language].get_template(name).render(context)

    def page(
        self,
        request: Request,
        name: str,
        language: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        full = {
            "request": request,
            "switch_url": lambda code: switch_url(request, code),
            "csrf_token": request.scope.get("vahti.csrf", ""),
            **(context or {}),
        }
        response = HTMLResponse(self.render(name, language, full), status_code=status_code)
        chosen = request.query_params.get("lang")
        if chosen in i18n.LANGUAGES and request.cookies.get(i18n.LANG_COOKIE) != chosen:
            response.set_cookie(
                i18n.LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax", httponly=True
            )
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Accept-Language, Cookie"
        return response


def switch_url(request: Request, language: str) -> str:
    """The current page in another language (other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{request.url.path}?{urlencode(params)}"
