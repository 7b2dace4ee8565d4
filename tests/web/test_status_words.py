"""One word per source health and crawl-run status: in fi, sv and en, and the same in the CLI
(English) as on the admin pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.messages.pofile import read_po

from locales import LANGUAGES, gettext, po_path
from store import vocab
from store.models import CrawlRun
from tests.web.conftest import WebEnv
from tests.web.test_admin import log_in
from vahti.cli.progress import health_word, status_word
from web import i18n

VALUES = [
    *((i18n.HEALTH_LABELS, state) for state in vocab.HEALTHS),
    *((i18n.RUN_STATUS_LABELS, status) for status in vocab.RUN_STATUSES),
]


def test_the_label_tables_cover_the_vocabularies_exactly() -> None:
    assert set(i18n.HEALTH_LABELS) == set(vocab.HEALTHS)
    assert set(i18n.RUN_STATUS_LABELS) == set(vocab.RUN_STATUSES)
    assert "bogus" not in i18n.HEALTH_LABELS and "bogus" not in i18n.RUN_STATUS_LABELS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_health_and_run_status_has_a_word_in_each_language(language: str) -> None:
    with po_path(language).open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle, locale=language) if m.id}
    for labels, value in VALUES:
        msgid = labels[value]
        assert catalog.get(msgid), f"{value!r}: {msgid!r} has no {language} word"
        word = gettext(language, msgid)
        # English is the msgid itself; Finnish and Swedish are translated.
        assert (word == msgid) == (language == "en"), (language, msgid, word)


def test_the_cli_says_the_english_word_of_the_web() -> None:
    for state in vocab.HEALTHS:
        assert health_word(state) == gettext("en", i18n.HEALTH_LABELS[state])
    for status in vocab.RUN_STATUSES:
        assert status_word(status) == gettext("en", i18n.RUN_STATUS_LABELS[status])
    assert health_word(vocab.HEALTH_DEGRADED) == "Degraded"
    assert status_word(vocab.RUN_NOT_MODIFIED) == "Not modified"
    assert status_word("something-new") == "something-new"  # shown as stored


def test_the_cli_and_the_admin_page_show_the_same_word(web_factory, run_vahti) -> None:  # type: ignore[no-untyped-def]
    web: WebEnv = web_factory()
    log_in(web)
    source_id = web.add_source(health=vocab.HEALTH_DEGRADED, health_reason="3 errors")
    with web.db.sessions.begin() as session:
        session.add(
            CrawlRun(
                source_id=source_id,
                started_at=web.clock.now - timedelta(hours=1),
                status=vocab.RUN_SUSPECT,
            )
        )
    env = {"VAHTI_DATABASE__URL": web.db.url, "COLUMNS": "200"}
    shown = run_vahti("sources", "show", str(source_id), env=env)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    listed = run_vahti("sources", "list", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    english = web.client.get(f"/admin/sources/{source_id}?lang=en").text
    finnish = web.client.get(f"/admin/sources/{source_id}?lang=fi").text
    for word in ("Degraded", "Suspect: listings vanished"):
        assert word in shown.stdout and word in english, word
        assert word not in finnish, word
    assert "Degraded" in listed.stdout
    assert "Heikentynyt" in finnish and "Epäilyttävä: tapahtumia katosi" in finnish
    # The stored values are not what people read.
    assert "degraded" not in shown.stdout.replace("Degraded", "")
