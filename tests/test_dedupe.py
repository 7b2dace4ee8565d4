"""Clustering, pure: which listings are one event, and which must stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from dedupe.cluster import cluster
from dedupe.model import APART, SAME, Decision, DedupeListing

HELSINKI_WINTER = timezone(timedelta(hours=2))
START = datetime(2027, 1, 14, 17, 0, tzinfo=HELSINKI_WINTER)


def listing(id_: int, title: str, source: int | None = None, **fields: Any) -> DedupeListing:
    values: dict[str, Any] = {
        "start_at": START,
        "venue": "Keskustakirjasto Oodi",
        "city": "Helsinki",
        "organiser": "Helsingin kaupungin työllisyyspalvelut",
        "url": f"https://site{source or id_}.example/e/{id_}",
    }
    values.update(fields)
    return DedupeListing(id=id_, source_id=source or id_, title=title, **values)


def groups(*items: DedupeListing, decisions: tuple[Decision, ...] = ()) -> list[list[int]]:
    return [c.listing_ids for c in cluster(list(items), decisions).clusters]


def test_prefix_status_and_case_variants_are_one_event() -> None:
    assert groups(
        listing(1, "CV-klinikka maahanmuuttajille"),
        listing(2, "Työpaja: CV-KLINIKKA MAAHANMUUTTAJILLE (täynnä)"),
        listing(3, "cv-klinikka maahanmuuttajille", venue="Oodi"),
    ) == [[1, 2, 3]]


def test_the_same_instant_in_any_representation_is_one_event() -> None:
    assert groups(
        listing(1, "Palkkaneuvottelun ABC", start_at=START),
        listing(2, "Palkkaneuvottelun ABC", start_at=START.astimezone(UTC)),
        listing(3, "Palkkaneuvottelun ABC", start_at=START.astimezone(timezone(timedelta(0)))),
    ) == [[1, 2, 3]]


def test_an_all_day_listing_joins_the_timed_one_of_that_day() -> None:
    day = datetime(2027, 1, 14, tzinfo=HELSINKI_WINTER)
    assert groups(
        listing(1, "Rekrytointimessut: IT-ala"),
        listing(2, "Rekry: IT-alan rekrytointimessut", start_at=day, all_day=True),
    ) == [[1, 2]]


def test_a_helsinki_time_stamped_as_utc_joins_its_event() -> None:
    slipped = datetime(2027, 1, 14, 17, 0, tzinfo=UTC)
    assert groups(
        listing(1, "Palkkaneuvottelun ABC"),
        listing(2, "Palkkaneuvottelun ABC", start_at=slipped, timezone="UTC"),
    ) == [[1, 2]]


def test_translated_titles_with_the_same_start_and_venue_are_one_event() -> None:
    assert groups(
        listing(1, "Mentorointiohjelma kansainvälisille osaajille – haku auki"),
        listing(
            2,
            "Mentoring programme for international talents – applications open",
            venue="Helsinki Central Library Oodi",
            organiser="City of Helsinki Employment Services",
        ),
        listing(
            3,
            "Mentorskapsprogram för internationella talanger – ansökan öppen",
            venue="Centrumbiblioteket Oodi",
            city="Helsingfors",
            organiser="Helsingfors stads sysselsättningstjänster",
        ),
    ) == [[1, 2, 3]]


def test_a_listing_with_titles_in_several_languages_matches_any_of_them() -> None:
    assert groups(
        listing(1, "Palkkatuki työnantajalle", titles={"en": "Pay subsidy for employers"}),
        listing(2, "PAY SUBSIDY FOR EMPLOYERS", venue=None, organiser=None),
    ) == [[1, 2]]


def test_a_shared_event_page_joins_whatever_the_titles_say() -> None:
    page = "https://www.aalto.fi/en/events/meet-the-employers"
    assert groups(
        listing(1, "Meet the employers at Dipoli", url=page),
        listing(2, "IT-alan rekrytointimessut", description_text=f"Ilmoittaudu: {page}/"),
    ) == [[1, 2]]


def test_a_page_one_source_uses_for_many_listings_is_no_evidence() -> None:
    calendar = "https://tapahtumat.example/kalenteri"
    assert groups(
        listing(1, "Työnhaku LinkedInissä", source=1, url=calendar),
        listing(2, "Palkkaneuvottelun ABC", source=1, url=calendar, venue="Stoa"),
        listing(3, "Yrittäjyyden infoilta", source=2, url=calendar),
    ) == [[1], [2], [3]]


def test_the_same_meeting_link_joins_webinars() -> None:
    link = "https://teams.microsoft.com/l/meetup-join/19%3aabc"
    assert groups(
        listing(1, "Webinaari: Työnhaku Suomessa", venue=None, city=None, online_url=link),
        listing(2, "Job search in Finland", venue=None, city=None, online_url=link),
    ) == [[1, 2]]


def test_weekly_occurrences_on_other_days_stay_apart() -> None:
    assert groups(
        *(
            listing(i, "Suomen kielen kahvila", start_at=START + timedelta(weeks=i))
            for i in range(1, 4)
        ),
        listing(9, "Suomen kielen kahvila", start_at=START + timedelta(weeks=1)),
    ) == [[1, 9], [2], [3]]


def test_two_talks_in_one_venue_at_one_time_stay_apart() -> None:
    assert groups(
        listing(1, "Työnhaku LinkedInissä"),
        listing(2, "Palkkaneuvottelun ABC"),
        listing(3, "Startup-rekrytointi-ilta: ohjelmistokehittäjät"),
    ) == [[1], [2], [3]]


def test_parts_of_a_course_stay_apart_even_as_all_day_listings() -> None:
    day = datetime(2027, 1, 14, tzinfo=HELSINKI_WINTER)
    assert groups(
        listing(1, "Työnhakuvalmennus, osa 1", start_at=START.replace(hour=9)),
        listing(2, "Työnhakuvalmennus, osa 2", start_at=START.replace(hour=13)),
        listing(3, "Työnhakuvalmennus osa 1", start_at=day, all_day=True),
        listing(4, "Työnhakuvalmennus osa 2", start_at=day, all_day=True),
        listing(5, "Job search coaching, part 2", start_at=START.replace(hour=13)),
    ) == [[1, 3], [2, 4, 5]]


def test_a_vague_all_day_listing_cannot_chain_two_sessions_of_one_day() -> None:
    day = datetime(2027, 1, 14, tzinfo=HELSINKI_WINTER)
    found = groups(
        listing(1, "CV-klinikka", start_at=START.replace(hour=10)),
        listing(2, "CV-klinikka", start_at=START.replace(hour=13)),
        listing(3, "CV-klinikka", start_at=day, all_day=True),
    )
    assert len(found) == 2 and [1, 2] not in found


def test_one_title_at_one_time_in_two_cities_stays_apart() -> None:
    assert groups(
        listing(1, "Rekrytointitapahtuma: Sote-ala", venue="Stoa"),
        listing(2, "Rekrytointitapahtuma: Sote-ala", venue="Logomo", city="Åbo"),
    ) == [[1], [2]]


def test_one_title_at_one_time_in_two_venues_of_one_city_stays_apart() -> None:
    assert groups(
        listing(1, "CV-klinikka maahanmuuttajille", venue="Itäkeskuksen kirjasto"),
        listing(2, "CV-klinikka maahanmuuttajille", venue="Kaisa-talo"),
    ) == [[1], [2]]


def test_course_levels_stay_apart() -> None:
    assert groups(
        listing(1, "Suomen kielen kurssi A1"),
        listing(2, "Suomen kielen kurssi A2"),
    ) == [[1], [2]]


def test_admin_same_joins_what_the_algorithm_keeps_apart() -> None:
    a = listing(1, "Työnhaku LinkedInissä")
    b = listing(2, "Palkkaneuvottelun ABC", start_at=START + timedelta(days=1))
    assert groups(a, b, decisions=(Decision(SAME, 1, 2),)) == [[1, 2]]


def test_admin_apart_splits_what_the_algorithm_joins() -> None:
    a = listing(1, "CV-klinikka maahanmuuttajille")
    b = listing(2, "CV-klinikka maahanmuuttajille")
    c = listing(3, "CV-klinikka maahanmuuttajille")
    assert groups(a, b, c, decisions=(Decision(APART, 1, 3),)) in ([[1, 2], [3]], [[1], [2, 3]])


def test_why_names_the_partner_the_rule_and_the_scores() -> None:
    found = cluster(
        [listing(1, "Palkkaneuvottelun ABC"), listing(2, "Seminaari: Palkkaneuvottelun ABC")]
    )
    why = found.clusters[0].why[2]
    assert why["with"] == 1
    assert why["rule"] == "title"
    assert why["title"] == 1.0 and why["time"] == "same" and why["venue"] is True


def test_clustering_does_not_depend_on_input_order() -> None:
    items = [
        listing(1, "CV-klinikka"),
        listing(2, "CV-klinikka", venue="Oodi"),
        listing(3, "Palkkaneuvottelun ABC"),
    ]
    assert groups(*items) == groups(*reversed(items))


# Titles in two languages, rewordings, and the look-alikes they must not swallow.


def test_titles_in_two_languages_at_one_instant_and_place_need_only_shared_concepts() -> None:
    found = cluster(
        [
            listing(1, "Volontärmässan – hitta ditt uppdrag", venue="Kulturcentret Stoa"),
            listing(2, "Vapaaehtoistyön messut", venue="Kulttuurikeskus Stoa"),
            listing(3, "Starting a business in Finland"),
            listing(4, "Oman yrityksen perustaminen Suomessa"),
        ]
    )
    assert [c.listing_ids for c in found.clusters] == [[1, 2], [3, 4]]
    assert found.clusters[1].why[3]["rule"] == "translation"
    assert found.clusters[1].why[3]["languages"] == "en/fi"


def test_two_titles_in_one_language_get_no_translation_allowance() -> None:
    assert groups(
        listing(1, "Harjoittelupaikat kansainvälisille opiskelijoille"),
        listing(2, "Kansainvälisten opiskelijoiden urapäivä"),
    ) == [[1], [2]]


def test_a_translation_by_another_organiser_at_one_place_and_hour_is_another_event() -> None:
    assert groups(
        listing(1, "Työnhakupaja maahanmuuttajille"),
        listing(2, "Job search workshop for immigrants", organiser="Luckan Integration"),
    ) == [[1], [2]]


def test_two_rooms_of_one_building_hold_two_events() -> None:
    assert groups(
        listing(1, "CV-työpaja", venue="Päärakennus, huone 115"),
        listing(2, "CV workshop", venue="Main Building, room 204"),
        listing(3, "CV-verkstad", venue="Huvudbyggnaden, rum 204"),
    ) == [[1], [2, 3]]


def test_a_venue_named_only_by_its_building_and_room_is_not_another_venue() -> None:
    assert groups(
        listing(1, "Työnantajapaneeli", venue="Päärakennus, sali 1"),
        listing(2, "Seminaari: työnantajapaneeli", venue="Main Building, Hall 1"),
    ) == [[1, 2]]


def test_translated_venue_names_are_one_venue() -> None:
    assert groups(
        listing(1, "Kielikahvila: puhutaan suomea", venue="Keskustakirjasto Oodi"),
        listing(2, "Språkcafé: vi pratar finska", venue="Centrumbiblioteket Ode", organiser=None),
    ) == [[1, 2]]


def test_titles_that_each_name_another_topic_stay_apart() -> None:
    assert groups(
        listing(1, "Suomen kielen kurssi maahanmuuttajille"),
        listing(2, "Swedish course for immigrants"),
        listing(3, "Verkostoitumisilta kansainvälisille opiskelijoille"),
        listing(4, "Networking evening for women in tech"),
    ) == [[1], [2], [3], [4]]


def test_a_vague_title_cannot_chain_two_topics() -> None:
    found = groups(
        listing(1, "Kielikurssi maahanmuuttajille", organiser=None),
        listing(2, "Suomen kielen kurssi maahanmuuttajille"),
        listing(3, "Ruotsin kielen kurssi maahanmuuttajille"),
    )
    assert len(found) == 2
    assert [2] in found or [3] in found


def test_a_title_with_words_added_at_the_same_hour_is_one_event() -> None:
    assert groups(
        listing(1, "Kesätyömessut"),
        listing(2, "Kesätyömessut nuorille ja opiskelijoille"),
    ) == [[1, 2]]


def test_a_year_in_one_title_only_says_nothing() -> None:
    assert groups(
        listing(1, "Kesätyömessut 2027"),
        listing(2, "Kesätyömessut nuorille ja opiskelijoille", organiser=None),
    ) == [[1, 2]]


def test_a_title_contained_in_another_at_another_hour_stays_apart() -> None:
    assert groups(
        listing(1, "Kesätyömessut", start_at=START.replace(hour=10)),
        listing(2, "Kesätyömessut nuorille ja opiskelijoille", start_at=START.replace(hour=13)),
    ) == [[1], [2]]


def test_a_typo_that_loses_a_topic_keeps_no_pair_apart() -> None:
    assert groups(
        listing(1, "Palkkanevuottelun ABC insinöörit nuorille", organiser=None),
        listing(2, "Palkkaneuvottelun ABC insinööritn uorille"),
    ) == [[1, 2]]


def test_worker_processes_give_the_same_clusters_and_reasons() -> None:
    """The labelled set scored in two worker processes: the same clusters, the same reasons
    and the same counts as in one process."""
    from tests.support.labelled import listings as labelled

    items, _labels = labelled()
    alone = cluster(items, processes=1)
    shared = cluster(items, processes=2)
    assert [c.listing_ids for c in shared.clusters] == [c.listing_ids for c in alone.clusters]
    assert [c.why for c in shared.clusters] == [c.why for c in alone.clusters]
    assert shared.candidate_pairs == alone.candidate_pairs > 0
    assert any(len(c.listing_ids) > 1 for c in alone.clusters)
