"""Rendering e-mails from templates: subject, plain text and HTML with inlined CSS.

Templates follow one folder per message under templates/email/ (subject.txt, body.txt,
body.html), each body extending templates/email/_base/ (whose style.css is the one stylesheet).
`render_email` renders any of them (the web app can use it for its confirmation mail);
`render_digest` renders a digest. CSS is inlined with css-inline, which never fetches anything
remote here; media queries stay in a <style> element for the clients that read them.

A run renders thousands of digests made of the same few hundred events, so each event's card
(templates/email/digest/card.{html,txt}) is rendered and CSS-inlined once per language and
kept; a digest's page is rendered with a placeholder per card, inlined (a few KB instead of
tens), and the cards put in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from digest.links import SubscriberLinks
from digest.model import Digest
from digest.view import ItemView, ShownItem, digest_view, gettext
from locales import translations

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Gmail clips messages above about 102 KB; a digest that would be larger is rendered compact.
HTML_LIMIT = 100_000

STYLESHEET = (TEMPLATES / "email" / "_base" / "style.css").read_text(encoding="utf-8")
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_fragment_inliner = css_inline.CSSInliner(load_remote_stylesheets=False)
_PLACEHOLDER = re.compile(r"@@vahti-card-(\d+)@@")
_EMPTY_REASON_HTML = re.compile(r'<div class="reason"[^>]*>@@reason@@</div>')
REASON = "@@reason@@"


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


def render_email(
    name: str,
    language: str,
    context: Mapping[str, Any],
    *,
    finish_html: Callable[[str], str] | None = None,
    finish_text: Callable[[str], str] | None = None,
) -> Rendered:
    """Render templates/email/<name>/{subject.txt,body.txt,body.html} in `language`.

    `finish_html` runs on the HTML after CSS inlining, `finish_text` on the text (the digest
    puts its cards in there).
    """
    env = environment(language)
    values = {"language": language, **context}
    try:
        subject = env.get_template(f"email/{name}/subject.txt").render(values)
        text = env.get_template(f"email/{name}/body.txt").render(values)
        html = _inliner.inline(env.get_template(f"email/{name}/body.html").render(values))
        if finish_html is not None:
            html = finish_html(html)
        if finish_text is not None:
            text = finish_text(text)
    except Exception as exc:
        raise RenderError(f"cannot render e-mail {name!r} in {language!r}: {exc}") from exc
    return Rendered(
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html,
        language=language,
    )


@lru_cache(maxsize=8192)
def card_html(item: ItemView, language: str) -> str:
    """One event's card, CSS inlined (cached: an ItemView is the same object for every digest
    that shows the event the same way)."""
    html = environment(language).get_template("email/digest/card.html").render(item=item)
    return str(_fragment_inliner.inline_fragment(html, STYLESHEET))


@lru_cache(maxsize=8192)
def card_text(item: ItemView, language: str) -> str:
    return environment(language).get_template("email/digest/card.txt").render(item=item)


def shown_html(shown: ShownItem, language: str) -> str:
    html = card_html(shown.card, language)
    if not shown.reason:
        return _EMPTY_REASON_HTML.sub("", html)
    why = gettext(language, "Why: %(reasons)s") % {"reasons": shown.reason}
    return html.replace(REASON, str(escape(why)))


def shown_text(shown: ShownItem, language: str) -> str:
    text = card_text(shown.card, language)
    if not shown.reason:
        return text.replace(f"  {REASON}\n", "")
    return text.replace(REASON, gettext(language, "Why: %(reasons)s") % {"reasons": shown.reason})


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
        cards = view.shown

        def put_cards(html: str) -> str:
            def card(found: re.Match[str]) -> str:
                return shown_html(cards[int(found.group(1))], language)

            return _PLACEHOLDER.sub(card, html)

        def put_card_texts(text: str) -> str:
            def card(found: re.Match[str]) -> str:
                return shown_text(cards[int(found.group(1))], language)

            return _PLACEHOLDER.sub(card, text)

        context = {"digest": view, "links": links, "prefs": digest.preferences}
        return render_email(
            "digest", language, context, finish_html=put_cards, finish_text=put_card_texts
        )

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
