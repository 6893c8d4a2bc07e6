"""The `apa-ledger` command line: parses arguments, calls handlers and projections, prints.

Exit status 0 on success, 2 on a rejected command or bad input (one line on
stderr, never a traceback), 1 when `verify` finds a broken chain.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from commands.cli_scale import workers_option
from commands.runtime import tune
from domain.errors import InvalidInput, LedgerError

SURROGATE = re.compile("[\ud800-\udfff]")
EPILOG_STORE = "The store is --store, else $APA_LEDGER_STORE, else ./apa-ledger.sqlite."


class UserError(click.ClickException):
    exit_code = 2


def fail(message: str) -> NoReturn:
    raise UserError(message)


def parse_as_of(value: str | None) -> date:
    """--as-of: a date (YYYY-MM-DD); defaults to today, the CLI's one reading of the clock."""
    from domain.values import parse_date

    if value is None:
        return date.today()
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InvalidInput(f"--as-of: {exc}", "CLI") from None


def parse_known_at(value: str | None) -> datetime | None:
    """--known-at: an ISO 8601 timestamp, UTC or with an offset (naive means UTC)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            stamp = datetime.combine(date.fromisoformat(text), datetime.max.time())
        else:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--known-at: {value[:60]!r} is not an ISO 8601 timestamp", "CLI") from None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def open_from(ctx: click.Context, create: bool = True) -> Any:
    from commands.store import open_store

    return open_store(ctx.obj["store"], create=create)


def read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path!r}: {exc.strerror}", "CLI") from None
    except ValueError:  # a NUL byte in the path
        raise InvalidInput(f"cannot read {path!r}: not a valid file name", "CLI") from None


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG_STORE,
)
@click.option("--store", metavar="PATH|URL", help="SQLite file or postgresql:// URL of the event store.")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """An event-sourced ledger of the Buyers United / I-Link Asset Purchase Agreement.

    \b
    Example:
      apa-ledger new APA-2002 && apa-ledger apply APA-2002 history.jsonl
      apa-ledger state APA-2002 --as-of 2003-12-31
    """
    ctx.ensure_object(dict)
    if store is not None and not store.strip():
        fail("--store: empty path")
    ctx.obj["store"] = store


@cli.command()
@click.argument("agreement_id")
@click.option("--terms", "terms_file", type=click.Path(), help="JSON file of terms (default: this agreement's).")
@click.pass_context
def new(ctx: click.Context, agreement_id: str, terms_file: str | None) -> None:
    """Register a new agreement (its terms default to the December 6, 2002 APA).

    \b
    Example:
      apa-ledger new APA-2002
      apa-ledger new OTHER --terms other-terms.json
    """
    from commands.handlers import register_agreement
    from commands.importer import read_terms

    terms = read_terms(read_input(terms_file), "--terms") if terms_file else None
    outcome = register_agreement(open_from(ctx), agreement_id, terms)
    click.echo(f"registered {outcome.agreement_id} (position 1)")


@cli.command(name="apply")
@click.argument("agreement_id")
@click.argument("file", metavar="FILE.jsonl|-")
@click.option("--dry-run", is_flag=True, help="Validate and show the resulting state; append nothing.")
@click.option("--as-of", metavar="DATE", help="With --dry-run: the date shown (default: latest occurred_on).")
@click.option("--diff", "with_diff", is_flag=True, help="With --dry-run: show what the file would change.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: the state (or the diff) as JSON.")
@click.option("--idempotency-key", metavar="KEY", help="Recognise a re-sent batch by KEY, not by its exact content.")
@click.pass_context
def apply_cmd(
    ctx: click.Context,
    agreement_id: str,
    file: str,
    dry_run: bool,
    as_of: str | None,
    with_diff: bool,
    as_json: bool,
    idempotency_key: str | None,
) -> None:
    """Apply a JSON Lines file of facts, all or nothing.

    Each line is one fact named by its event type; a rejected line is reported
    with its number, the rule and the clause, and nothing is appended. The same
    batch applied again is recognised and appends nothing.

    \b
    Example:
      apa-ledger apply APA-2002 history.jsonl
      apa-ledger apply APA-2002 history.jsonl --idempotency-key upload-2004-03-01
      apa-ledger apply APA-2002 late-claim.jsonl --dry-run --diff --as-of 2004-03-31
      echo '{"type": "ClosingOccurred", "occurred_on": "2003-04-10"}' | apa-ledger apply APA-2002 -
    """
    from commands.handlers import apply_facts
    from commands.idempotency import read_batch

    if not dry_run and (as_of or with_diff or as_json):
        fail("--as-of, --diff and --json go with --dry-run")
    drafts, batch = read_batch(read_input(file), idempotency_key)
    store = open_from(ctx)
    outcome = apply_facts(store, agreement_id, drafts, dry_run=dry_run, batch=batch)
    if outcome.already_applied:
        from commands.idempotency import positions_text

        label = batch if batch.startswith("key:") else batch[:23]
        where = positions_text(*outcome.already_applied)
        click.echo(f"already applied at {where} of {agreement_id} (batch {label}); nothing appended")
        return
    verb = "would append" if dry_run else "appended"
    n = len(outcome.appended)
    last = outcome.appended[-1].position if outcome.appended else 0
    summary = f"{verb} {n} event{'s' if n != 1 else ''} to {agreement_id} (through position {last})"
    if dry_run:
        from commands.cli_audit import show_dry_run

        click.echo(summary, err=as_json)
        show_dry_run(store, agreement_id, outcome.appended, as_of, as_json, with_diff, click.echo)
        return
    click.echo(summary)


def parse_fields(args: list[str]) -> dict[str, Any]:
    """`--claim-id C1 --sections 2.14,2.7 --amount 27500` -> fact fields; `--notice-by mail
    --notice-sent-on 2005-04-07` -> the fact's 9.11 notice ``{"by": ..., "sent_on": ...}``."""
    fields: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) < 3:
            raise InvalidInput(f"unexpected argument {arg[:40]!r}: fields are given as --name VALUE", "CLI")
        name, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(args):
                raise InvalidInput(f"--{name} needs a value", "CLI")
            value = args[i + 1]
            i += 1
        key = name.replace("-", "_")
        if key.startswith("notice_"):
            fields.setdefault("notice", {})[key.removeprefix("notice_")] = value
        else:
            fields[key] = [s.strip() for s in value.split(",") if s.strip()] if key == "sections" else value
        i += 1
    return fields


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("agreement_id")
@click.argument("event_type", metavar="TYPE")
@click.option(
    "--occurred-on",
    metavar="DATE",
    help="When it happened under the agreement (for a notice, the day 9.11 makes it effective: filled in if left out).",
)
@click.pass_context
def record(ctx: click.Context, agreement_id: str, event_type: str, occurred_on: str | None) -> None:
    """Record one fact, its fields given as --name VALUE.

    \b
    Example:
      apa-ledger record APA-2002 ClosingOccurred --occurred-on 2003-04-10
      apa-ledger record APA-2002 ClaimAsserted --occurred-on 2004-01-15 \\
          --claim-id C2 --claimant buyer --sections 2.14 --amount 30000
      apa-ledger record APA-2002 ClaimAsserted --notice-by mail --notice-sent-on 2005-04-06 \\
          --claim-id C3 --claimant buyer --sections 2.7 --amount 40000
    """
    from commands.handlers import apply_facts
    from commands.importer import draft_from_mapping

    dated = {"occurred_on": occurred_on} if occurred_on is not None else {}
    draft = draft_from_mapping({"type": event_type, **dated, **parse_fields(ctx.args)})
    outcome = apply_facts(open_from(ctx), agreement_id, [draft])
    for event in outcome.appended:
        click.echo(f"recorded {event.type} at position {event.position}")


@cli.command()
@click.argument("agreement_id")
@click.option("--as-of", metavar="DATE", help="Valid time: the state on this date (default today).")
@click.option("--known-at", metavar="TIMESTAMP", help="Only what was recorded by then (ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable state (DESIGN.md keys).")
@click.option("--explain", is_flag=True, help="Add each figure's derivation, clause and events.")
@click.pass_context
def state(
    ctx: click.Context, agreement_id: str, as_of: str | None, known_at: str | None, as_json: bool, explain: bool
) -> None:
    """The state of an agreement on a date, optionally as known at a past moment.

    \b
    Example:
      apa-ledger state APA-2002 --as-of 2003-12-31
      apa-ledger state APA-2002 --as-of 2004-06-30 --known-at 2004-05-01T00:00:00Z --json
      apa-ledger state APA-2002 --as-of 2004-03-30 --json --explain
    """
    from projections.state import project

    day, stamp = parse_as_of(as_of), parse_known_at(known_at)
    agreement = open_from(ctx, create=False).load(agreement_id)
    if explain and as_json:
        from commands.cli_audit import explained_state_json

        click.echo(json.dumps(explained_state_json(agreement.events, day, stamp), indent=2, ensure_ascii=False))
        return
    result = project(agreement.events, day, stamp)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        from commands.render import render_state

        click.echo(render_state(result))
        if explain:
            from commands.cli_audit import render_explanations

            click.echo(render_explanations(agreement.events, day, stamp))


@cli.command()
@click.argument("agreement_id")
@click.option("--json", "as_json", is_flag=True, help="Every event as JSON.")
@click.option("--as-of", metavar="DATE", help="Only events that occurred by this date.")
@click.option("--known-at", metavar="TIMESTAMP", help="Only events recorded by this moment.")
@click.pass_context
def history(ctx: click.Context, agreement_id: str, as_json: bool, as_of: str | None, known_at: str | None) -> None:
    """Every event of an agreement: position, both times, hash, clause, payload.

    \b
    Example:
      apa-ledger history APA-2002
      apa-ledger history APA-2002 --json --known-at 2004-01-01T00:00:00Z
    """
    from commands.render import history_rows, render_history

    agreement = open_from(ctx, create=False).load(agreement_id)
    events = list(agreement.events)
    if as_of is not None:
        day = parse_as_of(as_of)
        events = [e for e in events if e.occurred_on <= day]
    if known_at is not None:
        stamp = parse_known_at(known_at)
        events = [e for e in events if e.timestamp <= stamp]
    rows = history_rows(events)
    click.echo(json.dumps(rows, indent=2) if as_json else render_history(rows))


@cli.command()
@click.argument("agreement_id", required=False)
@click.option(
    "--expect-head",
    metavar="HASH",
    help="A head hash kept elsewhere (from `history --json`): fails if it is no longer in the chain.",
)
@workers_option(
    "Processes verifying at once, this one among them (0 or 1: this one).", "every core from 300 agreements"
)
@click.pass_context
def verify(ctx: click.Context, agreement_id: str | None, expect_head: str | None, workers: int | None) -> None:
    """Recompute every hash chain and replay the projections from scratch.

    Exits 0 with a summary, or 1 naming the first position where a chain breaks.
    With --expect-head, a truncated tail (deleted last events) is caught too.

    \b
    Example:
      apa-ledger verify
      apa-ledger verify APA-2002 --expect-head 9f2c...e1
    """
    from commands.audit import verify_store
    from domain.errors import UnknownAgreement

    store = open_from(ctx, create=False)
    if agreement_id is not None and not store.exists(agreement_id):
        raise UnknownAgreement(f"no agreement {agreement_id!r} in this store")  # a user error (2), not a break (1)
    if expect_head is not None and (agreement_id is None or not re.fullmatch(r"[0-9a-f]{64}", expect_head)):
        raise InvalidInput("--expect-head needs an AGREEMENT_ID and a 64-hex-digit hash from `history --json`", "CLI")
    ok, message = verify_store(store, agreement_id, expect_head, workers)
    if not ok:
        click.echo(message, err=True)
        ctx.exit(1)
    click.echo(message)


@cli.command()
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


def _register_areas() -> None:
    from commands import cli_audit, cli_reliability, cli_reporting, cli_scale

    for area in (cli_audit, cli_reporting, cli_scale, cli_reliability):
        area.register(cli)


_register_areas()


def say(message: str) -> None:
    """The one line on stderr: line breaks and control characters in echoed input are escaped
    (so they can neither split the line nor drive the terminal), and a huge echo is cut."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in message)
    click.echo(f"apa-ledger: {text[:500] + '...' if len(text) > 500 else text}", err=True)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point: one line on stderr and exit 2 for any user error."""
    args = sys.argv[1:] if argv is None else argv
    tune()
    if any(SURROGATE.search(arg) or "\x00" in arg for arg in args):  # bytes not UTF-8 arrive as surrogates
        say("an argument is not valid UTF-8 text (CLI)")
        sys.exit(2)
    try:
        # standalone_mode=False returns ctx.exit()'s status instead of raising it (e.g. verify's 1)
        status = cli.main(args=argv, prog_name="apa-ledger", standalone_mode=False)
    except LedgerError as exc:
        say(str(exc))
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        say(exc.format_message())
        sys.exit(2 if isinstance(exc, click.UsageError | UserError) else exc.exit_code)
    except click.Abort:
        click.echo("apa-ledger: aborted", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("apa-ledger: interrupted; nothing half-written (appends are atomic)", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("APA_LEDGER_DEBUG"):
            raise
        say(f"internal error: {type(exc).__name__}: {str(exc)[:200]}")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
