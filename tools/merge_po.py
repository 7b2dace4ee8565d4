"""Resolve a git merge conflict in a .po catalog: keep both sides' entries, drop duplicates.

Usage: python tools/merge_po.py locales/*/LC_MESSAGES/messages.po
An entry whose msgid (and msgctxt) appeared earlier is dropped; if the two translations differ,
the file's first one is kept and the clash is printed so a person can look.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CONFLICT = re.compile(r"<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n", re.S)


def _key(block: str) -> str | None:
    ctxt = re.search(r'^msgctxt (".*?")$', block, re.M)
    msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
    if not msgid:
        return None
    return (ctxt.group(1) if ctxt else "") + "|" + msgid.group(1).strip()


def resolve(text: str) -> tuple[str, list[str]]:
    text = CONFLICT.sub(lambda m: m.group(1).rstrip("\n") + "\n\n" + m.group(2), text)
    blocks = re.split(r"\n\s*\n", text.strip("\n"))
    seen: dict[str, str] = {}
    kept: list[str] = []
    clashes: list[str] = []
    for block in blocks:
        key = _key(block)
        if key is not None and key != '|""' and key in seen:
            if seen[key].split("msgstr", 1)[-1] != block.split("msgstr", 1)[-1]:
                clashes.append(key)
            continue
        if key is not None:
            seen[key] = block
        kept.append(block)
    return "\n\n".join(kept) + "\n", clashes


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        merged, clashes = resolve(path.read_text(encoding="utf-8"))
        path.write_text(merged, encoding="utf-8")
        for clash in clashes:
            print(f"{path}: two translations of {clash}; kept the first", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
