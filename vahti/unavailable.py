"""What a command cannot have, said in one line: the database (named with its password hidden,
and why), a file or folder in the way. vahti.cli.main prints an `Unavailable` and exits with its
code (see vahti.cli for the exit codes)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

# Exit codes of what cannot be had (docs/cli.md): the job could not run.
EXIT_UNAVAILABLE = 1
EXIT_DATABASE_UNAVAILABLE = 3
# Errors of the database that say it cannot be reached, opened or used right now (not a bug
# in a query): a refused or dropped connection, a failed login, a locked or unreadable file.
DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError)


class Unavailable(Exception):
    """Something a command needs cannot be had; the message is one line saying what and why."""

    def __init__(self, message: str, code: int = EXIT_UNAVAILABLE) -> None:
        super().__init__(message)
        self.code = code


def shown_url(url: str) -> str:
    """The database URL as it may be shown: passwords (also in the query string) hidden."""
    try:
        parsed = make_url(url)
    except Exception:
        return "(database.url)"
    query = {
        key: ("***" if "password" in key.lower() else value) for key, value in parsed.query.items()
    }
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", "***")


def one_line(text: str) -> str:
    return "; ".join(" ".join(part.split()) for part in text.splitlines() if part.strip())


def database_unavailable(url: str, error: BaseException | str) -> Unavailable:
    """One line naming the database (password hidden) and why it cannot be used."""
    if isinstance(error, str):
        text = error
    else:
        reason = error.orig if isinstance(error, sa_exc.DBAPIError) and error.orig else error
        text = (one_line(str(reason)) or type(reason).__name__) + _sqlite_hint(url)
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    return Unavailable(
        f"cannot use the database {shown_url(url)} (database.url): {text}",
        EXIT_DATABASE_UNAVAILABLE,
    )


def os_reason(exc: OSError) -> str:
    """Why making a folder or file failed, in words (a file in the way is named)."""
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        return f"{exc.filename} is not a folder"
    return exc.strerror or str(exc)


def _password(url: str) -> str | None:
    try:
        password = make_url(url).password
    except Exception:
        return None
    return str(password) if password else None


def _sqlite_hint(url: str) -> str:
    """Why SQLite could not open its file, where the file system says so."""
    try:
        parsed = make_url(url)
    except Exception:
        return ""
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return ""
    path = Path(parsed.database)
    if path.is_dir():
        return f" ({path} is a folder)"
    target = path if path.exists() else path.parent
    return "" if os.access(target, os.W_OK) else f" ({target} is not writable)"
