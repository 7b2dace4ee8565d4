"""Rich displays for long jobs: live crawl progress per source and a summary table."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table

from scrapers.runner import CrawlResult


class CrawlProgress:
    """A live table, one row per source: waiting, crawling (with elapsed time), done."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: dict[int, tuple[str, CrawlResult, float]] = {}
        self.live = Live(self._table(), console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> CrawlProgress:
        self.live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.live.__exit__(exc_type, exc, tb)

    def on_event(self, kind: str, result: CrawlResult) -> None:
        started = self.rows.get(result.source_id, ("", result, time.monotonic()))[2]
        self.rows[result.source_id] = (kind, result, started)
        self.live.update(self._table())
        if kind == "finished" and not self.console.is_terminal:
            self.console.print(f"crawled {result.name}: {result.status}, {result.records} records")

    def _table(self) -> Table:
        table = Table("source", "state", "seconds", title="crawling")
        for kind, result, started in self.rows.values():
            state = "crawling" if kind == "started" else result.status
            table.add_row(result.name, state, f"{time.monotonic() - started:.0f}")
        return table

    def summary(self, results: list[CrawlResult]) -> None:
        table = Table(
            "source",
            "status",
            "records",
            "new",
            "updated",
            "gone",
            "errors",
            "seconds",
            "first error",
            title="crawl summary",
        )
        for r in results:
            style = "red" if r.failed else ("yellow" if r.errors or r.status == "suspect" else "")
            table.add_row(
                r.name,
                r.status,
                str(r.records),
                str(r.new),
                str(r.updated),
                str(r.gone),
                str(r.errors),
                f"{r.duration_s:.1f}",
                (r.first_error or "")[:80],
                style=style,
            )
        self.console.print(table)
