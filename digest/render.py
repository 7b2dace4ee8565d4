"""Rendering e-mails from templates: subject, plain text and HTML with inlined CSS.

Templates follow one folder per message under templates/email/ (subject.txt, body.txt,
body.html), each body extending templates/email/_base/. `render_email` renders any of them
(the web app can use it for its confirmation mail); `render_digest` renders a digest.
CSS is inlined with css-inline, which never fetches anything remote here; media queries stay in
a <style> element for the clients that read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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
) -> tuple[Rendered, Digest]:
    """The rendered digest, and the digest as shown (the same unless it had to be cut).

    A digest whose HTML would pass HTML_LIMIT is rendered compact (no excerpts, no "also
    listed at"); if that is still too large, the lowest-ranked items are left out and the mail
    says how many more matched (they stay unsent: a later digest may carry them).
    """
    language = digest.preferences.language

    def attempt(shown: Digest, compact: bool) -> Rendered:
        view = digest_view(shown, base_url, window_days, compact=compact)
        view = replace(view, more=len(digest.items) - len(shown.items))
        context = {"digest": view, "links": links, "prefs": digest.preferences}
        return render_email("digest", language, context)

    rendered = attempt(digest, compact=False)
    if _size(rendered) <= HTML_LIMIT:
        return rendered, digest
    rendered = attempt(digest, compact=True)
    shown = digest
    while _size(rendered) > HTML_LIMIT and len(shown.items) > 1:
        keep = max(1, int(len(shown.items) * HTML_LIMIT * 0.9 / _size(rendered)))
        keep = min(keep, len(shown.items) - 1)
        shown = replace(shown, items=shown.items[:keep])
        rendered = attempt(shown, compact=True)
    return rendered, shown


def _size(rendered: Rendered) -> int:
    return len(rendered.html.encode())
