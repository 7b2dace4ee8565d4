"""Debian's FreeDict bilingual dictionaries (dictd format), read with the standard library.

The packages `dict-freedict-fin-eng`, `-eng-fin`, `-swe-eng` and `-fin-swe` (`make
dictionaries`) put `freedict-<from>-<to>.index` and `.dict.dz` files in /usr/share/dictd. An
index line is `headword TAB offset TAB length`, the numbers in dictd's base64 digits; the
`.dict.dz` file is gzip (dictzip) text, and an entry is its headword line followed by
translation lines ("library", "1. course 2.") and, in the bigger dictionaries, definition lines
in the source language, which are skipped.

`Dictionaries.load(folder)` turns whatever of the four is there into one table per language:
a Finnish or Swedish word (folded, as `text.sanitise.fold` does) → English words, the pivot
every title is compared in. English-to-Finnish entries are read backwards (a Finnish word
listed as the translation of "library" gives "library"), and Finnish-to-Swedish entries give
a Swedish word the English of its Finnish headword. Missing files mean fewer words, never an
error: with no dictionary at all every lookup answers nothing.

`english_words(token, language)` finds a word's English in spite of Finnish and Swedish
endings and compounds: the word itself; a headword whose stem (all but its last two letters,
at least four) starts the word, when at most five letters follow ("kirjastossa" → kirjasto,
"työnhakijoille" → työnhakija); else a compound of two such words ("kaupungin|kirjasto").
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from text.sanitise import fold

SYSTEM_FOLDER: Final = Path("/usr/share/dictd")
PAIRS: Final = ("fin-eng", "eng-fin", "swe-eng", "fin-swe")
_B64: Final = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)}  # fmt: skip
_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_SENSE_TAIL = re.compile(r"\s+\d+\.\s*$")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^]]*\]|<[^>]*>")
_WORD = re.compile(r"[a-z0-9]+")
# English words that say nothing about what an event is.
_EN_STOPWORDS = """
    a an the of to for in on at by with from and or as into one's someone something sb sth
    be is are etc your you my our their his her its it this that up out about over
"""
EN_STOPWORDS: Final = frozenset(_EN_STOPWORDS.split())
STEM_MIN: Final = 4
HEAD_MIN: Final = 3
ENDING_MAX: Final = 5
KNOWN_ENDING: Final = 3
EN_KEY: Final = 5


def _number(text: str) -> int:
    value = 0
    for char in text:
        value = value * 64 + _B64[char]
    return value


def read_dictd(index: Path, data: Path) -> Iterator[tuple[str, list[str]]]:
    """(headword, translations) of each entry of one dictd dictionary."""
    with gzip.open(data) as packed:
        body = packed.read()
    with index.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0].startswith("00database"):
                continue
            try:
                start, size = _number(parts[1]), _number(parts[2])
            except KeyError:
                continue
            entry = body[start : start + size].decode("utf-8", errors="replace")
            yield parts[0], translations(entry)


def translations(entry: str) -> list[str]:
    """The translation phrases of one entry: the first line after the headword line, and each
    numbered sense line ("2. quotation, rate"); definition lines are not translations."""
    found: list[str] = []
    expect = True
    for line in entry.split("\n")[1:]:
        if not line.strip():
            continue
        numbered = _NUMBERED.match(line)
        if numbered is not None:
            text = numbered.group(2)
        elif expect and not line.startswith(" "):
            text = line
        else:
            continue
        expect = False
        text = _BRACKETS.sub(" ", _SENSE_TAIL.sub("", text))
        found.extend(p.strip() for p in re.split(r"[,;]", text) if p.strip())
    return found


def en_key(word: str) -> str:
    """An English word as a comparison key: folded, its first five letters ("volunteering"
    and "volunteer" meet)."""
    return word[:EN_KEY]


def en_keys(phrase: str) -> set[str]:
    return {en_key(w) for w in _WORD.findall(fold(phrase)) if w not in EN_STOPWORDS}


@dataclass
class Dictionaries:
    """Folded Finnish and Swedish words → English keys; empty when nothing is installed."""

    folder: Path | None = None
    fi: dict[str, frozenset[str]] = field(default_factory=dict)
    sv: dict[str, frozenset[str]] = field(default_factory=dict)
    found: tuple[str, ...] = ()
    # Every English key the dictionaries know (a word not among them is a name: "Caisa").
    english: frozenset[str] = frozenset()
    _stems: dict[str, dict[str, list[str]]] = field(default_factory=dict, init=False, repr=False)
    _cache: dict[tuple[str, str], frozenset[str]] = field(
        default_factory=dict, init=False, repr=False
    )

    @classmethod
    def load(cls, folder: Path = SYSTEM_FOLDER) -> Dictionaries:
        present = tuple(
            pair
            for pair in PAIRS
            if (folder / f"freedict-{pair}.index").is_file()
            and (folder / f"freedict-{pair}.dict.dz").is_file()
        )

        def entries(pair: str) -> Iterable[tuple[str, list[str]]]:
            if pair not in present:
                return ()
            return read_dictd(
                folder / f"freedict-{pair}.index", folder / f"freedict-{pair}.dict.dz"
            )

        fi: dict[str, set[str]] = defaultdict(set)
        sv: dict[str, set[str]] = defaultdict(set)
        for head, phrases in entries("fin-eng"):
            for phrase in phrases:
                fi[fold(head)] |= en_keys(phrase)
        for head, phrases in entries("eng-fin"):
            keys = en_keys(head)
            for phrase in phrases:
                fi[fold(phrase)] |= keys
        for head, phrases in entries("swe-eng"):
            for phrase in phrases:
                sv[fold(head)] |= en_keys(phrase)
        for head, phrases in entries("fin-swe"):
            english = fi.get(fold(head))
            if english:
                for phrase in phrases:
                    sv[fold(phrase)] |= english
        fi_table = {w: frozenset(k) for w, k in fi.items() if k and " " not in w}
        sv_table = {w: frozenset(k) for w, k in sv.items() if k and " " not in w}
        return cls(
            folder=folder,
            fi=fi_table,
            sv=sv_table,
            found=present,
            english=frozenset().union(*fi_table.values(), *sv_table.values()),
        )

    def __post_init__(self) -> None:
        self._stems = {lang: _stems(table) for lang, table in (("fi", self.fi), ("sv", self.sv))}
        self._cache: dict[tuple[str, str], frozenset[str]] = {}

    def __bool__(self) -> bool:
        return bool(self.fi or self.sv)

    def knows(self, token: str, language: str) -> bool:
        """Is this a word of the language (not a name) as far as the dictionaries tell? Stricter
        than `english_words`: endings of at most three letters."""
        if not token.isalpha():
            return False  # "Maria01", "Stoa2"
        if language == "en":
            return en_key(token) in self.english
        return bool(self._lookup(token, language, KNOWN_ENDING))

    def english_words(self, token: str, language: str) -> frozenset[str]:
        """English keys of one folded word in `language` (fi, sv; en: the word itself)."""
        if language == "en":
            return frozenset() if token in EN_STOPWORDS else frozenset({en_key(token)})
        key = (token, language)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._lookup(token, language)
        return found

    def _lookup(self, token: str, language: str, ending: int = ENDING_MAX) -> frozenset[str]:
        table = self.fi if language == "fi" else self.sv if language == "sv" else {}
        if not table:
            return frozenset()
        exact = table.get(token)
        if exact:
            return exact
        stems = self._stems[language]
        inflected = self._by_stem(token, stems, table, ending)
        if inflected:
            return inflected
        for split in range(HEAD_MIN, len(token) - STEM_MIN + 1):
            head, tail = token[:split], token[split:]
            tail_keys = table.get(tail) or self._by_stem(tail, stems, table, ending)
            if not tail_keys:
                continue
            head_keys = self._head(head, stems, table)
            if head_keys:
                return head_keys | tail_keys
        return frozenset()

    def _head(
        self, head: str, stems: dict[str, list[str]], table: dict[str, frozenset[str]]
    ) -> frozenset[str]:
        """The first part of a compound: a word, a word with a linking "n" or "s"
        ("työn|haku", "arbets|liv"), or an inflected stem ("kaupungin|kirjasto")."""
        found = table.get(head)
        if not found and head[-1] in "ns":
            found = table.get(head[:-1])
        return found or self._by_stem(head, stems, table, 3)

    @staticmethod
    def _by_stem(
        token: str,
        stems: dict[str, list[str]],
        table: dict[str, frozenset[str]],
        ending: int,
    ) -> frozenset[str]:
        for size in range(len(token), STEM_MIN - 1, -1):
            heads = stems.get(token[:size])
            if heads is None:
                continue
            for head in heads:
                if len(token) - max(size, len(head) - 2) <= ending:
                    return table[head]
            return frozenset()
        return frozenset()


def _stems(table: dict[str, frozenset[str]]) -> dict[str, list[str]]:
    """Each headword under its stem (all but its last two letters, at least four), shortest
    headword first."""
    stems: dict[str, list[str]] = defaultdict(list)
    for word in sorted(table, key=len):
        if len(word) >= STEM_MIN:
            stems[word[: max(STEM_MIN, len(word) - 2)]].append(word)
    return dict(stems)


@lru_cache(maxsize=8)
def dictionaries(folder: Path = SYSTEM_FOLDER) -> Dictionaries:
    """The dictionaries in `folder`, read once per process (about a second for all four)."""
    return Dictionaries.load(folder)
