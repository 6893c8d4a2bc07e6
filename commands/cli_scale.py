"""CLI commands for the scale area, registered on the `apa-ledger` group by `register`."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""
    cli.add_command(agreements)


@click.command()
@click.option("--as-of", metavar="DATE", help="Valid time: the figures on this date (default today).")
@click.option("--known-at", metavar="TIMESTAMP", help="Only what was recorded by then (ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable: agreements and totals.")
@click.pass_context
def agreements(ctx: click.Context, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """List the agreements in the store: status and headline figures on a date.

    For each agreement: status, events recorded, Earnout Shares released,
    cancelled and pending (1.5(b), 1.5(c)), escrow balance (8.1(c)) and the
    Buyer's payable losses (8.1(b)); then the totals.

    \b
    Example:
      apa-ledger agreements
      apa-ledger --store postgresql://postgres@127.0.0.1:5432/test agreements --as-of 2003-12-31 --json
    """
    from commands.cli import open_from, parse_as_of, parse_known_at
    from commands.portfolio import portfolio, render_portfolio

    day, stamp = parse_as_of(as_of), parse_known_at(known_at)
    view = portfolio(open_from(ctx, create=False), day, stamp)
    click.echo(view.model_dump_json(indent=2) if as_json else render_portfolio(view))
