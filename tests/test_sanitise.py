"""The one cleaner of scraped text (text.sanitise): what it drops and keeps per kind of field."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from text.sanitise import (
    CONTROL,
    FORMAT_CHARS,
    clean_data,
    clean_id,
    clean_text,
    clean_url,
    one_line,
    sanitise_html,
    strip_controls,
)

HOSTILE = (
    "Työ\x00paja \x1b[31mpunainen\x1b[0m \x85C1\x9b2J \u202eesrever\u202c "
    "zero\u200bwidth\u2066iso\u2069 soft\u00adhyphen \ufeffbom\u200e\u200f\u061c end"
)


def printable_everywhere(text: str) -> bool:
    """No C0/C1 control (but newline and tab), format character or surrogate."""
    return all(
        ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
        for ch in text
    )


def test_a_hostile_title_becomes_one_clean_line() -> None:
    cleaned = clean_text(HOSTILE)
    assert cleaned == "Työpaja punainen C12J esrever zerowidthiso softhyphen bom end"
    assert printable_everywhere(cleaned)


def test_clean_text_keeps_what_is_visible() -> None:
    # Positive control: letters of every kind, emoji with a variation selector, NBSP as space.
    text = "Työpaja – Åbo: «Ελληνικά» 中文 ♥️ café\u00a0bar"
    assert clean_text(text) == "Työpaja – Åbo: «Ελληνικά» 中文 ♥️ café bar"


@pytest.mark.parametrize("code", [*range(0x00, 0x20), *range(0x7F, 0xA0)])
def test_every_c0_and_c1_control_leaves_one_line(code: int) -> None:
    cleaned = clean_text(f"a{chr(code)}b")
    assert cleaned in ("ab", "a b")
    assert not CONTROL.search(cleaned)


def test_line_breaks_and_tabs_are_spaces_in_one_line_and_lines_in_many() -> None:
    text = "one\ttwo\r\nthree\rfour\x0bfive\x0csix\x85seven\u2028eight\u2029nine"
    assert strip_controls(text) == "one two three four five six seven eight nine"
    assert strip_controls(text, multiline=True) == (
        "one\ttwo\nthree\nfour\nfive\nsix\nseven\neight\nnine"
    )


def test_terminal_escape_sequences_go_whole() -> None:
    assert strip_controls("\x1b[1;31mred\x1b[0m") == "red"
    assert strip_controls("\x1b]8;;https://evil.example/\x07click\x1b]8;;\x1b\\") == "click"
    assert strip_controls("\x1b]0;title\x07x") == "x"
    assert strip_controls("\x9b31mred") == "31mred"  # a C1 CSI goes alone
    # An unterminated OSC does not swallow the text after it: only ESC goes.
    assert strip_controls("\x1b]not a sequence") == "]not a sequence"


def test_every_format_character_of_this_python_is_dropped() -> None:
    every_cf = [
        chr(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"
    ]
    assert len(every_cf) > 150
    text = "x".join(every_cf)
    assert strip_controls(text) == "x" * (len(every_cf) - 1)
    assert all(CONTROL.match(ch) for ch in every_cf)
    assert "\u202e" in every_cf and "\u200d" in every_cf  # RLO, ZWJ
    assert FORMAT_CHARS.startswith("\u00ad")


def test_zero_width_joiner_in_emoji_is_dropped_the_emoji_stay() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(family) == "\U0001f468\U0001f469\U0001f467"


def test_lone_surrogates_are_dropped() -> None:
    assert strip_controls("a\ud800b\udfffc") == "abc"
    assert clean_text("a\ud83db") == "ab"
    assert one_line("x\ud800") == "x"


def test_entities_that_decode_to_controls_are_dropped() -> None:
    assert clean_text("a&#27;[31mb&#x202e;c&#x200b;d&#0;e") == "a[31mbcd\ufffde"
    html, text = sanitise_html("<p>a&#27;[2Jb&#x202e;c</p>")
    assert "\x1b" not in html and "\u202e" not in html
    assert text == "abc"


def test_a_description_keeps_its_lines_and_loses_its_controls() -> None:
    html, text = sanitise_html("Rivi yksi\x00\x1b[2J\r\n\r\nRivi kaksi\u202e\tja\x07 kolme")
    assert text == "Rivi yksi\n\nRivi kaksi ja kolme"
    assert html == "<p>Rivi yksi</p><p>Rivi kaksi\tja kolme</p>"
    assert printable_everywhere(html) and printable_everywhere(text)


def test_links_and_ids_lose_controls_and_keep_their_characters() -> None:
    assert clean_url(" https://x.fi/a\x00b\tc\nd\u202e?q=1 ") == "https://x.fi/abcd?q=1"
    assert clean_url("\x00\u200b") is None and clean_url(None) is None
    assert clean_id("uid-1\x00@x.fi") == "uid-1@x.fi"
    assert clean_id(" keep  spaces ") == " keep  spaces "  # a key stays what it was
    assert clean_id("\x00") is None


def test_json_data_is_cleaned_keys_and_values() -> None:
    data = {"a\x00": ["b\x1b[1mc", {"d": "e\u202ef\nline"}], "n": 3, "z": None}
    assert clean_data(data) == {"a": ["bc", {"d": "ef\nline"}], "n": 3, "z": None}


def test_one_line_reads_no_html() -> None:
    assert one_line("HTTP 500: <b>broken</b>\x1b[2J\n  again") == "HTTP 500: <b>broken</b> again"
    assert one_line(None) == ""


def test_a_whole_html_document_gives_its_body_text() -> None:
    document = (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Tiedote</title>"
        "<style>p { color: red }</style></head><body><p>Tervetuloa <b>mukaan</b>!</p>"
        "<script>track()</script></body></html>"
    )
    safe, text = sanitise_html(document)
    assert text == "Tervetuloa mukaan!"
    assert safe == "<p>Tervetuloa <b>mukaan</b>!</p>"
