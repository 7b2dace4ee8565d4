"""What a crawl process needs to know about its source, as plain data (passed as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from store.models import Source


@dataclass(frozen=True)
class SourceSpec:
    url: str
    kind: str
    source_id: int | None = None
    name: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    timezone: str = "Europe/Helsinki"
    language: str | None = None
    languages: tuple[str, ...] = ("fi", "sv", "en")
    categories: tuple[str, ...] = ()
    include_past: bool = False

    @classmethod
    def from_source(cls, source: Source, default_languages: tuple[str, ...]) -> SourceSpec:
        return cls(
            url=source.crawl_url,
            kind=source.crawl_kind,
            source_id=source.id,
            name=source.name,
            config=dict(source.config or {}),
            timezone=source.timezone,
            language=source.language,
            languages=tuple(source.languages or default_languages),
            categories=tuple(source.categories or ()),
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SourceSpec:
        data = json.loads(text)
        data["languages"] = tuple(data.get("languages") or ())
        data["categories"] = tuple(data.get("categories") or ())
        return cls(**data)
