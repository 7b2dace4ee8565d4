"""The record type extractors produce (defined in the store, which persists it)."""

from store.record import EVENT_FIELDS, EventRecord

__all__ = ["EVENT_FIELDS", "EventRecord"]
