"""Every word of the web app exists in Finnish, Swedish and English."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from locales import LANGUAGES, po_path
from tests.web.catalog import web_msgids
from tests.web.conftest import WebEnv


def catalog(language: str) -> dict[str, object]:
    with po_path(language).open("rb") as handle:
        return {
            (m.id[0] if isinstance(m.id, tuple) else m.id): m.string
            for m in read_po(handle, locale=language)
            if m.id
        }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_web_msgid_is_translated(language: str) -> None:
    translated = catalog(language)
    missing = []
    for msgid, where in web_msgids().items():
        string = translated.get(msgid)
        if not string or (isinstance(string, tuple) and not all(string)):
            missing.append(f"{msgid!r} (used in {where.name})")
    assert not missing, f"untranslated in {language}: " + "; ".join(missing)


def test_the_extraction_finds_the_strings_it_should() -> None:
    found = web_msgids()
    assert "Subscribe in a calendar app" in found  # a template
    assert "Job fair" in found  # web/i18n.py through N_()
    assert "This link is not valid or no longer works." in found  # a route


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ("Tapahtumat", "Evenemang", "Events")),
        ("/subscribe", ("Sähköpostiosoite", "E-postadress", "E-mail address")),
        ("/nowhere", ("Sivua ei löydy", "Sidan hittades inte", "Page not found")),
        ("/admin/login", ("Salasana", "Lösenord", "Password")),
    ],
)
def test_the_same_page_speaks_each_language(
    web: WebEnv, path: str, expected: tuple[str, str, str]
) -> None:
    for language, word in zip(("fi", "sv", "en"), expected, strict=True):
        page = web.client.get(path, params={"lang": language})
        assert f'<html lang="{language}">' in page.text
        assert word in page.text, f"{word!r} missing from {path} in {language}"
        others = [w for w in expected if w != word]
        assert not any(f">{w}<" in page.text for w in others)
        assert page.headers["content-language"] == language
