"""CLI commands for the scale area, registered on the `apa-ledger` group by `register`."""

from __future__ import annotations

from typing import Any

import click

from commands.cli.options import workers_option
from commands.cli.output import chosen, emit, format_option


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""
    cli.add_command(agreements)
    cli.add_command(import_cmd)
    cli.add_command(compare)


@click.command()
@click.option("--as-of", metavar="DATE", help="Valid time: the figures on this date (default today).")
@click.option("--known-at", metavar="TIMESTAMP", help="Only what was recorded by then (ISO 8601).")
@format_option("Machine-readable: a row per agreement.")
@workers_option(
    "Processes working the agreements out, this one among them (0 or 1: this one).", "every core from 300 agreements"
)
@click.pass_context
def agreements(
    ctx: click.Context,
    as_of: str | None,
    known_at: str | None,
    output: str | None,
    as_json: bool,
    workers: int | None,
) -> None:
    """List the agreements in the store: status and headline figures on a date.

    For each agreement: status, events recorded, Earnout Shares released,
    cancelled and pending (1.5(b), 1.5(c)), escrow balance (8.1(c)) and the
    Buyer's payable losses (8.1(b)); then the totals (the table only: json,
    jsonl and csv are a row per agreement).

    \b
    Example:
      apa-ledger agreements
      apa-ledger agreements --as-of 2003-12-31 --format json | sqlite-utils memory - "select * from stdin"
      apa-ledger agreements --store postgresql://postgres@127.0.0.1:5432/test --format csv > agreements.csv
    """
    from commands.cli.options import ledger_from, parse_as_of, parse_known_at
    from commands.portfolio.summary import render_portfolio

    output = chosen(output, as_json)
    day, stamp = parse_as_of(as_of), parse_known_at(known_at)
    view = ledger_from(ctx).agreements(day, stamp, workers)
    emit(output, lambda: render_portfolio(view), lambda: [row.model_dump(mode="json") for row in view.agreements])


@click.command(name="import")
@click.argument("sources", nargs=-1, required=True, metavar="DIR|ID.jsonl...")
@click.option("--dry-run", is_flag=True, help="Check every file against its agreement; append nothing.")
@workers_option(
    "Processes applying files at once, this one among them (0 or 1: this one).", "every core from about 20,000 facts"
)
@format_option("A row per file: registered, appended, already applied, error.")
@click.pass_context
def import_cmd(
    ctx: click.Context,
    sources: tuple[str, ...],
    dry_run: bool,
    workers: int | None,
    output: str | None,
    as_json: bool,
) -> None:
    """Import a portfolio: one JSON Lines file per agreement, named AGREEMENT_ID.jsonl.

    Each file is applied as `apply AGREEMENT_ID FILE` applies it: all or nothing,
    checked against that agreement's state, recognised if applied before. A new
    agreement is registered with its file, in one transaction, on the terms in
    AGREEMENT_ID.terms.json beside it if there is one. A rejected file is reported on its own line (file, line,
    rule, clause) and appends nothing; the others are applied, and the exit
    status is 2. Run it again once fixed: only what is new is appended.

    \b
    Example:
      apa-ledger import portfolio/ --dry-run
      apa-ledger --store postgresql://postgres@127.0.0.1:5432/test import portfolio/ --workers 4
    """
    from commands.cli.options import fail, ledger_from, say
    from commands.cli.reporting import progress_bar
    from commands.portfolio.import_files import agreement_files

    output = chosen(output, as_json)
    files = agreement_files(sources)
    with progress_bar(len(files), "importing") as advance:
        outcomes = ledger_from(ctx).import_files(
            [file.path for file in files], dry_run=dry_run, workers=workers, progress=lambda _: advance(1)
        )
    rejected = [outcome.error for outcome in outcomes if outcome.error]
    if output == "table":
        for error in rejected:
            say(error)
        click.echo(import_summary(outcomes, dry_run))
    else:
        emit(output, lambda: "", lambda: [file_row(outcome) for outcome in outcomes])
    if rejected:
        fail(
            f"{len(rejected)} of {len(outcomes)} files rejected (each names its line and clause above); "
            "nothing of them was appended"
        )


def file_row(outcome: Any) -> dict[str, Any]:
    """One file's outcome as a row of `import --format json|jsonl|csv`."""
    return {
        "file": str(outcome.file.path),
        "agreement_id": outcome.file.agreement_id,
        "registered": outcome.registered,
        "appended": outcome.appended,
        "already_applied": outcome.already_applied,
        "error": outcome.error,
    }


def import_summary(outcomes: list[Any], dry_run: bool) -> str:
    """``imported 3 files: 2 agreements registered, 451 events appended, 1 already applied, 0 rejected``."""
    registered = sum(o.registered for o in outcomes)
    appended = sum(o.appended for o in outcomes)
    applied = sum(o.already_applied for o in outcomes)
    rejected = sum(o.error is not None for o in outcomes)
    would = "would be " if dry_run else ""
    return (
        f"{'checked' if dry_run else 'imported'} {len(outcomes)} file{'s' if len(outcomes) != 1 else ''}: "
        f"{registered} agreement{'s' if registered != 1 else ''} {would}registered, "
        f"{appended:,} event{'s' if appended != 1 else ''} {would}appended, "
        f"{applied} already applied, {rejected} rejected"
    )


OTHER_KEY_ENV = "APA_LEDGER_OTHER_CIPHER_KEY"


@click.command()
@click.argument("other", metavar="OTHER_STORE")
@click.option("--as-of", metavar="DATE", help="Compare each agreement's state on this date (default today).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable: counts, verdicts and every difference.")
@workers_option(
    "Processes comparing agreements, this one among them (0 or 1: this one).", "every core from 300 agreements"
)
@click.pass_context
def compare(ctx: click.Context, other: str, as_of: str | None, as_json: bool, workers: int | None) -> None:
    """Compare this store with OTHER_STORE, agreement by agreement and event by event.

    Two imports of the same files record the same facts at different moments:
    their recorded_at differ, and so do the hashes, which cover it. Each event
    of OTHER_STORE is given this store's recorded_at and prev_hash: it must then
    be this store's event, every field, and hash to this store's hash. Each
    agreement's state on --as-of is compared figure by figure. Exits 0 if the
    stores hold the same ledger (apart from recorded_at), 1 naming what
    differs. OTHER_STORE is read with $APA_LEDGER_OTHER_CIPHER_KEY if that is
    set (empty: not encrypted), else with $APA_LEDGER_CIPHER_KEY.

    \b
    Example:
      apa-ledger --store portfolio.sqlite import portfolio/
      apa-ledger --store postgresql://postgres@127.0.0.1:5432/test import portfolio/
      apa-ledger --store portfolio.sqlite compare postgresql://postgres@127.0.0.1:5432/test
    """
    import os

    from commands.api import Ledger
    from commands.cli.options import ledger_from, parse_as_of
    from commands.compare import render_comparison

    day = parse_as_of(as_of)
    theirs = Ledger.open(other, cipher_key=os.environ.get(OTHER_KEY_ENV))
    result = ledger_from(ctx).compare(theirs, day, workers)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        from commands.cli.render import terminal_safe

        for line in render_comparison(result):
            click.echo(terminal_safe(line))
    if not result.same_apart_from_recorded_at:
        ctx.exit(1)
