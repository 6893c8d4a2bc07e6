"""Reading a ledger: `state` on a date as known at a moment, `history`, `verify`, and the `demo`."""

from __future__ import annotations

from typing import Any

import click

from commands.cli.options import ledger_from, parse_as_of, parse_known_at, workers_option
from commands.cli.output import chosen, emit, format_option


@click.command()
@click.argument("agreement_id")
@click.option("--as-of", metavar="DATE", help="Valid time: the state on this date (default today).")
@click.option("--known-at", metavar="TIMESTAMP", help="Only what was recorded by then (ISO 8601).")
@format_option("Machine-readable state (keys: docs/readings.md, readings 18).")
@click.option("--explain", is_flag=True, help="Add each figure's derivation, clause and events.")
@click.pass_context
def state(
    ctx: click.Context,
    agreement_id: str,
    as_of: str | None,
    known_at: str | None,
    output: str | None,
    as_json: bool,
    explain: bool,
) -> None:
    """The state of an agreement on a date, optionally as known at a past moment.

    \b
    Example:
      apa-ledger state APA-2002 --as-of 2003-12-31
      apa-ledger state APA-2002 --as-of 2004-06-30 --known-at 2004-05-01T00:00:00Z --json
      apa-ledger state APA-2002 --as-of 2004-03-30 --json --explain
    """
    from projections.diff import flatten

    output = chosen(output, as_json)
    day, stamp = parse_as_of(as_of), parse_known_at(known_at)
    ledger = ledger_from(ctx)
    if explain:
        result, found = ledger.explanations(agreement_id, day, stamp)
    else:
        result, found = ledger.state(agreement_id, day, stamp), {}

    def table() -> str:
        from commands.cli.render import render_state

        if not explain:
            return render_state(result)
        from commands.cli.audit import render_explanations

        return render_state(result) + "\n" + render_explanations(found)

    def document() -> Any:
        if not explain:
            return result.model_dump(mode="json")
        from commands.cli.audit import explained_state_json

        return explained_state_json(result, found)

    def figures() -> list[dict[str, Any]]:
        """csv: a figure a row (its dotted key), with its derivation under --explain."""
        rows = []
        for key, value in flatten(result.model_dump(mode="json")).items():
            x = found.get(key)
            extra = {"formula": x.formula, "clause": x.clause} if explain and x is not None else {}
            rows.append({"figure": key, "value": value, **({"formula": "", "clause": ""} if explain else {}), **extra})
        return rows

    if output == "csv":
        emit(output, table, figures)
    else:  # json: the document; jsonl: the document on one line
        whole = None if explain else result.model_dump_json(indent=2)
        emit(output, table, lambda: [document()], whole if whole is not None else document())


@click.command()
@click.argument("agreement_id")
@format_option("Every event as JSON.")
@click.option("--as-of", metavar="DATE", help="Only events that occurred by this date.")
@click.option("--known-at", metavar="TIMESTAMP", help="Only events recorded by this moment.")
@click.pass_context
def history(
    ctx: click.Context, agreement_id: str, output: str | None, as_json: bool, as_of: str | None, known_at: str | None
) -> None:
    """Every event of an agreement: position, both times, hash, clause, payload.

    \b
    Example:
      apa-ledger history APA-2002
      apa-ledger history APA-2002 --json --known-at 2004-01-01T00:00:00Z
    """
    from commands.cli.render import history_rows, render_history

    day = parse_as_of(as_of) if as_of is not None else None
    ledger = ledger_from(ctx)
    events = ledger.history(agreement_id, day, parse_known_at(known_at))
    output = chosen(output, as_json)
    rows = history_rows(events, ledger.server_users(agreement_id))
    emit(output, lambda: render_history(rows), lambda: rows)


@click.command()
@click.argument("agreement_id", required=False)
@click.option(
    "--expect-head",
    metavar="HASH",
    help="A head hash kept elsewhere (from `history --json`): fails if it is no longer in the chain.",
)
@click.option(
    "--checkpoint",
    "checkpoints",
    metavar="FILE",
    multiple=True,
    help="A checkpoint kept elsewhere (`apa-ledger checkpoint`): fails unless the store still extends it.",
)
@click.option("--key", "key_file", metavar="FILE", help="The signing key of signed checkpoints.")
@click.option(
    "--evidence",
    "evidence_dir",
    metavar="DIR",
    help="Re-hash every recorded document found in DIR: fails if one is not the document recorded.",
)
@workers_option(
    "Processes verifying at once, this one among them (0 or 1: this one).", "every core from 300 agreements"
)
@format_option("The verdict as JSON: ok and the message.")
@click.pass_context
def verify(
    ctx: click.Context,
    agreement_id: str | None,
    expect_head: str | None,
    checkpoints: tuple[str, ...],
    key_file: str | None,
    evidence_dir: str | None,
    workers: int | None,
    output: str | None,
    as_json: bool,
) -> None:
    """Check every stored record, hash chain and derived event, and replay from scratch.

    Exits 0 with a summary, or 1 naming the first break: a record not in the form the
    ledger writes, a chain that does not hold, a derived event the facts do not give, a row
    of no registered agreement or out of order in the log. With --expect-head or
    --checkpoint, deleted last events, a deleted agreement and a store rolled back to an
    older copy are caught too.

    \b
    Example:
      apa-ledger verify
      apa-ledger verify --checkpoint checkpoints/2004-06-30.json
      apa-ledger verify APA-2002 --expect-head 9f2c...e1
      apa-ledger verify APA-2002 --evidence documents/
    """
    output = chosen(output, as_json)
    ledger = ledger_from(ctx)
    ok, message = ledger.verify(
        agreement_id, expect_head, workers, checkpoints=checkpoints, key=key_file, evidence=evidence_dir
    )
    if output == "table":
        from commands.cli.render import terminal_safe

        click.echo(terminal_safe(message), err=not ok)
    else:
        emit(output, lambda: message, lambda: [{"ok": ok, "message": message}], {"ok": ok, "message": message})
    if not ok:
        ctx.exit(1)


@click.command()
@click.option("--store-path", default="apa-ledger-demo.sqlite", show_default=True, help="Where to build the demo.")
@click.pass_context
def demo(ctx: click.Context, store_path: str) -> None:
    """Build a realistic history of the APA in a fresh store and show its state over time.

    \b
    Example:
      apa-ledger demo
    """
    from commands.demo import run_demo

    run_demo(ctx.obj["store"] or store_path, click.echo)


def register(cli: click.Group) -> None:
    """Add the commands that read a ledger to the CLI group."""
    for command in (state, history, verify, demo):
        cli.add_command(command)
