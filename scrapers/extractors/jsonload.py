"""JSON from the web, read without crashing on depth or on lone surrogates.

Python's JSON reader raises RecursionError (not ValueError) on arrays or objects nested about
a thousand levels deep, and code that walks the result recursively fails far earlier. So:
values nested deeper than MAX_DEPTH are cut off (replaced by null) before and after parsing,
and what is left is read as usual; a document that still cannot be read raises ValueError.

JSON may also escape half a surrogate pair (``"\\ud800"``): Python reads it into a string that
cannot be encoded (UTF-8 for the database, nh3 for sanitising), so every lone surrogate in a
value becomes U+FFFD, the replacement character.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON string (skipped whole), or a bracket.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def load_json(text: str, *, strict: bool = True) -> Any:
    """`json.loads(text)`, with values nested deeper than MAX_DEPTH replaced by None and lone
    surrogates in strings by U+FFFD."""
    try:
        data = json.loads(text, strict=strict)
    except RecursionError:
        try:
            data = json.loads(cut_deep(text), strict=strict)
        except RecursionError:
            raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    return prune(data)


def cut_deep(text: str, max_depth: int = MAX_DEPTH) -> str:
    """JSON text with every array or object nested deeper than `max_depth` replaced by null
    (text that is no JSON stays no JSON)."""
    parts: list[str] = []
    depth = 0
    kept = 0
    cut_at: int | None = None
    for match in _TOKEN.finditer(text):
        mark = match.group()
        if mark[0] == '"':
            continue
        if mark in "[{":
            depth += 1
            if depth == max_depth + 1 and cut_at is None:
                cut_at = match.start()
        else:
            if depth == max_depth + 1 and cut_at is not None:
                parts.append(text[kept:cut_at])
                parts.append("null")
                kept, cut_at = match.end(), None
            depth -= 1
    parts.append(text[kept:])
    return "".join(parts)


def prune(data: Any, max_depth: int = MAX_DEPTH) -> Any:
    """`data` with lists and dicts nested deeper than `max_depth` replaced by None, and lone
    surrogates in strings by U+FFFD (in place)."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, list | dict) else []
    while stack:
        value, depth = stack.pop()
        keys = range(len(value)) if isinstance(value, list) else value.keys()
        for key in keys:
            child = value[key]
            if isinstance(child, str):
                if _SURROGATE.search(child):
                    value[key] = _SURROGATE.sub("\ufffd", child)
            elif isinstance(child, list | dict):
                if depth >= max_depth:
                    value[key] = None
                else:
                    stack.append((child, depth + 1))
    return data
