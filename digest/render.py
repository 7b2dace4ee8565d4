"""Rendering e-mails from templates: subject, plain text and HTML with inlined CSS.

Templates follow one folder per message under templates/email/ (subject.txt, body.txt,
body.html), each body extending templates/email/_base/. `render_email` renders any of them
(the web app can use it for its confirmation mail); `render_digest` renders a digest.
CSS is inlined with css-inline, which never fetches anything remote here; media queries stay in
a <style> element for the clients that read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digest.links import SubscriberLinks
from digest.model import Digest
from digest.view import digest_view
from locales import translations

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Gmail clips messages above about 102 KB; a digest that would be larger is rendered compact.
HTML_LIMIT = 100_000

_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


class RenderError(Exception):
    """A template could not be rendered (names the message and the cause)."""


@dataclass(frozen=True, slots=True)
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
        auto_reload=False,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    return env


def render_email(name: str, language: str, context: Mapping[str, Any]) -> Rendered:
    """Render templates/email/<name>/{subject.txt,body.txt,body.html} in `language`."""
    env = environment(language)
    values = {"language": language, **context}
    try:
        subject = env.get_template(f"email/{name}/subject.txt").render(values)
        text = env.get_template(f"email/{name}/body.txt").render(values)
        html = env.get_template(f"email/{name}/body.html").render(values)
        html = _inliner.inline(html)
    except Exception as exc:
        raise RenderError(f"cannot render e-mail {name!r} in {language!r}: {exc}") from exc
    return Rendered(
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html,
        language=language,
    )


def render_digest(
    digest: Digest, *, links: SubscriberLinks, base_url: str, window_days: int = 14
) -> Rendered:
    language = digest.preferences.language
    context = {
        "digest": digest_view(digest, base_url, window_days),
        "links": links,
        "prefs": digest.preferences,
    }
    rendered = render_email("digest", language, context)
    if len(rendered.html.encode()) > HTML_LIMIT:
        context["digest"] = digest_view(digest, base_url, window_days, compact=True)
        rendered = render_email("digest", language, context)
    return rendered
