"""`vahti digest ...`: preview and send the weekly digests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from digest.render import render_digest
from digest.send import DigestConfig, compose, links_for, send_due
from digest.senders import FileSender, Sender
from store.models import Subscriber
from vahti.cli.common import console, fail, now_utc, state
from vahti.cli.subscribers import check_email

app = typer.Typer(help="Weekly digests: preview and send.", no_args_is_help=True)


def digest_config() -> DigestConfig:
    settings = state.app.settings
    return DigestConfig(
        base_url=settings.web.base_url,
        secret=state.app.secret_key(),
        from_address=settings.mail.from_address,
        message_id_domain=settings.mail.message_id_domain,
        window_days=settings.digest.window_days,
        send_empty=settings.digest.send_empty,
    )


def make_sender() -> Sender:
    mail = state.app.settings.mail
    if mail.backend == "file":
        return FileSender(Path(mail.outbox_dir))
    return fail('mail.backend = "smtp" is not available yet; use "file"')


@app.command()
def preview(
    email: Annotated[str, typer.Argument()],
    text: Annotated[
        bool, typer.Option("--text", help="The plain-text part instead of HTML.")
    ] = False,
) -> None:
    """Print the digest a subscriber would get now (HTML, or --text)."""
    email = check_email(email)
    config = digest_config()
    with state.app.sessions() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
        if subscriber is None:
            fail(f"no subscriber {email}")
        digest = compose(session, subscriber, config, now_utc())
        rendered = render_digest(digest, links=links_for(config, subscriber))
    typer.echo(rendered.text if text else rendered.html)


@app.command()
def send(
    now: Annotated[
        bool,
        typer.Option(
            "--now",
            help="Every active subscriber's digest for the "
            "current period, whatever their send slot.",
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Render, send nothing.")] = False,
) -> None:
    """Send the digests that are due; exit 1 when any message failed."""
    config = digest_config()
    if dry_run:
        with state.app.sessions() as session:
            subscribers = list(
                session.scalars(select(Subscriber).where(Subscriber.status == "active"))
            )
            for subscriber in subscribers:
                digest = compose(session, subscriber, config, now_utc())
                render_digest(digest, links=links_for(config, subscriber))
                console.print(f"{subscriber.email}: {len(digest.items)} events")
        return
    if not now:
        fail("only `vahti digest send --now` is available so far")
    sender = make_sender()
    summary = asyncio.run(send_due(state.app.sessions, sender, config, now_utc()))
    console.print(
        f"sent: {summary.sent}  empty: {summary.empty}  already sent: "
        f"{summary.skipped}  failed: {summary.failed}"
    )
    for error in summary.errors:
        console.print(f"  [red]{error}[/red]", highlight=False)
    if summary.failed:
        raise typer.Exit(1)
