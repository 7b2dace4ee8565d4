"""Control characters in an e-mail address, on SQLite and PostgreSQL (which refuses a NUL in
a text field): the sign-up form answers with the form and the field's error, never a 500; a
CSV import stores the good rows and reports each bad one by its line number."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from sqlalchemy import select

from store.models import Subscriber
from tests.conftest import Database
from tests.web.conftest import WebEnv

CONTROLS = {
    "NUL": "anna\x00@example.fi",
    "NUL in the domain": "anna@exam\x00ple.fi",
    "CR": "anna\r@example.fi",
    "LF": "anna@example.fi\nBcc: eve@example.fi",
    "CR/LF": "anna@example.fi\r\nBcc: eve@example.fi",
    "ESC": "anna\x1b[2J@example.fi",
    "DEL": "anna\x7f@example.fi",
    "C1 (NEL)": "anna\x85@example.fi",
    "bidi override": "anna\u202e@example.fi",
    "bidi isolate": "\u2066anna@example.fi",
    "zero-width space": "an\u200bna@example.fi",
}
FORM = {"language": "en", "categories": ["job-fair"], "day": "mon", "hour": "8", "website": ""}
FIELD_ERROR = "Enter an e-mail address such as name@example.fi."


def test_the_sign_up_form_shows_the_field_error_never_a_500(web: WebEnv) -> None:
    for name, raw in CONTROLS.items():
        page = web.client.post("/subscribe?lang=en", data={**FORM, "email": raw})
        assert page.status_code == 400, (name, page.status_code)
        assert FIELD_ERROR in page.text, name
        assert 'name="email"' in page.text, name  # the form again, to correct the field
    with web.db.sessions() as session:
        assert session.scalars(select(Subscriber)).all() == []
    assert web.mails() == []
    # The positive control: the same form with a good address is taken.
    page = web.client.post("/subscribe?lang=en", data={**FORM, "email": "anna@example.fi"})
    assert page.status_code == 200 and FIELD_ERROR not in page.text
    with web.db.sessions() as session:
        assert session.scalars(select(Subscriber.email)).all() == ["anna@example.fi"]
    assert len(web.mails()) == 1


def test_a_csv_import_stores_the_good_rows_and_reports_the_bad_by_line(
    db: Database,
    run_vahti,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    path = tmp_path / "list.csv"
    expected_bad: list[int] = []
    good: list[str] = []
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "language"])
        line = 2
        for index, raw in enumerate(CONTROLS.values()):
            good.append(f"reader{index}@example.fi")
            writer.writerow([good[-1], "fi"])
            line += 1
            writer.writerow([raw, "sv"])
            expected_bad.append(line)
            line += 1 + len(re.findall(r"\r\n|\r|\n", raw))  # a quoted line break: two lines
        good.append("last@example.fi")
        writer.writerow([good[-1], "en"])
    result = run_vahti("subscribers", "import", str(path), env={"VAHTI_DATABASE__URL": db.url})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{len(good)} added, 0 updated" in result.stdout
    refused = [line for line in result.stderr.splitlines() if "is not an e-mail address" in line]
    assert [int(line.split(":")[1]) for line in refused] == expected_bad
    assert f"{len(CONTROLS)} row(s) not imported" in result.stderr
    listed = run_vahti("subscribers", "list", "--json", env={"VAHTI_DATABASE__URL": db.url})
    assert sorted(row["email"] for row in json.loads(listed.stdout)) == sorted(good)
