"""Choosing and ranking a subscriber's events (pure: preferences, events, history, now)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from digest.match import match_event
from digest.model import DEADLINE, UPCOMING, UPDATE, DigestItem, Reason, SentItem
from digest.pool import EventPool
from digest.select import Selections, rank_key, select_digest
from store import vocab
from tests.support.digest import event_view, prefs


def ids(digest, section=None):  # type: ignore[no-untyped-def]
    return [i.event.id for i in digest.items if section is None or i.section == section]


def pick(now: datetime, events, sent=None, **preferences):  # type: ignore[no-untyped-def]
    pool = EventPool(events, now)
    return select_digest(prefs(**preferences), pool, sent or {}, now)


def test_only_events_in_the_upcoming_window_are_picked(now: datetime) -> None:
    soon = event_view(now, days=3)
    last_day = event_view(now, days=13.9)
    too_late = event_view(now, days=15)
    past = event_view(now, days=-1)
    digest = pick(now, [soon, last_day, too_late, past])
    assert ids(digest) == [soon.id, last_day.id]


def test_categories_filter_and_keywords_widen_them(now: datetime) -> None:
    fair = event_view(now, categories=("job-fair",))
    seminar = event_view(now, categories=("seminar",))
    python = event_view(now, categories=("course",), title="Python-ohjelmoinnin kurssi")
    digest = pick(now, [fair, seminar, python], categories=("job-fair",), keywords=("python",))
    assert set(ids(digest)) == {fair.id, python.id}


def test_keywords_match_titles_and_descriptions_in_every_language(now: datetime) -> None:
    swedish_title = event_view(now, title="Kurs", titles={"sv": "Rekryteringsmässa i Vasa"})
    finnish_text = event_view(now, title="Info", descriptions={"fi": "Kesärekrytointi alkaa"})
    neither = event_view(now, title="Kahvit", description_text="Tervetuloa")
    digest = pick(
        now, [swedish_title, finnish_text, neither], keywords=("rekryteringsmässa", "rekrytointi")
    )
    assert set(ids(digest)) == {swedish_title.id, finnish_text.id}


def test_short_keywords_match_whole_words_only(now: datetime) -> None:
    it_fair = event_view(now, title="IT-alan rekrytointipäivä")
    digital = event_view(now, title="Digital marketing basics")
    digest = pick(now, [it_fair, digital], keywords=("IT",))
    assert ids(digest) == [it_fair.id]


def test_cities_plus_online_too(now: datetime) -> None:
    helsinki = event_view(now, city="Helsinki")
    tampere = event_view(now, city="Tampere")
    webinar = event_view(now, city=None, attendance=vocab.ONLINE)
    hybrid_turku = event_view(now, city="Turku", attendance=vocab.HYBRID)
    events = [helsinki, tampere, webinar, hybrid_turku]
    with_online = pick(now, events, cities=("helsinki",), include_online=True)
    without_online = pick(now, events, cities=("Helsinki",), include_online=False)
    assert set(ids(with_online)) == {helsinki.id, webinar.id, hybrid_turku.id}
    assert ids(without_online) == [helsinki.id]


def test_no_cities_and_no_online_leaves_out_online_only_events(now: datetime) -> None:
    onsite = event_view(now, city="Oulu")
    webinar = event_view(now, city=None, attendance=vocab.ONLINE)
    assert ids(pick(now, [onsite, webinar], include_online=False)) == [onsite.id]


def test_event_languages_and_audiences_filter(now: datetime) -> None:
    english = event_view(now, language="en")
    bilingual = event_view(now, language="fi", languages=("fi", "en"))
    finnish = event_view(now, language="fi")
    for_women = event_view(now, language="en", audiences=("women",))
    for_newcomers = event_view(now, language="en", audiences=("immigrants",))
    digest = pick(
        now,
        [english, bilingual, finnish, for_women, for_newcomers],
        event_languages=("en",),
        audiences=("immigrants",),
    )
    assert set(ids(digest)) == {english.id, bilingual.id, for_newcomers.id}


def test_calls_with_a_near_deadline_get_their_own_section(now: datetime) -> None:
    call = event_view(now, days=40, categories=("mentoring",), deadline_at=now + timedelta(days=10))
    far_call = event_view(now, days=60, deadline_at=now + timedelta(days=30))
    closed = event_view(now, days=5, deadline_at=now - timedelta(days=1))
    digest = pick(now, [call, far_call, closed])
    assert ids(digest, DEADLINE) == [call.id]
    assert ids(digest, UPCOMING) == []


def test_cancelled_and_postponed_events_are_not_new(now: datetime) -> None:
    cancelled = event_view(now, status=vocab.CANCELLED)
    postponed = event_view(now, status=vocab.POSTPONED)
    rescheduled = event_view(now, status=vocab.RESCHEDULED)
    assert ids(pick(now, [cancelled, postponed, rescheduled])) == [rescheduled.id]


def test_an_event_sent_before_is_never_repeated_unchanged(now: datetime) -> None:
    event = event_view(now)
    sent = {event.id: SentItem(event.id, event.start_at, event.status, None)}
    assert pick(now, [event], sent).empty


def test_changed_events_appear_once_as_updates(now: datetime) -> None:
    cancelled = event_view(now, status=vocab.CANCELLED)
    moved = event_view(now, days=4)
    new_deadline = event_view(now, days=30, deadline_at=now + timedelta(days=12))
    sent = {
        cancelled.id: SentItem(cancelled.id, cancelled.start_at, vocab.SCHEDULED),
        moved.id: SentItem(moved.id, now + timedelta(days=2), vocab.SCHEDULED),
        new_deadline.id: SentItem(
            new_deadline.id, new_deadline.start_at, vocab.SCHEDULED, now + timedelta(days=5)
        ),
    }
    digest = pick(now, [cancelled, moved, new_deadline], sent)
    changes = {item.event.id: item.changes for item in digest.section(UPDATE)}
    assert changes == {
        cancelled.id: ("cancelled",),
        moved.id: ("rescheduled",),
        new_deadline.id: ("deadline",),
    }
    # The digest that told the change records the new state: next week nothing is repeated.
    told = {
        item.event.id: SentItem(
            item.event.id, item.event.start_at, item.event.status, item.event.deadline_at
        )
        for item in digest.items
    }
    assert pick(now, [cancelled, moved, new_deadline], told).empty


def test_a_cancellation_of_an_event_already_past_is_not_told(now: datetime) -> None:
    gone = event_view(now, days=-2, status=vocab.CANCELLED)
    sent = {gone.id: SentItem(gone.id, gone.start_at, vocab.SCHEDULED)}
    assert pick(now, [gone], sent).empty


def test_ranked_by_match_quality_then_date(now: datetime) -> None:
    later_title_hit = event_view(now, days=9, title="Python meetup")
    soon_text_hit = event_view(now, days=2, description_text="We talk python too")
    soonest_category = event_view(now, days=1, categories=("workshop",))
    digest = pick(
        now,
        [soonest_category, soon_text_hit, later_title_hit],
        categories=("workshop",),
        keywords=("python",),
    )
    assert ids(digest) == [later_title_hit.id, soonest_category.id, soon_text_hit.id]


def test_equal_matches_go_by_date_then_deadline(now: datetime) -> None:
    a = event_view(now, days=3, deadline_at=now + timedelta(days=2))
    b = event_view(now, days=3, start_at=now + timedelta(days=3), deadline_at=now + timedelta(1))
    c = event_view(now, days=1)
    assert ids(pick(now, [a, b, c])) == [c.id, b.id, a.id]


def test_at_most_max_items_new_events(now: datetime) -> None:
    events = [event_view(now, days=1 + i / 10) for i in range(30)]
    digest = pick(now, events, max_items=5)
    assert ids(digest) == [e.id for e in events[:5]]


def test_each_item_says_why_it_is_there(now: datetime) -> None:
    fair = event_view(now, categories=("job-fair",), city="Helsinki", language="en")
    digest = pick(now, [fair], categories=("job-fair",), cities=("Helsinki",))
    assert digest.items[0].reasons == (
        Reason("category", "job-fair"),
        Reason("city", "Helsinki"),
        Reason("language", "en"),
    )


def test_a_hybrid_event_is_in_for_its_online_part_only_when_the_city_is_not_wanted(
    now: datetime,
) -> None:
    hybrid = event_view(now, city="Espoo", attendance=vocab.HYBRID, categories=())
    anywhere = pick(now, [hybrid])
    helsinki_or_online = pick(now, [hybrid], cities=("Helsinki",))
    assert [r.kind for r in anywhere.items[0].reasons] == ["city", "language"]
    assert [r.kind for r in helsinki_or_online.items[0].reasons] == ["online", "language"]


def test_the_pool_picks_and_ranks_exactly_as_the_rules_say(now: datetime) -> None:
    """The pool's indexes and set-summed scores against brute force with digest.match."""
    rng = random.Random(7)
    cities = ["Helsinki", "Espoo", "Tampere", None]
    words = ["python", "rekrytointi", "mentor", "IT", "kahvi"]
    events = [
        event_view(
            now,
            days=rng.uniform(0.1, 40),
            city=rng.choice(cities),
            attendance=rng.choice(vocab.ATTENDANCE_MODES),
            language=rng.choice(vocab.EVENT_LANGUAGES),
            categories=tuple(rng.sample(vocab.CATEGORIES, rng.randint(0, 2))),
            audiences=tuple(rng.sample(vocab.AUDIENCES, rng.randint(0, 1))),
            title=" ".join(rng.sample(words, 2)),
            description_text=rng.choice(words),
            deadline_at=now + timedelta(days=rng.uniform(-2, 30)) if rng.random() < 0.3 else None,
        )
        for _ in range(300)
    ]
    pool = EventPool(events, now)
    non_trivial = 0
    for _ in range(300):
        wanted = prefs(
            categories=tuple(rng.sample(vocab.CATEGORIES, rng.randint(0, 2))),
            keywords=tuple(rng.sample(words, rng.randint(0, 2))),
            cities=tuple(c for c in rng.sample(cities, rng.randint(0, 2)) if c),
            include_online=rng.random() < 0.5,
            event_languages=tuple(rng.sample(vocab.LANGUAGES, rng.randint(0, 2))),
            audiences=tuple(rng.sample(vocab.AUDIENCES, rng.randint(0, 2))),
            max_items=rng.randint(1, 25),
        )
        sent = {e.id: SentItem(e.id, e.start_at, e.status) for e in rng.sample(events, 20)}
        brute = []
        for event in events:
            found = match_event(event, wanted)
            section = pool.sections.get(event.id)
            if found is not None and section is not None and event.id not in sent:
                brute.append(DigestItem(event, section, found.score, found.reasons))
        brute.sort(key=rank_key)
        expected = [(i.event.id, i.score, i.reasons) for i in brute[: wanted.max_items]]
        digest = select_digest(wanted, pool, sent, now)
        got = [(i.event.id, i.score, i.reasons) for i in digest.items if i.section != UPDATE]
        assert got == expected
        non_trivial += len(brute) > wanted.max_items and any(i.score for i in brute)
    assert non_trivial > 50


def test_subscribers_with_the_same_preferences_and_history_share_one_selection(
    now: datetime,
) -> None:
    """digest.select.Selections: one selection per group (preferences without the address,
    and history), each member's digest equal to its own select_digest, under its own address."""
    rng = random.Random(11)
    words = ["python", "mentor", "IT"]
    events = [
        event_view(
            now,
            days=rng.uniform(0.1, 13),
            city=rng.choice(["Helsinki", "Espoo", None]),
            categories=tuple(rng.sample(vocab.CATEGORIES, 1)),
            title=" ".join(rng.sample(words, 2)),
            status=vocab.CANCELLED if rng.random() < 0.1 else vocab.SCHEDULED,
        )
        for _ in range(120)
    ]
    pool = EventPool(events, now)
    selections = Selections(pool, now)
    old = {
        e.id: SentItem(e.id, e.start_at - timedelta(days=1), vocab.SCHEDULED) for e in events[:5]
    }
    profiles = [
        {"categories": ("seminar",), "max_items": 5},
        {"keywords": ("python",), "cities": ("Espoo",)},
        {"categories": ("seminar",), "max_items": 5, "language": "fi"},  # another language
    ]
    members = [
        (prefs(email=f"reader{n}@example.fi", **profiles[n % 3]), old if n % 2 else {})
        for n in range(30)
    ]
    for wanted, sent in members:
        digest = selections.select(wanted, sent)
        assert digest == select_digest(wanted, pool, sent, now)
        assert digest.preferences.email == wanted.email
    # Three profiles times two histories: six selections, the other 24 digests reused.
    assert (selections.selected, selections.reused) == (6, 24)
    assert ids(selections.select(*members[0])) != ids(selections.select(*members[1]))


def test_selections_stay_bounded(now: datetime) -> None:
    pool = EventPool([event_view(now) for _ in range(5)], now)
    selections = Selections(pool, now, max_groups=3)
    for n in range(10):
        selections.select(prefs(max_items=n + 1), {})
    assert len(selections._digests) == 3 and selections.selected == 10
    selections.select(prefs(max_items=10), {})  # the newest group is still kept
    assert selections.reused == 1
