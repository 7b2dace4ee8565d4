"""Hostile input for the fuzz test (tests/test_fuzz.py), from one seeded `random.Random`.

`Fuzz` makes hostile strings (C0/C1 controls with NUL, bidi overrides and isolates, zero-width
and other invisible characters, markup and entities, right-to-left text, 1 MB fields) and
random bytes (invalid UTF-8 too), and whole pages of every source kind: a JSON-LD page (with
microdata and RDFa), a css listing, an RSS feed, an iCalendar file and a Linked Events page.
Every page carries known-good events (`GoodEvent`) among the hostile ones; their titles are
written with hostile characters at word boundaries, so whatever the cleaner does with such a
character (drop it or make it a space), the title it must give is known.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
CSS_CONFIG = {
    "item": "article.event",
    "title": "h2::text",
    "date": ".date::text",
    "location": ".place::text",
    "description": ".summary",
    "link": "a.more::attr(href)",
    "next_page": "a.next::attr(href)",
}

# What the one cleaner must take out of every text that is stored or shown: C0 controls but
# tab, newline and carriage return; DEL and C1; bidi overrides, embeddings, isolates and marks;
# zero-width and other invisible format characters; line and paragraph separators; lone
# surrogates (not text at all).
CONTROLS = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [
    chr(c) for c in range(0x7F, 0xA0)
]
BIDI = [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
BIDI_MARKS = ["\u200e", "\u200f", "\u061c"]
INVISIBLE = ["\u200b", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\ufeff"]
SEPARATORS = ["\u2028", "\u2029"]
REMOVED = CONTROLS + BIDI + BIDI_MARKS + INVISIBLE + SEPARATORS
# In HTML and in feeds a C1 character written as a reference (&#x85;) stands for the
# Windows-1252 character of that byte ("…"), as HTML says: good titles there carry none.
MARKUP_SAFE = [c for c in REMOVED if not 0x80 <= ord(c) < 0xA0]
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
# Text that is hostile to parsers and templates but allowed to stay (shown escaped).
SPICY = [
    "<script>alert(1)</script>",
    "<b>",
    "</div>",
    "&amp;amp;",
    "&#0;",
    "&#x202e;",
    "&#xd800;",
    "&lt;!--",
    "]]>",
    "<![CDATA[",
    '"',
    "'",
    "\\",
    "{",
    "}]",
    "%s%n",
    "${jndi:x}",
    "BEGIN:VEVENT",
    "END:VCALENDAR",
    "\u200c",
    "\u200d",
    "e\u0301",
    "👩\u200d💻",
    "שלום",
    "مرحبا",
    "\u00ad",
    "\t",
    "\n",
    "Ⅻ",
    "ﬁ",
]
LETTERS = "abcdefghijklmnopqrstuvwxyzåäöABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ0123456789 .,:-"
WORDS = (
    "aurinko",
    "kuu",
    "tähti",
    "meri",
    "järvi",
    "metsä",
    "kallio",
    "niitty",
    "kivi",
    "tuuli",
    "lumi",
    "sade",
    "pilvi",
    "joki",
    "saari",
    "ranta",
    "vuori",
    "laakso",
    "kukka",
    "puu",
    "lintu",
    "kala",
    "karhu",
    "susi",
    "kettu",
    "jänis",
    "hirvi",
)
MEGABYTE = 1024 * 1024


def forbidden_in(text: str) -> list[str]:
    """The forbidden characters in `text`, as code points (empty when clean)."""
    return sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})


@dataclass(frozen=True)
class GoodEvent:
    """An event every reader must find: stored, in its event, digest and feeds, clean."""

    key: str  # the external id (and part of the URL)
    marker: str  # a word of its own, to find it in digests and feeds
    title: str  # what must be stored and shown
    dirty: str  # the title as the page writes it
    start: datetime  # aware, Helsinki

    def url(self, site: str) -> str:
        return f"{site}/event/{self.key}"


@dataclass
class Page:
    """One fetched document: its body and content type, its good events, the next page."""

    body: bytes
    content_type: str
    good: list[GoodEvent] = field(default_factory=list)


class Fuzz:
    """Seeded hostile strings, bytes, good events and pages."""

    def __init__(self, seed: int, today: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.today = (today or datetime.now(HELSINKI)).astimezone(HELSINKI)
        self._slots = [(day, hour) for day in range(1, 14) for hour in range(8, 21)]
        self.rng.shuffle(self._slots)
        self._count = 0

    # --- strings and bytes -----------------------------------------------------------------
    def hostile_char(self) -> str:
        """A character the cleaner must remove; NUL (what PostgreSQL refuses) one time in five."""
        return "\x00" if self.rng.random() < 0.2 else self.rng.choice(REMOVED)

    def string(self, size: int = 40) -> str:
        """A short hostile string: letters, removed characters, markup, RTL text, emoji."""
        parts: list[str] = []
        for _ in range(self.rng.randint(1, size)):
            roll = self.rng.random()
            if roll < 0.5:
                parts.append(self.rng.choice(LETTERS))
            elif roll < 0.8:
                parts.append(self.hostile_char())
            elif roll < 0.95:
                parts.append(self.rng.choice(SPICY))
            else:
                parts.append(chr(self.rng.randint(0x20, 0x2FFF)))
        return "".join(parts)

    def big(self, size: int = MEGABYTE) -> str:
        """A field of about `size` characters, hostile characters all through it."""
        chunk = self.string(200) + " "
        return (chunk * (size // max(len(chunk), 1) + 1))[:size]

    def junk(self, size: int = 2000) -> bytes:
        """Random bytes: invalid UTF-8, NULs, stray markup."""
        pieces = [
            bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 40))),
            b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x82\xf0\x28\x8c\xbc\xed\xa0\x80",
            b"\x00" * self.rng.randint(1, 5),
            b"<",
            b"&#",
            b"\r\n",
            b"BEGIN:",
            b'{"',
        ]
        out = bytearray()
        while len(out) < size:
            out += self.rng.choice(pieces)
        return bytes(out[:size])

    def maybe(self, chance: float = 0.5) -> bool:
        return self.rng.random() < chance

    # --- good events ---------------------------------------------------------------------
    def good(self, kind: str, count: int = 2) -> list[GoodEvent]:
        """`count` good events, each at a time of its own within the next two weeks."""
        events: list[GoodEvent] = []
        for _ in range(count):
            self._count += 1
            day, hour = self._slots[self._count % len(self._slots)]
            marker = "Fz" + "".join(self.rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
            words = ["Rekrytointimessut", marker, self.rng.choice(WORDS)]
            dirty = self._sprinkle(words, MARKUP_SAFE if kind in ("css", "rss") else REMOVED)
            start = (self.today + timedelta(days=day)).replace(
                hour=hour, minute=0, second=0, microsecond=0
            )
            events.append(GoodEvent(f"{kind}-{self._count}", marker, " ".join(words), dirty, start))
        return events

    def _sprinkle(self, words: list[str], dirt: list[str]) -> str:
        """Words joined by spaces, with removed characters beside the spaces and at the ends."""
        out = [self._dirt(dirt)]
        for index, word in enumerate(words):
            if index:
                out.append(self._dirt(dirt) + " " + self._dirt(dirt))
            out.append(word)
        out.append(self._dirt(dirt))
        return "".join(out)

    def _dirt(self, dirt: list[str]) -> str:
        return "".join(self.rng.choice(dirt) for _ in range(self.rng.randint(0, 3)))

    def when(self) -> datetime:
        """A start for a hostile event: within the crawl window, or far off, or past."""
        return self.today + timedelta(days=self.rng.choice([3, 5, 30, 200, -3]), hours=11)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- pages ------------------------------------------------------------------------------------


def _json(value: object) -> str:
    """JSON with every non-ASCII character escaped (so the bytes survive any charset mix-up);
    `</` is escaped too, as a page must inside a script."""
    return json.dumps(value, ensure_ascii=True).replace("</", "<\\/")


def _surrogates(text: str, fuzz: Fuzz) -> str:
    """JSON text with lone surrogates escaped into some strings ("\\ud800")."""
    if not fuzz.maybe(0.5):
        return text
    return text.replace('"name": "', '"name": "\\ud800\\udfff\\udc00', 1)


def deep_json(levels: int = 10_000) -> str:
    return '{"@type": "Event", "name": ' + '{"a": [' * levels + "1" + "]}" * levels + "}"


def jsonld_page(fuzz: Fuzz, site: str, good: list[GoodEvent], next_url: str | None) -> Page:
    """An HTML page with JSON-LD blocks (good and hostile), microdata, RDFa and hostility."""
    r = fuzz.rng
    blocks: list[str] = []
    for event in good:
        node = {
            "@context": "https://schema.org",
            "@type": "Event",
            "@id": event.url(site),
            "name": event.dirty,
            "startDate": iso(event.start),
            "url": event.url(site),
            "description": fuzz.string(80),
            "location": {"@type": "Place", "name": fuzz.string(20)},
        }
        blocks.append(_json(node))
    for _ in range(r.randint(1, 6)):
        blocks.append(_surrogates(_json(hostile_node(fuzz, site)), fuzz))
    if fuzz.maybe(0.4):
        blocks.append('{"@type": "Event", "name": ')  # cut off
    if fuzz.maybe(0.3):
        blocks.append(deep_json(r.choice([500, 2_000, 10_000])))
    if fuzz.maybe(0.2):
        blocks.append(_json({"@graph": [hostile_node(fuzz, site) for _ in range(3)]}))
    r.shuffle(blocks)
    body = ["<html lang='fi'><head><meta charset='utf-8'>"]
    body += [f'<script type="application/ld+json">{b}</script>' for b in blocks]
    if next_url:
        body.append(f'<link rel="next" href="{escape(next_url)}">')
    body.append("</head><body>")
    if fuzz.maybe(0.4):
        body.append(microdata(fuzz))
    if fuzz.maybe(0.3):
        body.append(rdfa(fuzz))
    if fuzz.maybe(0.3):
        body.append(f'<div data-x="{escape(fuzz.big(fuzz.rng.choice([MEGABYTE, 1000])))}"></div>')
    if fuzz.maybe(0.2):
        body.append("<div>" * 5000)
    body.append(f"<p>{escape(fuzz.string(200))}</p></body></html>")
    raw = "".join(body).encode("utf-8", "surrogatepass")
    return Page(_spoil(fuzz, raw, html=True), "text/html; charset=utf-8", good)


def hostile_node(fuzz: Fuzz, site: str) -> dict[str, object]:
    """A schema.org event with hostile text in every field (its date may or may not read)."""
    s = fuzz.string
    node: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": fuzz.rng.choice(["Event", "EducationEvent", ["Event", s(5)], s(8)]),
        "@id": fuzz.rng.choice([f"{site}/h/{s(10)}", s(20), None]),
        "name": fuzz.rng.choice([s(60), fuzz.big(2000), [s(10), {"@value": s(10)}], ""]),
        "startDate": fuzz.rng.choice([iso(fuzz.when()), s(15), "2027-02-30T10:00", None, 12]),
        "endDate": fuzz.rng.choice([iso(fuzz.when()), s(10), None]),
        "description": fuzz.rng.choice([s(200), fuzz.big(MEGABYTE) if fuzz.maybe(0.1) else ""]),
        "url": fuzz.rng.choice([s(30), f"{site}/{s(10)}", "javascript:alert(1)", None]),
        "location": {
            "@type": "Place",
            "name": s(40),
            "address": {"streetAddress": s(30), "addressLocality": s(15), "postalCode": s(5)},
        },
        "organizer": {"name": s(30)},
        "offers": {"price": s(8), "priceCurrency": s(3), "url": s(20)},
        "keywords": s(40),
        "inLanguage": s(5),
        "eventStatus": s(20),
    }
    return node


def microdata(fuzz: Fuzz) -> str:
    s = fuzz.string
    items = []
    for _ in range(fuzz.rng.randint(1, 3)):
        items.append(
            '<div itemscope itemtype="https://schema.org/Event">'
            f'<span itemprop="name">{escape(s(40))}</span>'
            f'<meta itemprop="startDate" content="{escape(iso(fuzz.when()))}">'
            f'<span itemprop="description">{escape(s(80))}</span></div>'
        )
    if fuzz.maybe(0.3):  # deeply nested items
        depth = fuzz.rng.choice([50, 1_000, 3_000])
        nested = '<div itemscope itemtype="https://schema.org/Event" itemprop="subEvent">'
        items.append(nested * depth + "</div>" * depth)
    return "".join(items)


def rdfa(fuzz: Fuzz) -> str:
    s = fuzz.string
    return (
        '<div vocab="https://schema.org/" typeof="Event">'
        f'<span property="name">{escape(s(40))}</span>'
        f'<span property="startDate" content="{escape(iso(fuzz.when()))}"></span>'
        f'<span property="location" typeof="Place"><span property="name">{escape(s(20))}'
        "</span></span></div>"
    )


def _spoil(fuzz: Fuzz, body: bytes, html: bool) -> bytes:
    """Sometimes invalid UTF-8 bytes in the body (outside the good events' text)."""
    if not fuzz.maybe(0.3):
        return body
    junk = fuzz.junk(fuzz.rng.randint(10, 300)).replace(b"<", b"").replace(b"&", b"")
    if html:
        junk = junk.replace(b">", b"")
        return body.replace(b"<body>", b"<body><p>" + junk + b"</p>", 1)
    return body + junk


def _html_text(text: str) -> str:
    """Text for HTML: markup escaped, non-ASCII as character references (so that the good
    text reads the same when the page is read as Windows-1252 for its invalid UTF-8)."""
    return "".join(c if ord(c) < 0x80 else f"&#x{ord(c):x};" for c in escape(text, quote=False))


def css_page(fuzz: Fuzz, site: str, good: list[GoodEvent], next_url: str | None) -> Page:
    """An HTML listing read with CSS_CONFIG: good and hostile items."""
    items: list[str] = []
    for event in good:
        items.append(
            '<article class="event">'
            f"<h2>{_html_text(event.dirty)}</h2>"
            f'<p class="date">{event.start:%d.%m.%Y} klo {event.start:%H.%M}</p>'
            f'<p class="place">{escape(fuzz.string(20))}</p>'
            f'<div class="summary">{escape(fuzz.string(80))}</div>'
            f'<a class="more" href="{escape(event.url(site))}">more</a></article>'
        )
    s = fuzz.string
    for _ in range(fuzz.rng.randint(1, 6)):
        when = fuzz.when()
        date = fuzz.rng.choice([f"{when:%d.%m.%Y} klo {when:%H.%M}", s(20), "31.2.2027", ""])
        title = fuzz.rng.choice([s(60), fuzz.big(3000), ""])
        items.append(
            f'<article class="event" lang="{escape(s(5))}">'
            f"<h2>{escape(title)}</h2>"
            f'<p class="date">{escape(date)}</p>'
            f'<p class="place">{escape(s(40))}</p>'
            f'<div class="summary">{escape(s(200))}</div>'
            f'<a class="more" href="{escape(s(20))}">x</a></article>'
        )
    fuzz.rng.shuffle(items)
    parts = ["<!doctype html><html lang='fi'><head><meta charset='utf-8'></head><body>"]
    parts += items
    if next_url:
        parts.append(f'<a class="next" href="{escape(next_url)}">next</a>')
    if fuzz.maybe(0.3):
        parts.append(f'<div title="{escape(fuzz.big(MEGABYTE))}">x</div>')
    # Broken markup last: an unclosed element swallows what follows it, as it would anywhere.
    parts.append(f'<article class="event"><h2>{fuzz.string(100)}')
    parts.append("</body></html>")
    raw = "".join(parts).encode("utf-8", "surrogatepass")
    return Page(_spoil(fuzz, raw, html=True), "text/html; charset=utf-8", good)


def _xml_text(text: str) -> str:
    """Text for XML: markup escaped, characters XML cannot carry as references dropped,
    non-ASCII as character references."""
    out = []
    for char in escape(text, quote=False):
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code == 0xFFFE:
            continue
        out.append(char if code < 0x80 else f"&#x{code:x};")
    return "".join(out)


def rss_feed(fuzz: Fuzz, site: str, good: list[GoodEvent], next_url: str | None) -> Page:
    """An RSS 2.0 feed with the RSS event module: good items and hostile ones."""
    items: list[str] = []
    for event in good:
        items.append(
            f"<item><title>{_xml_text(event.dirty)}</title>"
            f"<link>{event.url(site)}</link><guid>{event.url(site)}</guid>"
            f"<description>{_xml_text(fuzz.string(80))}</description>"
            f"<ev:startdate>{iso(event.start)}</ev:startdate></item>"
        )
    s = fuzz.string
    for _ in range(fuzz.rng.randint(1, 6)):
        raw_title = s(60)
        # hostile items may carry raw controls (not well-formed XML) or references
        title = raw_title if fuzz.maybe(0.3) else _xml_text(raw_title)
        title = title.replace("<", "").replace("&", "")
        items.append(
            f"<item><title>{title}</title><link>{_xml_text(s(20))}</link>"
            f"<description><![CDATA[{s(200).replace(']]>', '')}]]></description>"
            f"<ev:startdate>{_xml_text(fuzz.rng.choice([iso(fuzz.when()), s(10)]))}"
            "</ev:startdate></item>"
        )
    fuzz.rng.shuffle(items)
    # Hostile items with raw controls go last: a feed is read up to where it breaks, and the
    # good items are known-good only while they are well-formed XML.
    items.sort(key=lambda item: any(ord(c) < 0x20 and c not in "\t\n\r" for c in item))
    declaration = fuzz.rng.choice(
        [
            '<?xml version="1.0" encoding="utf-8"?>',
            "",
            '<?xml version="1.0" encoding="x-bogus"?>',
            '<?xml version="1.0" encoding="windows-1252"?>',  # a lie: the bytes are UTF-8
            '<?xml version="1.0" encoding="iso-8859-1"?>',
        ]
    )
    head = (
        f"{declaration}<rss version='2.0' xmlns:ev='http://purl.org/rss/1.0/modules/event/' "
        "xmlns:atom='http://www.w3.org/2005/Atom'><channel>"
        f"<title>{_xml_text(s(30))}</title><link>{site}/</link>"
    )
    if next_url:
        head += f"<atom:link rel='next' href='{next_url}'/>"
    raw = (head + "".join(items) + "</channel></rss>").encode("utf-8", "surrogatepass")
    return Page(_spoil(fuzz, raw, html=False), "application/rss+xml", good)


def _ics_text(text: str) -> str:
    """An iCalendar TEXT value: no line breaks, escaped as RFC 5545 asks."""
    text = "".join(c for c in text if c not in "\r\n" and not 0xD800 <= ord(c) <= 0xDFFF)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def ics_calendar(fuzz: Fuzz, site: str, good: list[GoodEvent], next_url: str | None) -> Page:
    """An iCalendar file: good VEVENTs, hostile ones, malformed and cut-off ones."""
    del next_url  # a calendar has no pages
    events: list[str] = []
    for event in good:
        events.append(
            "BEGIN:VEVENT\r\n"
            f"UID:{event.key}\r\n"
            f"DTSTART:{utc_stamp(event.start)}\r\n"
            f"DTEND:{utc_stamp(event.start + timedelta(hours=2))}\r\n"
            f"SUMMARY:{_ics_text(event.dirty)}\r\n"
            f"DESCRIPTION:{_ics_text(fuzz.string(80))}\r\n"
            f"LOCATION:{_ics_text(fuzz.string(20))}\r\n"
            f"URL:{event.url(site)}\r\n"
            "END:VEVENT\r\n"
        )
    s = fuzz.string
    for _ in range(fuzz.rng.randint(1, 6)):
        when = fuzz.when()
        lines = [
            "BEGIN:VEVENT",
            f"UID:{_ics_text(s(20))}",
            fuzz.rng.choice(
                [
                    f"DTSTART:{utc_stamp(when)}",
                    f"DTSTART:{_ics_text(s(10))}",
                    "DTSTART;TZID=Mars/Olympus:20270101T100000",
                    "DTSTART:20270230T100000",
                ]
            ),
            f"SUMMARY;LANGUAGE={_ics_text(s(3))}:{_ics_text(s(60))}",
            f"DESCRIPTION:{_ics_text(s(200))}",
            f"LOCATION:{_ics_text(s(30))}",
            f"X-{_ics_text(s(5)).upper() or 'Y'}:{_ics_text(s(20))}",
        ]
        if fuzz.maybe(0.3):
            lines.append(fuzz.rng.choice(["RRULE:FREQ=DAILY;COUNT=3", f"RRULE:{_ics_text(s(15))}"]))
        if fuzz.maybe(0.2):
            lines.append(f"ORGANIZER;CN={_ics_text(s(10))}:mailto:{_ics_text(s(10))}")
        if fuzz.maybe(0.2):
            lines.append(_ics_text(s(30)))  # a line that is no property
        if fuzz.maybe(0.1):
            lines.append(f"DESCRIPTION:{_ics_text(fuzz.big(MEGABYTE))}")
        lines.append("END:VEVENT")
        events.append("\r\n".join(lines) + "\r\n")
    if fuzz.maybe(0.3):
        events.append("BEGIN:VEVENT\r\nUID:cut\r\nDTSTART:2027")  # never ended
    fuzz.rng.shuffle(events)
    # The cut-off VEVENT swallows what follows it; good events come before it.
    events.sort(key=lambda e: "END:VEVENT" not in e)
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\n"
        f"X-WR-TIMEZONE:{fuzz.rng.choice(['Europe/Helsinki', _ics_text(s(10))])}\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )
    raw = text.encode("utf-8", "surrogatepass")
    return Page(raw, "text/calendar; charset=utf-8", good)


def linkedevents_page(fuzz: Fuzz, site: str, good: list[GoodEvent], next_url: str | None) -> Page:
    """A Linked Events API page: good rows, hostile rows, rows of the wrong shape."""
    rows: list[object] = []
    for event in good:
        rows.append(
            {
                "id": f"fuzz:{event.key}",
                "name": {"fi": event.dirty},
                "start_time": event.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "end_time": None,
                "description": {"fi": fuzz.string(80)},
                "info_url": {"fi": event.url(site)},
                "location": {"name": {"fi": fuzz.string(20)}},
                "in_language": [],
                "keywords": [],
            }
        )
    s = fuzz.string
    for _ in range(fuzz.rng.randint(1, 6)):
        rows.append(
            {
                "id": s(15),
                "name": fuzz.rng.choice([{"fi": s(60), s(3): s(20)}, s(40), [s(5)], None]),
                "start_time": fuzz.rng.choice([iso(fuzz.when()), s(10), "2027-02-30T10:00:00Z", 5]),
                "end_time": fuzz.rng.choice([None, s(10), iso(fuzz.when())]),
                "has_start_time": fuzz.rng.choice([True, False, s(3)]),
                "description": {"fi": s(200), "sv": s(100)},
                "location": fuzz.rng.choice(
                    [{"name": {"fi": s(20)}, "street_address": {"fi": s(20)}}, s(10), [1]]
                ),
                "offers": fuzz.rng.choice([[{"price": {"fi": s(5)}, "is_free": s(3)}], s(5)]),
                "keywords": fuzz.rng.choice([[{"@id": s(10)}], s(5), None]),
                "in_language": fuzz.rng.choice([[{"id": s(3)}], []]),
                "provider": {"fi": s(20)},
                "super_event": fuzz.rng.choice([None, {"@id": s(10)}]),
            }
        )
    if fuzz.maybe(0.3):
        rows.append(s(10))
    if fuzz.maybe(0.1):
        rows.append({"id": "big", "name": {"fi": fuzz.big(MEGABYTE)}, "start_time": s(5)})
    fuzz.rng.shuffle(rows)
    text = _json({"meta": {"count": len(rows), "next": next_url}, "data": rows})
    raw = _surrogates(text, fuzz).encode("ascii")
    return Page(raw, "application/json", good)


BUILDERS = {
    "jsonld": jsonld_page,
    "css": css_page,
    "rss": rss_feed,
    "ics": ics_calendar,
    "linkedevents": linkedevents_page,
}


def many_events_page(site: str, count: int, first: datetime) -> bytes:
    """One JSON-LD page with `count` plain events (far enough ahead to stay out of digests)."""
    nodes = [
        {
            "@type": "Event",
            "@id": f"{site}/many/{n}",
            "name": f"Kokous numero {n}",
            "startDate": iso(first + timedelta(minutes=n)),
        }
        for n in range(count)
    ]
    script = _json({"@context": "https://schema.org", "@graph": nodes})
    return (
        f'<html><head><script type="application/ld+json">{script}</script></head></html>'.encode()
    )
