"""`vahti nodes`: the Scrapyd nodes of `crawl.scrapyd_urls` (the "scrapyd" crawl backend).

Exit codes as elsewhere: 0 every node answered; 1 some node could not be reached or refused;
2 no nodes configured, or the egg could not be built.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from services.nodes import NodesError, deploy, egg_version, node_statuses
from vahti import __version__
from vahti.cli.common import console, fail, plain, print_json, state, visible

app = typer.Typer(
    help='Scrapyd crawl nodes (crawl.backend = "scrapyd"): deploy the crawler, show status.',
    no_args_is_help=True,
)


@app.command("deploy")
def deploy_() -> None:
    """Build the crawler as a Scrapy project egg and upload it to every node (addversion.json);
    one line per node."""
    try:
        version = egg_version(__version__)
        reports = asyncio.run(deploy(state.app.settings.crawl, version))
    except NodesError as exc:
        fail(str(exc), code=2)
    for report in reports:
        if report.ok:
            typer.echo(f"{visible(report.url)}: {visible(report.message)}")
        else:
            typer.echo(f"{visible(report.url)}: error: {visible(report.message)}", err=True)
    failed = sum(not report.ok for report in reports)
    if failed:
        typer.echo(
            f"error: {failed} of {len(reports)} nodes did not take version {version}", err=True
        )
        raise typer.Exit(1)


@app.command("list")
def list_(
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Each node's jobs (daemonstatus.json: pending, running, finished) and the version of the
    crawler it runs (the latest deployed, listversions.json)."""
    from vahti.cli.progress import print_table

    try:
        statuses = asyncio.run(node_statuses(state.app.settings.crawl))
    except NodesError as exc:
        fail(str(exc), code=2)
    if json_:
        print_json([status.to_json() for status in statuses])
    else:
        table = Table(
            "node", "name", "pending", "running", "finished", "version", title="Scrapyd nodes"
        )
        for status in statuses:
            if not status.reachable:
                table.add_row(
                    plain(status.url), Text(visible(status.error), style="red"), "", "", "", ""
                )
                continue
            table.add_row(
                plain(status.url),
                plain(status.node_name),
                str(status.pending),
                str(status.running),
                str(status.finished),
                plain(status.version) if status.version else Text("not deployed", style="yellow"),
            )
        print_table(console, table)
    if not all(status.reachable for status in statuses):
        raise typer.Exit(1)
