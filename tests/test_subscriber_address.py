"""services.subscribers.check_address: the one e-mail address check (email-validator, no DNS)."""

from __future__ import annotations

import pytest

from services.subscribers import MAX_LOCAL_PART, BadAddress, check_address


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("pekka@esimerkki.fi", "pekka@esimerkki.fi"),
        ("Pekka@Esimerkki.FI", "Pekka@esimerkki.fi"),  # the local part's case is kept
        ("åsa@exempel.se", "åsa@exempel.se"),
        ("a\u0308sa@exempel.se", "äsa@exempel.se"),  # Unicode in NFC
        ("kirja@Bücher.de", "kirja@xn--bcher-kva.de"),  # the domain in its ASCII form
        ("kirja@xn--bcher-kva.de", "kirja@xn--bcher-kva.de"),
        (" \tpekka@esimerkki.fi\t ", "pekka@esimerkki.fi"),  # blanks around are cut
        ("first.last+digest@sub.esimerkki.fi", "first.last+digest@sub.esimerkki.fi"),
        ("x" * MAX_LOCAL_PART + "@esimerkki.fi", "x" * MAX_LOCAL_PART + "@esimerkki.fi"),
    ],
)
def test_good_addresses_are_stored_in_one_form(raw: str, stored: str) -> None:
    assert check_address(raw) == stored
    assert check_address(stored) == stored  # checking a stored address changes nothing


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "pekka",
        "pekka@",
        "@esimerkki.fi",
        "pekka@esimerkki",
        "pekka@@esimerkki.fi",
        "pekka virtanen@esimerkki.fi",
        "pekka\x00@esimerkki.fi",
        "pekka@esimerkki.fi\x00",
        "pekka@esimerkki.fi\n",  # only blanks and tabs are cut, never a line break
        "pekka\r@esimerkki.fi",
        "pekka\n@esimerkki.fi",
        "pekka\x7f@esimerkki.fi",  # DEL
        "pekka\x85@esimerkki.fi",  # C1 (NEL)
        "pekka\x9b@esimerkki.fi",  # C1 (CSI)
        "pek\tka@esimerkki.fi",
        "pekka\u202e@esimerkki.fi",  # bidi override
        "pekka@esimerkki\u200f.fi",  # right-to-left mark
        "pek\u200bka@esimerkki.fi",  # zero-width space
        '"pekka"@esimerkki.fi',  # quoted local part
        "Pekka <pekka@esimerkki.fi>",  # display name
        "pekka@[192.0.2.1]",  # IP address domain
        "pekka@localhost",
        "pekka@kone.local",
        "pekka@esimerkki.test",
        "pekka@esimerkki.invalid",
        "x" * (MAX_LOCAL_PART + 1) + "@esimerkki.fi",
        "ä" * 33 + "@esimerkki.fi",  # 33 characters, 66 bytes
        "pekka@" + ".".join(["a" * 60] * 5) + ".fi",  # 313 characters
        "pekka@" + ".".join(["ä" * 10 + "b" * 10] * 8) + ".fi",  # 176 characters, 256 bytes
        "pekka@esimerkki.fi" + " " * 300 + "x",
    ],
)
def test_bad_addresses_are_refused_with_one_line_naming_them(raw: str) -> None:
    with pytest.raises(BadAddress) as caught:
        check_address(raw)
    message = str(caught.value)
    assert "is not an e-mail address" in message
    assert "\n" not in message and "\r" not in message and "\x00" not in message
