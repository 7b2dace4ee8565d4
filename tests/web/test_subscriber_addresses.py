"""One address check behind every door: the sign-up form, the CSV import and the command line
refuse the same bad addresses and store the same good ones in the same form."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from services.subscribers import check_address
from store.db import make_engine, session_factory
from store.models import Subscriber
from tests.web.conftest import WebEnv

BAD = {
    "NUL": "anna\x00@example.fi",
    "CR/LF": "anna@example.fi\r\nBcc: eve@example.fi",
    "space": "anna virtanen@example.fi",
    "no domain": "anna@",
    "bidi control": "anna\u202e@example.fi",
}
# As typed -> as stored: the local part as given, the domain in lower case and in ASCII.
GOOD = {
    "pekka@esimerkki.fi": "pekka@esimerkki.fi",
    "åsa@exempel.se": "åsa@exempel.se",
    "Pekka.Virtanen@Esimerkki.FI": "Pekka.Virtanen@esimerkki.fi",
    "kirja@Bücher.de": "kirja@xn--bcher-kva.de",
}
FORM = {"language": "fi", "categories": ["job-fair"], "day": "mon", "hour": "8", "website": ""}


def test_the_one_check_itself_agrees_with_the_tables() -> None:
    for raw in BAD.values():
        with pytest.raises(ValueError, match="is not an e-mail address"):
            check_address(raw)
    assert {check_address(raw) for raw in GOOD} == set(GOOD.values())


@pytest.mark.postgres
def test_the_sign_up_form_refuses_the_bad_and_stores_the_good(web: WebEnv) -> None:
    for name, raw in BAD.items():
        page = web.client.post("/subscribe?lang=en", data={**FORM, "email": raw})
        assert page.status_code == 400, name
        assert "Enter an e-mail address such as name@example.fi." in page.text, name
    with web.db.sessions() as session:
        assert session.scalars(select(Subscriber)).all() == []
    assert web.mails() == []
    for raw in GOOD:
        assert web.client.post("/subscribe", data={**FORM, "email": raw}).status_code == 200
    with web.db.sessions() as session:
        stored = set(session.scalars(select(Subscriber.email)))
    assert stored == set(GOOD.values())
    assert len(web.mails()) == len(GOOD)


def test_the_csv_import_reports_the_bad_rows_and_imports_the_good_ones(
    run_vahti,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "language"])
        # A good row, then the bad ones each between two good ones.
        goods, bads = list(GOOD), list(BAD.values())
        writer.writerow([goods[0], "fi"])
        for index, raw in enumerate(bads):
            writer.writerow([raw, "fi"])
            if index + 1 < len(goods):
                writer.writerow([goods[index + 1], "sv"])
    result = run_vahti("subscribers", "import", str(path))
    assert result.returncode == 1, result.stderr
    assert f"{len(GOOD)} added, 0 updated" in result.stdout
    refused = [line for line in result.stderr.splitlines() if "is not an e-mail address" in line]
    # Line numbers as in the file: the CR/LF row spans two physical lines.
    assert [line.split(":")[1] for line in refused] == ["3", "5", "8", "10", "11"]
    assert f"{len(BAD)} row(s) not imported" in result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'vahti.db'}")
    with session_factory(engine)() as session:
        stored = set(session.scalars(select(Subscriber.email)))
    engine.dispose()
    assert stored == set(GOOD.values())


def test_the_command_line_refuses_the_bad_and_stores_the_good(run_vahti) -> None:  # type: ignore[no-untyped-def]
    for name, raw in BAD.items():
        if "\x00" in raw:
            continue  # argv cannot carry a NUL: the operating system refuses before vahti runs
        result = run_vahti("subscribers", "add", raw)
        assert result.returncode == 2, (name, result.stderr)
        assert "is not an e-mail address" in result.stderr, name
        assert len(result.stderr.strip().splitlines()) == 1, name
    assert json.loads(run_vahti("subscribers", "list", "--json").stdout) == []
    for raw, stored in GOOD.items():
        result = run_vahti("subscribers", "add", raw, "--confirmed")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"added {stored}"
    listed = json.loads(run_vahti("subscribers", "list", "--json").stdout)
    assert {row["email"] for row in listed} == set(GOOD.values())
    # The same person typed differently is the same subscriber, and can be removed as typed.
    again = run_vahti("subscribers", "add", "kirja@BÜCHER.DE", "--confirmed")
    assert again.stdout.strip() == "updated kirja@xn--bcher-kva.de"
    assert run_vahti("subscribers", "remove", "kirja@bücher.de").returncode == 0
    listed = json.loads(run_vahti("subscribers", "list", "--json").stdout)
    assert len(listed) == len(GOOD) - 1
