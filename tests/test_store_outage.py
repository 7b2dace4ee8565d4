"""Telling a database outage from a bad statement (store.outage), on real errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from store.db import make_engine
from store.outage import database_unavailable, describe
from tests.conftest import POSTGRES_ENV, POSTGRES_URL


def error_of(url: str, statement: str, *, busy_timeout_ms: int = 10_000) -> SQLAlchemyError:
    engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    except SQLAlchemyError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError(f"{statement} should fail")


def test_a_locked_sqlite_database_is_an_outage_and_a_missing_table_is_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = error_of(url, "INSERT INTO t (id) VALUES (1)", busy_timeout_ms=50)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert database_unavailable(locked)
    assert describe(locked) == "database is locked"
    # The controls: the same engine, the database there, the statement at fault.
    assert not database_unavailable(error_of(url, "SELECT * FROM nowhere"))
    assert not database_unavailable(error_of(url, "INSERT INTO t (id) VALUES (NULL), (1), (1)"))


@pytest.mark.skipif(POSTGRES_URL is None, reason=f"PostgreSQL tests need {POSTGRES_ENV}")
def test_postgresql_refusing_connections_is_an_outage_and_bad_data_is_not() -> None:
    assert POSTGRES_URL is not None
    refused = error_of("postgresql+psycopg://postgres@127.0.0.1:1/test", "SELECT 1")
    assert database_unavailable(refused)
    assert "\n" not in describe(refused) and "127.0.0.1" in describe(refused)
    assert not database_unavailable(error_of(POSTGRES_URL, "SELECT 'a\x00b'"))
    assert not database_unavailable(error_of(POSTGRES_URL, "SELECT * FROM nowhere"))
