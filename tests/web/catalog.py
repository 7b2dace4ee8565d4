"""The msgids the web app uses: extracted from its templates, its Python code and the services
whose refusals it shows (services/)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = (ROOT / "templates" / "web", ROOT / "templates" / "email" / "signup")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def web_msgids() -> dict[str, Path]:
    """Every msgid (for plurals: the singular) mapped to a file that uses it."""
    found: dict[str, Path] = {}
    files: list[tuple[str, Path]] = []
    for folder in TEMPLATE_DIRS:
        files += [("jinja2", path) for path in sorted(folder.rglob("*")) if path.is_file()]
    for package in ("web", "services"):
        files += [("python", path) for path in sorted((ROOT / package).rglob("*.py"))]
    for method, path in files:
        options = (
            {"extensions": "jinja2.ext.i18n", "trimmed": "false"} if method == "jinja2" else {}
        )
        spec = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        for _line, message, _comments, _context in extract_from_file(
            spec, str(path), keywords=KEYWORDS, options=options
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, path)
    return found


if __name__ == "__main__":
    for msgid in sorted(web_msgids()):
        print(repr(msgid))
