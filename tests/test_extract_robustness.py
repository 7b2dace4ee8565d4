"""Bad input gets a clear error or a skipped record, never a crash or a hang."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from scrapers.extractors import ExtractError, extract
from tests.support.extract import context, fixture

KINDS = ("jsonld", "ics", "rss", "linkedevents", "css")
CSS = {"item": "article.event", "title": "h2 a::text", "date": ".date::text"}

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://x.example/</link></item></channel></rss>
"""


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_empty_body_is_an_error(kind: str, body: bytes) -> None:
    with pytest.raises(ExtractError, match="empty"):
        extract(kind, body, context("https://example.fi/", config=CSS if kind == "css" else {}))


@pytest.mark.parametrize("kind", KINDS)
def test_over_the_size_cap_is_refused_before_reading(kind: str) -> None:
    body = b"x" * 3000
    with pytest.raises(ExtractError, match=r"over the size cap of 0\.0 MB"):
        extract(kind, body, context("https://example.fi/", max_bytes=2048))


def test_truncated_feed_keeps_its_complete_items() -> None:
    body = fixture("rss", "bron-sv.xml")
    cut = body[: body.index(b"<title>Job fair")]
    result = extract("rss", cut, context("https://bron.example.fi/feed/"))
    assert {r.external_id for r in result.records} == {
        "bron:post:405",
        "bron:post:406",
        "bron:post:411",
    }
    assert any("not well-formed" in e for e in result.errors)


def test_truncated_json_is_an_error_naming_the_problem() -> None:
    body = fixture("linkedevents", "helsinki-page1.json")[:900]
    with pytest.raises(ExtractError, match="broken JSON"):
        extract("linkedevents", body, context("https://api.example.fi/v1/event/"))


def test_truncated_html_reads_what_is_there() -> None:
    body = fixture("css", "tyomessut-1.html")
    cut = body[: body.index(b'<article class="event" lang="en">') + 60]
    result = extract("css", cut, context("https://tyomessut.example.fi/tapahtumat/", config=CSS))
    assert [r.title for r in result.records] == ["Rekrytointimessut Helsinki", "Kesätyömessut 2027"]


def test_one_broken_json_ld_block_does_not_hide_the_others() -> None:
    page = fixture("jsonld", "rekrytointimessut.html").replace(
        b"</head>", b'<script type="application/ld+json">{"@type": "Event", </script></head>'
    )
    result = extract("jsonld", page, context("https://tyollisyys.example.fi/t/"))
    assert len(result.records) == 1
    assert any("JSON-LD block 2 is not valid JSON" in e for e in result.errors)


@pytest.mark.parametrize(
    ("kind", "path", "config", "expected"),
    [
        ("css", ("css", "tyomessut-1.html"), CSS, "Kesätyömessut 2027"),
        ("jsonld", ("jsonld", "rekrytointimessut.html"), {}, "Pääkaupunkiseudun suurimmat"),
        ("rss", ("rss", "bron-sv.xml"), {}, "Nätverkskväll för nyinflyttade"),
        ("ics", ("ics", "outlook-fi.ics"), {}, "kotoutumiskoulutus ja työnhaku"),
    ],
)
def test_cp1252_sent_as_utf8_is_read_as_cp1252(
    kind: str, path: tuple[str, ...], config: dict[str, str], expected: str
) -> None:
    text = fixture(*path).decode("utf-8").replace("–", "-").replace("»", ">")
    body = text.encode("cp1252")
    ctx = context("https://example.fi/", config=config, content_type="text/html; charset=utf-8")
    records = extract(kind, body, ctx).records
    texts = " ".join(f"{r.title} {r.description_text}" for r in records)
    assert expected in texts and "\ufffd" not in texts


def test_html_entities_in_titles_are_decoded_once_or_twice() -> None:
    page = fixture("jsonld", "rekrytointimessut.html").replace(
        b'"name": "Rekrytointimessut Kaapelitehtaalla"',
        b'"name": "Rekrytointimessut &amp;amp; CV-klinikka &#8211; Kaapelitehdas"',
    )
    (record,) = extract("jsonld", page, context("https://t.example.fi/")).records
    assert record.title == "Rekrytointimessut & CV-klinikka – Kaapelitehdas"


def test_entities_in_feed_titles() -> None:
    feed = fixture("rss", "bron-sv.xml").replace(
        "<title>Nätverkskväll för nyinflyttade</title>".encode(),
        b"<title>N&#228;tverkskv&#228;ll &amp;amp; mingel</title>",
    )
    titles = [r.title for r in extract("rss", feed, context("https://bron.example.fi/")).records]
    assert "Nätverkskväll & mingel" in titles


def test_billion_laughs_is_refused_with_bounded_memory() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ExtractError, match="refused"):
            extract("rss", BILLION_LAUGHS, context("https://evil.example/feed/"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title>'
        "<description>ke 20.1.2027 klo 10</description></item></channel></rss>"
    ).encode()
    with pytest.raises(ExtractError, match="refused") as caught:
        extract("rss", body, context("https://evil.example/feed/"))
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_entity_declaration_in_a_broken_feed_is_refused_too() -> None:
    body = BILLION_LAUGHS.replace(b"</rss>", b"").replace(b"<channel>", b"<channel><")
    with pytest.raises(ExtractError, match="refused"):
        extract("rss", body, context("https://evil.example/feed/"))


def test_impossible_date_in_json_ld_is_skipped_and_named() -> None:
    page = fixture("jsonld", "rekrytointimessut.html").replace(
        b"2027-01-14T10:00:00+02:00", b"2027-02-30T10:00:00+02:00"
    )
    result = extract("jsonld", page, context("https://t.example.fi/"))
    assert result.records == [] and result.skipped == 1
    assert "impossible date '2027-02-30T10:00:00+02:00'" in result.errors[0]


def test_impossible_date_in_a_calendar_is_skipped() -> None:
    body = fixture("ics", "outlook-fi.ics").replace(b"20270122T130000", b"20270230T130000")
    result = extract("ics", body, context("https://k.example.fi/cal.ics"))
    assert result.records == [] and result.skipped == 1


def test_impossible_date_in_the_api_is_skipped() -> None:
    body = fixture("linkedevents", "helsinki-page1.json").replace(
        b"2027-01-18T08:00:00Z", b"2027-02-30T08:00:00Z"
    )
    result = extract("linkedevents", body, context("https://api.example.fi/v1/event/"))
    assert len(result.records) == 1 and result.skipped == 1
    assert "helsinki:agq7rekry" in result.errors[0]


def test_json_api_that_returns_html_is_a_clear_error() -> None:
    body = fixture("linkedevents", "html-instead.html")
    with pytest.raises(
        ExtractError, match="expected JSON from a Linked Events API, got an HTML page"
    ):
        extract(
            "linkedevents",
            body,
            context("https://api.example.fi/v1/event/", content_type="text/html"),
        )


def test_json_of_another_shape_is_a_clear_error() -> None:
    with pytest.raises(ExtractError, match="unknown shape"):
        extract("linkedevents", b'{"results": []}', context("https://api.example.fi/v1/event/"))


def test_html_instead_of_a_calendar_or_a_feed() -> None:
    body = fixture("linkedevents", "html-instead.html")
    for kind in ("ics", "rss"):
        with pytest.raises(ExtractError, match="got an HTML page"):
            extract(kind, body, context("https://example.fi/events.ics"))


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ExtractError, match="available: jsonld, ics, rss, linkedevents, css"):
        extract("spreadsheet", b"x", context("https://example.fi/"))
