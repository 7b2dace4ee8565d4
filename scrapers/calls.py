"""Application windows written in text: "Hakuaika päättyy 31.1.2027", "Apply by 31 January".

Mentoring programmes and trainings are *calls*: what matters is when applications close
(and sometimes open) and where to apply. Pure; ``today`` resolves dates without a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from scrapers.dates import find_mentions, read_clock

_PHRASES = (
    # fi
    r"haku(?:aika)?\s+päättyy",
    r"hakuaika",
    r"haku\s+(?:on\s+)?(?:auki|avoinna|käynnissä)",
    r"hae\s+(?:viimeistään|mukaan|tästä)",
    r"ilmoittautu\w*\s+(?:päättyy|viimeistään|mennessä)",
    r"ilmoittaudu(?:\s+(?:viimeistään|mukaan))?",
    r"viimeinen\s+(?:haku|hakemis|ilmoittautumis)päivä",
    r"haku\s+päättyy",
    r"hakemukset\s+(?:viimeistään|tulee\s+jättää)",
    # sv
    r"ansökningstiden\s+(?:går\s+ut|slutar|löper\s+ut|upphör)",
    r"ansökningstid(?:en)?",
    r"sista\s+(?:ansöknings|anmälnings)dag(?:en)?",
    r"ansök\s+(?:senast|här)",
    r"anmäl\s+(?:dig\s+)?senast",
    r"anmälan\s+(?:senast|stänger|går\s+ut)",
    r"ansökan\s+(?:senast|ska\s+vara\s+inne)",
    # en
    r"apply\s+(?:by|before|no\s+later\s+than|until)",
    r"applications?\s+(?:close|closes|are\s+due|due|open\s+until|are\s+open\s+until|deadline)",
    r"application\s+period",
    r"deadline(?:\s+for\s+applications)?",
    r"register\s+(?:by|before)",
    r"registration\s+(?:closes|deadline|ends)",
    r"closing\s+date",
    r"sign\s+up\s+(?:by|before)",
)
_PHRASE = re.compile(r"\b(?:" + "|".join(_PHRASES) + r")\b\s*(?:on\b|is\b|:)?", re.IGNORECASE)
_APPLY_WORDS = re.compile(
    r"^\s*(?:hae|haku|ilmoittaudu|ilmoittautuminen|hakulomake|ansök|anmäl|anmälan|"
    r"ansökningsformulär|apply|application|register|registration|sign\s+up)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"')]+")
_ANCHOR = re.compile(r"<a\b[^>]*\bhref=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")

# Dates farther than this from the phrase belong to something else.
_REACH = 60


@dataclass(frozen=True)
class Call:
    """An application window found in text (local wall times; the caller knows the zone)."""

    deadline: datetime
    opens: datetime | None
    at: int
    stop: int
    url: str | None = None


@lru_cache(maxsize=4096)
def find_call(
    text: str, today: date, languages: tuple[str, ...] = ("fi", "sv", "en")
) -> Call | None:
    """The first application deadline in the text, with its opening day and URL if given."""
    for phrase in _PHRASE.finditer(text):
        window = text[phrase.end() : phrase.end() + _REACH]
        mentions = find_mentions(window, today, languages)
        if not mentions:
            continue
        first = mentions[0]
        if first.at > 25:
            continue
        opens: date | None = None
        last = first
        if first.last_day is not None:
            opens, deadline_day = first.day, first.last_day
        elif len(mentions) > 1 and re.fullmatch(
            r"\s*[-–—]\s*", window[first.stop : mentions[1].at]
        ):
            last = mentions[1]
            opens, deadline_day = first.day, last.last_day or last.day
        else:
            deadline_day = first.day
        clock = last.clock
        tail = read_clock(window[last.stop : last.stop + 20])
        if clock is None and tail is not None and tail[1] is None:
            clock = tail[0]
        deadline = datetime.combine(deadline_day, clock or time(23, 59))
        stop = phrase.end() + last.stop
        url_at = text.find("http", stop, stop + 40)
        url_match = _URL.match(text, url_at) if url_at >= 0 else None
        return Call(
            deadline=deadline,
            opens=datetime.combine(opens, time(0)) if opens else None,
            at=phrase.start(),
            stop=stop,
            url=url_match.group(0).rstrip(".,;") if url_match else None,
        )
    return None


def application_link(description_html: str) -> str | None:
    """The href of a link whose text says apply / hae / ansök / ilmoittaudu / anmäl."""
    for href, label in _ANCHOR.findall(description_html):
        if _APPLY_WORDS.match(_TAGS.sub("", label)) and href.startswith(("http://", "https://")):
            return href
    return None
