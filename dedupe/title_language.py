"""Which language a title is written in: fi, sv, en, or None when that is not clear.

Matching needs it for one question only: are two titles of one event translations of each
other (they rarely share words, so a low bar on similarity is fair), or two different titles
in one language (two talks at one venue at one hour, to be kept apart)? The event's own
language (`Listing.language`) does not answer it: a Swedish site announces an event held in
Finnish with a Swedish title.

lingua, restricted to Finnish, Swedish and English, tells these three apart well even on
two-word titles; a title it is unsure of ("Maria 01", "Webinar: CV") gets None, and None
never counts as a different language. Detection is cached per title and only asked for
pairs that reach the cross-language rule, so its cost follows those pairs, not the calendar.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any, Final

# Below this distance between the best and the second-best language, lingua says nothing.
MIN_DISTANCE: Final = 0.25
_CODES: Final = {"FINNISH": "fi", "SWEDISH": "sv", "ENGLISH": "en"}
_WORD = re.compile(r"[^\W\d_]{3,}")


@cache
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.FINNISH, Language.SWEDISH, Language.ENGLISH)
        .with_minimum_relative_distance(MIN_DISTANCE)
        .build()
    )


@lru_cache(maxsize=100_000)
def title_language(title: str) -> str | None:
    """fi / sv / en for a title whose language is clear, else None."""
    if not _WORD.search(title):
        return None
    found = _detector().detect_language_of(title)
    return None if found is None else _CODES.get(found.name)
