"""Message catalogs (Babel .po files) for fi, sv and en, loaded without a compile step."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent
LANGUAGES = ("fi", "sv", "en")
DOMAIN = "messages"


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Translations:
    """The catalog for `language` (fi, sv or en), compiled in memory from its .po file."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; allowed: {', '.join(LANGUAGES)}")
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)
