"""schema.org Event nodes (from JSON-LD, microdata or RDFa) to RawEvents.

Handles every Event subtype, ``@graph`` and arrays, references by ``@id``, ``subEvent`` of an
``EventSeries`` (the series itself is a container, its parts inherit what they leave out),
``hasCourseInstance`` of a Course, language-tagged values, Place / PostalAddress /
VirtualLocation, organizer, offers and ``isAccessibleForFree``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapers.normalise import RawEvent
from store import vocab

SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/")
# Event subtypes whose names do not end in "Event".
_OTHER_EVENT_TYPES = {"Festival", "Hackathon", "CourseInstance", "EventSeries"}
_CONTAINER_KEYS = ("subEvent", "subEvents", "hasCourseInstance")
_INHERITED = (
    "name",
    "description",
    "location",
    "organizer",
    "offers",
    "inLanguage",
    "eventAttendanceMode",
    "url",
    "keywords",
    "audience",
    "isAccessibleForFree",
)
_ATTENDANCE = {
    "onlineeventattendancemode": vocab.ONLINE,
    "offlineeventattendancemode": vocab.ONSITE,
    "mixedeventattendancemode": vocab.HYBRID,
}

Node = dict[str, Any]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def types(node: Node) -> list[str]:
    return [str(t).rstrip("/").rsplit("/", 1)[-1] for t in as_list(node.get("@type"))]


def is_event(node: Node) -> bool:
    return any(t.endswith("Event") or t in _OTHER_EVENT_TYPES for t in types(node))


def compact_rdfa(items: list[Node]) -> list[Node]:
    """extruct's RDFa output (expanded IRIs, value lists) as compact schema.org nodes."""
    nodes: list[Node] = []
    for item in items:
        node: Node = {"@id": item.get("@id")}
        if "@type" in item:
            node["@type"] = [str(t) for t in as_list(item["@type"])]
        for key, values in item.items():
            prefix = next((p for p in SCHEMA_PREFIXES if key.startswith(p)), None)
            if prefix is None:
                continue
            plain = [
                v.get("@value", v) if isinstance(v, dict) and "@value" in v else v
                for v in as_list(values)
            ]
            node[key[len(prefix) :]] = plain[0] if len(plain) == 1 else plain
        nodes.append(node)
    return nodes


def flatten(items: list[Any]) -> list[Node]:
    """Every dict in the extracted data, @graph and nested values included."""
    found: list[Node] = []
    stack = list(reversed(items))
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            found.append(item)
            for key in ("@graph", "itemListElement", "item", "mainEntity", *_CONTAINER_KEYS):
                if key in item:
                    stack.extend(reversed(as_list(item[key])))
    return found


def id_index(nodes: list[Node]) -> dict[str, Node]:
    """Nodes that carry more than an @id, by @id (for references inside a graph)."""
    return {
        str(n["@id"]): n for n in nodes if n.get("@id") and len(set(n) - {"@id", "@context"}) > 0
    }


class Reader:
    """Reads values from nodes of one page, resolving ``{"@id": ...}`` references."""

    def __init__(self, index: dict[str, Node]) -> None:
        self.index = index

    def resolve(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, dict) and set(value) <= {"@id", "@context"} and depth < 4:
            target = self.index.get(str(value.get("@id")))
            return self.resolve(target, depth + 1) if target is not None else value
        return value

    def text(self, value: Any) -> str | None:
        value = self.resolve(value)
        if value is None:
            return None
        if isinstance(value, list):
            return next((t for t in (self.text(v) for v in value) if t), None)
        if isinstance(value, dict):
            return self.text(
                value.get("@value") or value.get("name") or value.get("url") or value.get("@id")
            )
        text = " ".join(str(value).split())
        return text or None

    def texts(self, value: Any) -> list[str]:
        return [t for t in (self.text(v) for v in as_list(self.resolve(value))) if t]

    def by_language(self, value: Any) -> dict[str, str]:
        """Language-tagged values ({"@language": "fi", "@value": ...}) by language."""
        found: dict[str, str] = {}
        for item in as_list(value):
            if isinstance(item, dict) and item.get("@language") and item.get("@value"):
                found.setdefault(str(item["@language"]), str(item["@value"]))
        return found


def event_nodes(nodes: list[Node], reader: Reader) -> Iterator[tuple[Node, Node | None]]:
    """(event node, its container) for every event; containers with parts are not events."""
    seen: set[int] = set()
    for node in nodes:
        parts = [reader.resolve(p) for key in _CONTAINER_KEYS for p in as_list(node.get(key))]
        parts = [p for p in parts if isinstance(p, dict)]
        if parts and (is_event(node) or "Course" in types(node)):
            for part in parts:
                if id(part) not in seen:
                    seen.add(id(part))
                    yield part, node
            seen.add(id(node))
    for node in nodes:
        if id(node) not in seen and is_event(node):
            seen.add(id(node))
            yield node, None


def raw_event(node: Node, parent: Node | None, reader: Reader, page_url: str) -> RawEvent:
    """A RawEvent from one schema.org event node (values its container gives are inherited)."""
    if parent is not None:
        node = {**{k: parent[k] for k in _INHERITED if k in parent}, **node}
    status_text = reader.text(node.get("eventStatus"))
    attendance = _ATTENDANCE.get(
        str(reader.text(node.get("eventAttendanceMode")) or "").rsplit("/", 1)[-1].casefold()
    )
    if status_text and status_text.rstrip("/").rsplit("/", 1)[-1] == "EventMovedOnline":
        attendance = vocab.ONLINE
    raw = RawEvent(
        title=reader.text(node.get("name")),
        titles=reader.by_language(node.get("name")),
        start=reader.text(node.get("startDate")),
        end=reader.text(node.get("endDate")),
        description=reader.text(node.get("description")),
        descriptions=reader.by_language(node.get("description")),
        external_id=_identity(node, reader) or page_url,
        url=reader.text(node.get("url")) or page_url,
        page_url=page_url,
        attendance=attendance,
        languages=reader.texts(node.get("inLanguage")),
        status_text=status_text,
        keywords=_keywords(node, reader),
        organiser=reader.text(node.get("organizer")),
        series_id=_identity(parent, reader) if parent is not None else None,
    )
    _read_location(raw, node.get("location"), reader)
    _read_offers(raw, node, reader)
    return raw


def _identity(node: Node, reader: Reader) -> str | None:
    node_id = node.get("@id")
    if isinstance(node_id, str) and node_id and not node_id.startswith("_:"):
        return node_id
    return reader.text(node.get("url"))


def _keywords(node: Node, reader: Reader) -> list[str]:
    words: list[str] = []
    for value in reader.texts(node.get("keywords")):
        words.extend(w.strip() for w in value.split(",") if w.strip())
    for audience in as_list(reader.resolve(node.get("audience"))):
        if isinstance(audience, dict):
            words.extend(reader.texts(audience.get("audienceType") or audience.get("name")))
        elif audience:
            words.append(str(audience))
    return words


def _read_location(raw: RawEvent, value: Any, reader: Reader) -> None:
    for place in as_list(reader.resolve(value)):
        place = reader.resolve(place)
        if not isinstance(place, dict):
            raw.location_text = raw.location_text or reader.text(place)
            continue
        if "VirtualLocation" in types(place):
            raw.online = True
            raw.online_url = raw.online_url or reader.text(place.get("url"))
            continue
        if "PostalAddress" in types(place):
            place = {"address": place}
        if raw.venue is None and reader.text(place.get("name")):
            raw.venue_names = _place_names(place, reader)
        raw.venue = raw.venue or reader.text(place.get("name"))
        address = reader.resolve(place.get("address"))
        if isinstance(address, dict):
            street = reader.text(address.get("streetAddress"))
            city = reader.text(address.get("addressLocality"))
            postal = reader.text(address.get("postalCode"))
            line = ", ".join(p for p in (street, " ".join(filter(None, (postal, city)))) if p)
            raw.address = raw.address or line or None
            raw.city = raw.city or city
        elif address:
            raw.location_text = raw.location_text or reader.text(address)


def _place_names(place: Node, reader: Reader) -> dict[str, str]:
    """A Place's names: language-tagged names by language, then each alternateName (its
    language when tagged, else "alt1", "alt2", ...)."""
    names = reader.by_language(place.get("name"))
    for key, name in reader.by_language(place.get("alternateName")).items():
        names.setdefault(key, name)
    untagged = [
        t
        for item in as_list(reader.resolve(place.get("alternateName")))
        if not (isinstance(item, dict) and item.get("@language")) and (t := reader.text(item))
    ]
    for number, name in enumerate(untagged, start=1):
        names[f"alt{number}"] = name
    return names


def _read_offers(raw: RawEvent, node: Node, reader: Reader) -> None:
    free = node.get("isAccessibleForFree")
    if free is not None:
        raw.is_free = str(free).casefold() in ("true", "1", "yes")
    for offer in as_list(reader.resolve(node.get("offers"))):
        offer = reader.resolve(offer)
        if not isinstance(offer, dict):
            continue
        price = reader.text(offer.get("price") or offer.get("lowPrice"))
        if price is not None and raw.price is None:
            currency = reader.text(offer.get("priceCurrency")) or ""
            zero = price.replace(",", ".").strip("0.") == ""
            raw.price = "0" if zero else f"{price} {currency}".strip()
            if raw.is_free is None:
                raw.is_free = zero
        through = reader.text(offer.get("validThrough"))
        start = reader.text(node.get("startDate"))
        if through and start and through[:10] < start[:10] and raw.deadline is None:
            raw.deadline = through
            raw.application_opens = reader.text(offer.get("validFrom"))
        url = reader.text(offer.get("url"))
        if url and url != reader.text(node.get("url")) and raw.application_url is None:
            raw.application_url = url
