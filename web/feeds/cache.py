"""Rendered feeds, kept per data version and shared by every web process.

Two layers, both keyed by the feed (format, language, feed URL with its query or token, the
entry limit) and the store's *data version* (:meth:`web.feeds.validators.FeedState.version`:
the newest event change and the window's expiries, the database's own change mark):

* :class:`FeedCache`: the rendered body and its ETag, in this process (bounded by bytes) over
  the ``rendered_feeds`` table that every web process reads and writes. A feed is rendered
  once per data version by whichever process is asked first; the others read its row. A change
  written by any process (the dedupe job, an admin edit) moves the data version, so the next
  request anywhere looks for a new key and never sees the old body: nothing is invalidated by
  a timer or a message.
* :class:`EntryCache`: per event version (id and ``updated_at``), in this process, the feed
  item and its rendered Atom and RSS entries, so a feed rendered after a change re-renders only
  the events that changed (sanitising, dates, feedgen).

Writing the shared row is best-effort: a locked or failed write is logged and the feed served
all the same (the next process renders it again).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from store.models import RenderedFeed

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Rendered:
    etag: str
    body: bytes


class _Lru(Generic[K, V]):
    """A thread-safe LRU bounded by a total size (`size_of` each value)."""

    def __init__(self, max_size: int, size_of: Callable[[V], int]) -> None:
        self.max_size = max_size
        self._size_of = size_of
        self._size = 0
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        size = self._size_of(value)
        if size > self.max_size:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= self._size_of(old)
            self._entries[key] = value
            self._size += size
            while self._size > self.max_size:
                _, gone = self._entries.popitem(last=False)
                self._size -= self._size_of(gone)

    def __len__(self) -> int:
        return len(self._entries)


def feed_key(*parts: object) -> str:
    """A feed's name in the shared table: a hash of what makes it (format, language, URL...)."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


class FeedCache:
    """Rendered feeds by (feed key, version): this process's memory over the shared table."""

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self._memory: _Lru[tuple[str, str], Rendered] = _Lru(max_bytes, lambda r: len(r.body))

    def get(self, session: Session, key: str, version: str) -> Rendered | None:
        found = self._memory.get((key, version))
        if found is not None:
            return found
        row = session.execute(
            select(RenderedFeed.etag, RenderedFeed.body).where(
                RenderedFeed.key_hash == key, RenderedFeed.version == version
            )
        ).first()
        if row is None:
            return None
        found = Rendered(row.etag, bytes(row.body))
        self._memory.put((key, version), found)
        return found

    def keep(self, key: str, version: str, rendered: Rendered) -> None:
        """Keep the feed in this process."""
        self._memory.put((key, version), rendered)

    def share(
        self,
        sessions: sessionmaker[Session],
        key: str,
        data_version: str,
        version: str,
        rendered: Rendered,
        now: datetime,
    ) -> None:
        """Write the feed to the shared table, where rows of other data versions go (run after
        the response is sent: the client does not wait for this write)."""
        try:
            with sessions.begin() as session:
                session.execute(
                    delete(RenderedFeed).where(
                        (RenderedFeed.data_version != data_version) | (RenderedFeed.key_hash == key)
                    )
                )
                session.add(
                    RenderedFeed(
                        key_hash=key,
                        data_version=data_version,
                        version=version,
                        etag=rendered.etag,
                        body=rendered.body,
                        rendered_at=now,
                    )
                )
        except SQLAlchemyError as exc:  # another process wrote it first, or the store is busy
            log.info("rendered feed not shared: %s", exc.__class__.__name__)


EntryKey = tuple[Hashable, ...]


class EntryCache:
    """Per event version and feed context: values made once (the item, its Atom/RSS entry)."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self._memory: _Lru[tuple[EntryKey, str], object] = _Lru(max_entries, lambda _v: 1)

    def peek(self, key: EntryKey, kind: str) -> Any:
        return self._memory.get((key, kind))

    def put(self, key: EntryKey, kind: str, value: object) -> None:
        self._memory.put((key, kind), value)

    def get_or_make(self, key: EntryKey, kind: str, make: Callable[[], V]) -> V:
        found = self._memory.get((key, kind))
        if found is None:
            found = make()
            self._memory.put((key, kind), found)
        return found  # type: ignore[return-value]
