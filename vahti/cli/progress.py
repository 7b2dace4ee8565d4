"""Rich displays for crawls: a live table per source while they run, a summary table after.

On a terminal the live table redraws four times a second and disappears when the crawl ends;
elsewhere (a pipe, a log file) one line is printed per finished source instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.live import Live
from rich.measure import Measurement
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from locales import gettext
from store import vocab
from vahti.cli.common import plain, visible
from web.i18n import HEALTH_LABELS, RUN_STATUS_LABELS

if TYPE_CHECKING:
    from services.crawl_queue import CrawlResult


def count(number: int, noun: str) -> str:
    """'1 page', '2 pages', '0 errors' (English: the CLI's language)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def print_table(console: Console, table: Table) -> None:
    """A table on a terminal fits the window; elsewhere (a pipe, a file) it gets the width it
    needs, so a long source name stays on one line instead of wrapping over five."""
    if console.is_terminal:
        console.print(table)
        return
    needed = Measurement.get(console, console.options.update_width(100_000), table).maximum
    wide = Console(
        file=console.file,
        width=max(needed, console.width),
        color_system=None,
        highlight=False,
        emoji=False,
    )
    wide.print(table)


STATUS_STYLES = {
    vocab.RUN_OK: "green",
    vocab.RUN_NOT_MODIFIED: "green",
    vocab.RUN_SUSPECT: "yellow",
    vocab.RUN_FAILED: "red",
    vocab.RUN_TIMEOUT: "red",
}


def status_style(status: str, errors: int = 0) -> str:
    if status == vocab.RUN_OK and errors:
        return "yellow"
    return STATUS_STYLES.get(status, "")


def status_word(status: str) -> str:
    """A crawl run's status in the words the admin pages use (English)."""
    return gettext("en", RUN_STATUS_LABELS[status]) if status in RUN_STATUS_LABELS else status


def health_word(health: str) -> str:
    """A source's health in the words the admin pages use (English)."""
    return gettext("en", HEALTH_LABELS[health]) if health in HEALTH_LABELS else health


@dataclass
class _Row:
    result: CrawlResult
    state: str = "waiting"
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


class CrawlProgress:
    """A live table, one row per source: crawling (pages, records, seconds), then its status."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: dict[int, _Row] = {}
        self.spinner = Spinner("dots")
        self.live = Live(
            self, console=console, refresh_per_second=4, transient=True, auto_refresh=True
        )

    def __enter__(self) -> CrawlProgress:
        if self.console.is_terminal:
            self.live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.console.is_terminal:
            self.live.__exit__(exc_type, exc, tb)

    def on_event(self, kind: str, result: CrawlResult) -> None:
        row = self.rows.setdefault(result.source_id, _Row(result))
        row.result = result
        if kind == "started":
            row.state, row.started = "crawling", time.monotonic()
        elif kind == "finished":
            row.state, row.ended = "finished", time.monotonic()
            if not self.console.is_terminal:
                self.console.print(
                    plain(
                        f"crawled {result.name}: {result.status}, "
                        f"{count(result.records, 'record')}, {count(result.errors, 'error')}"
                    )
                )

    def __rich__(self) -> RenderableType:
        table = Table("", "source", "state", "pages", "records", "seconds", title="crawling")
        now = time.monotonic()
        # Rich redraws from its own thread: iterate over a copy.
        for row in list(self.rows.values()):
            r = row.result
            if row.state == "finished":
                mark: RenderableType = Text("✓" if not r.failed else "✗", style="bold")
                state = Text(status_word(r.status), style=status_style(r.status, r.errors))
            else:
                mark, state = self.spinner, Text("crawling")
            seconds = (row.ended or now) - row.started
            table.add_row(
                mark, plain(r.name), state, str(r.pages), str(r.records), f"{seconds:.0f}"
            )
        return table

    def summary(self, results: list[CrawlResult]) -> None:
        table = Table(
            "source",
            "status",
            "pages",
            "records",
            "new",
            "updated",
            "gone",
            "errors",
            "seconds",
            title="crawl summary",
        )
        for r in results:
            table.add_row(
                plain(r.name),
                plain(status_word(r.status)),
                str(r.pages),
                str(r.records),
                str(r.new),
                str(r.updated),
                str(r.gone),
                str(r.errors),
                f"{r.duration_s:.1f}",
                style=status_style(r.status, r.errors),
            )
        print_table(self.console, table)
        for r in results:
            if r.first_error:
                line = Text(f"{visible(r.name)}: ", style="bold")
                line.append(
                    visible(r.first_error[:300]), style=status_style(r.status, r.errors) or ""
                )
                self.console.print(line)
        failed = sum(r.failed for r in results)
        totals = (
            f"{count(len(results), 'source')}: {len(results) - failed} crawled, {failed} failed; "
            f"{sum(r.new for r in results)} new, {sum(r.updated for r in results)} updated, "
            f"{sum(r.gone for r in results)} gone"
        )
        self.console.print(totals, highlight=False)
