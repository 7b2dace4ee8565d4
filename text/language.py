"""Which language a text, a title or a declared language value is in: the one detector.

Detection uses lingua restricted to Finnish, Swedish and English; a text in any other script
(Russian, Arabic, ...) gets no answer from it. Two questions are asked of it:

- extraction (:func:`detect_language`): the language of a listing's text, fi / sv / en, else
  ``other``;
- matching (:func:`title_language`): are two titles of one event translations of each other,
  or two different titles in one language? A title gets fi / sv / en only when lingua tells
  the best language from the second best by a clear margin, else None (and None never counts
  as a different language in dedupe.score). The event's own language does not answer that: a
  Swedish site announces an event held in Finnish with a Swedish title.

The detectors load their models on first use (about a second) and are kept for the process.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from store import vocab

OTHER = "other"
_NAMES = {
    "fi": "fi fin finnish suomi suomeksi finska finsk",
    "sv": "sv swe swedish svenska ruotsi ruotsiksi svensk",
    "en": "en eng english englanti englanniksi engelska",
}
_BY_NAME = {name: code for code, names in _NAMES.items() for name in names.split()}
_CODE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$")
# A text without a word of this many letters says too little to tell the languages apart.
_WORD = re.compile(r"[^\W\d_]{4,}")
# Detection reads the start of a text: a title and the first sentences are enough, and
# lingua's time grows with the text.
SAMPLE = 160
LOW_ACCURACY_FROM = 60
# A short text's trigram verdict is taken when lingua gives it at least this confidence.
SURE = 0.9
# Below this distance between a title's best and second-best language, it gets none.
TITLE_MIN_DISTANCE = 0.25
# A title without a word of this many letters gets no language.
_TITLE_WORD = re.compile(r"[^\W\d_]{3,}")
_CODES = {"FINNISH": "fi", "SWEDISH": "sv", "ENGLISH": "en"}


def language_code(value: Any) -> str | None:
    """fi / sv / en / other for a declared language: "fi-FI", "Swedish", ".../language/en/",
    {"name": "English"}; None when nothing is declared."""
    if value is None:
        return None
    if isinstance(value, dict):
        return language_code(
            value.get("alternateName") or value.get("id") or value.get("@id") or value.get("name")
        )
    text = str(value).strip().casefold()
    if not text:
        return None
    if "/" in text:  # Linked Events: https://api.hel.fi/linkedevents/v1/language/fi/
        text = text.rstrip("/").rsplit("/", 1)[-1]
    if text in _BY_NAME:
        return _BY_NAME[text]
    match = _CODE.match(text)
    if match:
        code = match.group(1)
        return _BY_NAME.get(code, OTHER)
    return OTHER


def language_codes(values: list[Any]) -> list[str]:
    """Declared languages in order, each once."""
    found: list[str] = []
    for value in values:
        code = language_code(value)
        if code and code not in found:
            found.append(code)
    return found


_SAID = {
    "fi": r"suomeksi|suomen kielellä|in finnish|på finska|kieli(?: on|:) suomi",
    "sv": r"ruotsiksi|ruotsin kielellä|in swedish|på svenska|kieli(?: on|:) ruotsi",
    "en": r"englanniksi|englannin kielellä|englanninkieli|in english|på engelska|"
    r"kieli(?: on|:) englanti|language(?: is|:) english|held in english|english-language",
}
_ALSO = re.compile(r"\b(?:myös|also|också|även|lisäksi)\s+$", re.IGNORECASE)
# "in Finnish" must end the phrase: "working in Finnish companies" says nothing about language.
_PHRASE_END = r"(?=\s*(?:$|[^\w\s]|(?:and|or|och|eller|ja|tai|with|med|samt)\b))"
_SAID_RE = {
    code: re.compile(rf"\b(?:{words}){_PHRASE_END}", re.IGNORECASE) for code, words in _SAID.items()
}


def languages_said(text: str, text_language: str | None = None) -> list[str]:
    """Languages a text says the event is held in ("Kvällen hålls på engelska"), in order.

    "Perehdytys myös englanniksi" (also in English) puts the text's own language first.
    """
    found: list[tuple[int, str]] = []
    also = False
    for code, pattern in _SAID_RE.items():
        match = pattern.search(text)
        if match:
            found.append((match.start(), code))
            also = also or bool(_ALSO.search(text[max(0, match.start() - 12) : match.start()]))
    codes = [code for _, code in sorted(found)]
    if codes and also and text_language in vocab.LANGUAGES and text_language not in codes:
        codes.insert(0, text_language)
    return codes


@cache
def _detector(low_accuracy: bool, min_distance: float = 0.0) -> Any:
    """lingua for fi / sv / en: trigrams only when `low_accuracy`; no answer when the best
    language is not ahead of the next by `min_distance`."""
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(
        Language.FINNISH, Language.SWEDISH, Language.ENGLISH
    )
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    if min_distance:
        builder = builder.with_minimum_relative_distance(min_distance)
    return builder.build()


def _short_text_language(sample: str) -> Any:
    """A short title's language: the trigram models when they are sure of it, else the full
    models. The full models take ~0.7 s and ~100 MB to load, once per process; of the 163
    short titles of the dedupe test set the trigrams were sure of 157 and agreed with the full
    models on every one (and on all 163 at 0.8)."""
    values = _detector(True).compute_language_confidence_values(sample)
    if values and values[0].value >= SURE:
        return values[0].language
    return _detector(False).detect_language_of(sample)


@lru_cache(maxsize=4096)
def detect_language(text: str) -> str:
    """fi / sv / en when lingua is sure enough, else ``other``.

    Texts of a sentence or more use lingua's low-accuracy mode (trigrams only: a hundred
    times faster, and as good for telling Finnish, Swedish and English apart); a short title
    gets the full models when the trigrams are unsure of it.
    """
    sample = text[:SAMPLE]
    if not _WORD.search(sample):
        return OTHER
    if len(sample) >= LOW_ACCURACY_FROM:
        found = _detector(True).detect_language_of(sample)
    else:
        found = _short_text_language(sample)
    if found is None:
        return OTHER
    code = _CODES.get(found.name, OTHER)
    return code if code in vocab.EVENT_LANGUAGES else OTHER


@lru_cache(maxsize=100_000)
def title_language(title: str) -> str | None:
    """fi / sv / en for a title whose language is clear, else None ("Maria 01", "Webinar: CV").

    The full models, even on two-word titles; matching asks it only for the pairs that reach
    its cross-language rule, so its cost follows those pairs, not the calendar.
    """
    if not _TITLE_WORD.search(title):
        return None
    found = _detector(False, TITLE_MIN_DISTANCE).detect_language_of(title)
    return None if found is None else _CODES.get(found.name)
