"""Without an admin password the admin pages say what to set and how, in fi, sv and en."""

from __future__ import annotations

import pytest

COMMAND = "VAHTI_WEB__ADMIN_PASSWORD=&#39;a long passphrase&#39; .venv/bin/vahti serve"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fi", ("Aseta VAHTI_WEB__ADMIN_PASSWORD", "käynnistä se uudelleen")),
        ("sv", ("Ange VAHTI_WEB__ADMIN_PASSWORD", "starta om den")),
        ("en", ("Set VAHTI_WEB__ADMIN_PASSWORD", "restart it")),
    ],
)
def test_the_closed_admin_says_what_to_set_and_how(  # type: ignore[no-untyped-def]
    web_factory, language: str, words: tuple[str, ...]
) -> None:
    web = web_factory(admin_password="")
    for path in ("/admin/", "/admin/sources"):
        page = web.client.get(path, headers={"Accept-Language": language})
        assert page.status_code == 403
        for word in words:
            assert word in page.text, page.text
        assert COMMAND in page.text, page.text


def test_with_a_password_the_admin_asks_for_it_instead(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory()  # positive control: the instructions are for the closed admin only
    page = web.client.get("/admin/login", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Set VAHTI_WEB__ADMIN_PASSWORD" not in page.text
