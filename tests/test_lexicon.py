"""Categories and audiences from titles (text.lexicon on YSO labels and text.morphology).

The Snowball fallback is always tested (a vocabulary built without Voikko); the Voikko tests
skip with a reason where Debian's libvoikko or its Finnish dictionary is absent.
"""

from __future__ import annotations

import json

import pytest

from store import vocab
from text import lexicon
from text.morphology import base_forms, voikko_available, word_forms

needs_voikko = pytest.mark.skipif(
    not voikko_available(),
    reason="Debian's libvoikko1 and voikko-fi are not installed (make morphology)",
)


def categories(title: str, use_voikko: bool = True) -> set[str]:
    return lexicon.category_vocabulary(use_voikko).found(title.casefold())


def test_the_yso_file_names_real_concepts_in_three_languages() -> None:
    data = json.loads(lexicon.YSO_CONCEPTS.read_text(encoding="utf-8"))
    assert "CC BY 4.0" in data["licence"]
    values = set(vocab.CATEGORIES) | set(vocab.AUDIENCES)
    for concept in data["concepts"]:
        assert concept["uri"].startswith("http://www.yso.fi/onto/yso/p")
        assert set(concept["labels"]) == {"fi", "sv", "en"}
        assert (concept.get("category") or concept.get("audience")) in values
    mentoring = next(c for c in data["concepts"] if c["uri"].endswith("/p298"))
    assert mentoring["labels"] == {"fi": "mentorointi", "sv": "mentorskap", "en": "mentoring"}


@pytest.mark.parametrize("use_voikko", [False, True])
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Recruitment Day at Messukeskus", {"job-fair"}),
        ("Rekrytointitilaisuus: kesätyöt", {"job-fair"}),
        ("Rekryteringsdag för vården", {"job-fair"}),
        ("Rekryilta: ravintola-ala", {"job-fair"}),
        ("Tietoisku: työmarkkinatuki", {"info-session"}),
        ("Infobitit yrittäjille", {"info-session"}),
        ("Kesätyöinfo nuorille", {"info-session"}),
        ("Frivilliga sökes: informationsträff", {"info-session", "volunteering"}),
        ("Kielikahvila", {"networking"}),
        ("Språkkafé på biblioteket", {"networking"}),
        ("Puhutaan suomea -keskusteluryhmä", {"networking"}),
        ("Vapaaehtoisilta", {"volunteering"}),
        ("Volontärträff", {"volunteering"}),
        ("Mentorskapsprogram för kvinnor", {"mentoring"}),
        ("Verkkoseminaari: Palkkatuki", {"webinar"}),
        ("Online talk: CV tips", {"webinar"}),
        ("Career coaching for graduates", {"course"}),
        ("Seminaarissa puhutaan työllisyydestä", {"seminar"}),
        ("Joulujuhla", set()),
        ("Kevätkonsertti Messukeskuksessa", set()),
    ],
)
def test_categories_of_titles(title: str, expected: set[str], use_voikko: bool) -> None:
    if use_voikko and not voikko_available():
        pytest.skip("Debian's libvoikko1 and voikko-fi are not installed (make morphology)")
    assert categories(title, use_voikko) == expected


def test_a_weak_word_counts_only_alone() -> None:
    """ "träff" (a get-together) is networking alone, but a recruitment träff is a job fair."""
    assert categories("Träff för nya i stan", use_voikko=False) == {"networking"}
    assert categories("Rekryteringsträff för invandrare", use_voikko=False) == {"job-fair"}


def test_the_longest_match_in_a_word_wins() -> None:
    assert categories("Seminaari", use_voikko=False) == {"seminar"}
    assert categories("Verkkoseminaari", use_voikko=False) == {"webinar"}


@needs_voikko
def test_voikko_reads_inflected_finnish() -> None:
    assert base_forms("rekrytoinnin") == {"rekrytointi"}
    assert "palkkatuki" in word_forms("palkkatuesta", "fi")
    assert categories("Rekrytoinnin aamu: kaupan ala") == {"job-fair"}
    assert lexicon.audience_vocabulary().found("tietoisku palkkatuesta työnantajille") == {
        "unemployed"
    }


def test_snowball_alone_misses_what_only_voikko_reads() -> None:
    """The fallback degrades, it does not fail: a consonant-graded form ("palkkatuesta",
    from "palkkatuki") is not read."""
    audiences = lexicon.audience_vocabulary(use_voikko=False)
    assert audiences.found("tietoisku palkkatuesta työnantajille") == set()
    assert audiences.found("tietoisku palkkatuesta työttömille") == {"unemployed"}
    assert "palkkatuki" not in word_forms("palkkatuesta", "fi", use_voikko=False)


def test_the_shared_lexicon_is_the_one_normalise_uses() -> None:
    assert lexicon.categories_in("Rekrytointipäivä ja CV-klinikka") == ("job-fair", "workshop")
    assert lexicon.audiences_in("Mentorointiohjelma maahanmuuttajanaisille") == (
        "immigrants",
        "women",
    )
