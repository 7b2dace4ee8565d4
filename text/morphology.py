"""Word forms for matching Finnish, Swedish and English words whatever their inflection.

Finnish inflects and compounds ("rekrytoinnin", "kotoutumiskoulutukseen"), Swedish less so
("rekryteringsdagen"). A word's forms in a language are the word itself and its Snowball stem
(the `snowballstemmer` package, always there), or in Finnish, where Debian's libvoikko and its
Finnish dictionary (`voikko-fi`) are installed, its base forms by Voikko ("rekrytoinnin" ->
"rekrytointi"). Without Voikko Finnish gets its Snowball stem too: fewer forms are recognised,
nothing fails (`make morphology` installs Voikko where it can).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import snowballstemmer

_STEMMERS = {
    "fi": snowballstemmer.stemmer("finnish"),
    "sv": snowballstemmer.stemmer("swedish"),
    "en": snowballstemmer.stemmer("english"),
}
_LOCK = threading.Lock()  # one Voikko handle, and libvoikko handles are not thread-safe


@lru_cache(maxsize=1)
def _voikko() -> Any | None:
    try:
        import libvoikko  # the PyPI binding; it loads Debian's libvoikko.so.1

        return libvoikko.Voikko("fi")
    except Exception:  # no binding, no library, or no Finnish dictionary: stems alone
        return None


def voikko_available() -> bool:
    return _voikko() is not None


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The Snowball stem of a (casefolded) word in fi, sv or en."""
    with _LOCK:
        return str(_STEMMERS[language].stemWord(word))


@lru_cache(maxsize=65536)
def base_forms(word: str) -> frozenset[str]:
    """Voikko's Finnish base forms of a word ("rekrytoinnin" -> {"rekrytointi"}); empty when
    Voikko is absent or the word is no Finnish word it knows."""
    voikko = _voikko()
    if voikko is None:
        return frozenset()
    with _LOCK:
        analyses = voikko.analyze(word)
    return frozenset(str(a["BASEFORM"]).casefold() for a in analyses if a.get("BASEFORM"))


@lru_cache(maxsize=65536)
def word_forms(word: str, language: str, use_voikko: bool = True) -> frozenset[str]:
    """A (casefolded) word's forms in a language: in Finnish its base forms by Voikko, or its
    Snowball stem without Voikko; in Swedish and English its Snowball stem."""
    if language == "fi" and use_voikko and voikko_available():
        return base_forms(word) | {word}
    return frozenset({word, stem(word, language)})
