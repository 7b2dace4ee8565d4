"""`vahti digest ...`: preview and send the weekly digests."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from store.clock import utcnow
from vahti.cli.common import console, fail, plain, state

if TYPE_CHECKING:
    from digest.compose import DigestConfig
    from digest.plan import Due, Plan
    from digest.send import SendSummary

app = typer.Typer(help="Weekly digests: preview and send.", no_args_is_help=True)

DRY_RUN_ROWS = 50


def digest_config() -> DigestConfig:
    from digest.compose import DigestConfig

    settings = state.app.settings
    return DigestConfig.from_settings(
        settings.web, settings.mail, settings.digest, state.app.secret_key()
    )


@app.command("preview")
def preview_(
    email: Annotated[str, typer.Argument(help="The subscriber's e-mail address.")],
    text: Annotated[
        bool, typer.Option("--text", help="The plain-text part instead of HTML.")
    ] = False,
) -> None:
    """Print the digest a subscriber would get now (HTML, or --text); nothing is sent."""
    from digest.preview import preview
    from services.subscribers import lookup_form

    email = lookup_form(email)
    with state.app.sessions() as session:
        found = preview(session, email, digest_config(), utcnow())
    if found is None:
        fail(f"no subscriber {email}")
    if found.sent_at is not None:
        when = found.sent_at.strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(
            f"This week's digest was already sent to {email} ({when}); this is what it held:",
            err=True,
        )
    rendered = found.composed.rendered
    typer.echo(rendered.text if text else rendered.html)


@app.command()
def send(
    now: Annotated[
        bool,
        typer.Option(
            "--now",
            help="Every active subscriber's digest for the current period, whatever their "
            "send slot (still at most one per period).",
        ),
    ] = False,
    dry_run_: Annotated[
        bool, typer.Option("--dry-run", help="Compose and render, send and record nothing.")
    ] = False,
) -> None:
    """Send the digests that are due; exit 1 when any failed.

    Due: an active subscriber whose local send day and hour have come in the current period
    (their ISO week in their time zone), who was confirmed by then (a new subscriber waits
    for their first slot) and who has no digest for the period yet.
    """
    from digest.periods import is_due
    from digest.plan import every_subscriber, pending_count, plan_deliveries

    config = digest_config()
    due: Due = every_subscriber if now else is_due
    if dry_run_:
        _dry_run(config, due)
        return
    moment = utcnow()
    with state.app.sessions.begin() as session:
        plan = plan_deliveries(session, moment, message_id_domain=config.message_id_domain, due=due)
    with state.app.sessions() as session:
        total = pending_count(session)
    started = time.monotonic()
    summary = asyncio.run(_send(config, moment, total))
    _summary(plan, summary, time.monotonic() - started)
    for problem in plan.problems:
        console.print(plain(f"  {problem}", style="red"))
    if not summary.ok or plan.problems:
        raise typer.Exit(1)


async def _send(config: DigestConfig, moment: datetime, total: int) -> SendSummary:
    from digest.batches import Job
    from digest.claim import make_worker_id
    from digest.send import send_pending
    from digest.transports import make_sender

    sender = make_sender(state.app.settings.mail)
    columns = (
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sent {task.fields[sent]}  failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]:.0f}/s"),
        TimeElapsedColumn(),
    )
    started = time.monotonic()
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("digests", total=total or None, sent=0, failed=0, rate=0.0)

        def progress(kind: str, _job: Job, summary: SendSummary) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            bar.update(
                task,
                advance=0 if kind == "retry" else 1,
                sent=summary.sent,
                failed=summary.failed,
                rate=summary.sent / elapsed,
            )

        try:
            return await send_pending(
                state.app.sessions,
                sender,
                config,
                moment,
                make_worker_id(),
                progress=progress,
            )
        finally:
            await sender.close()


def _summary(plan: Plan, summary: SendSummary, seconds: float) -> None:
    table = Table("", "digests", title="digest summary", show_header=False)
    rows = [
        ("due now", plan.due),
        ("already there for the period", plan.existing),
        ("sent", summary.sent),
        ("empty, not sent", summary.empty),
        ("subscriber no longer active", summary.skipped),
        ("retries", summary.retried),
        ("resumed after a crash", summary.reclaimed),
        ("failed", summary.failed),
    ]
    for label, count in rows:
        table.add_row(label, str(count), style="red" if label == "failed" and count else "")
    table.add_row("seconds", f"{seconds:.1f}")
    table.add_row("sent per second", f"{summary.sent / max(seconds, 1e-6):.0f}")
    console.print(table)
    for error in summary.errors[:20]:
        console.print(plain(f"  {error}", style="red"))
    if len(summary.errors) > 20:
        console.print(f"  … and {len(summary.errors) - 20} more")
    if summary.stopped:
        console.print(plain(f"stopped: {summary.stopped}", style="red"))
        console.print("The digests not sent are still planned; `vahti digest send` sends them.")


def _dry_run(config: DigestConfig, due: Due) -> None:
    from digest.model import SENT
    from digest.preview import dry_run

    table = Table("email", "events", "KB", "would be")
    counts = {"sent": 0, "empty": 0, "error": 0}
    shown = 0
    with state.app.sessions() as session:
        for result in dry_run(session, config, utcnow(), due):
            verdict = "error" if result.error else ("sent" if result.sent else "empty")
            counts[verdict] += 1
            if shown < DRY_RUN_ROWS:
                shown += 1
                table.add_row(
                    plain(result.email),
                    str(result.items),
                    f"{result.size / 1024:.1f}",
                    plain(result.error or (SENT if result.sent else "empty (not sent)")),
                )
    console.print(table)
    total = sum(counts.values())
    if total > shown:
        console.print(f"… and {total - shown} more")
    console.print(
        f"dry run: {counts['sent']} would be sent, {counts['empty']} empty, "
        f"{counts['error']} could not be composed; nothing was sent or recorded"
    )
    if counts["error"]:
        raise typer.Exit(1)
