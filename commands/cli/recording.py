"""Entering facts: `new` registers an agreement, `apply` a file of facts as one batch, `record` one fact."""

from __future__ import annotations

from typing import Any

import click

from commands.cli.options import fail, ledger_from, read_input
from domain.errors import InvalidInput


def recorded_by_option(command: Any) -> Any:
    return click.option(
        "--recorded-by",
        metavar="NAME",
        help="Who records it (default: $APA_LEDGER_USER, else the operating-system user).",
    )(command)


def evidence_option(command: Any) -> Any:
    return click.option(
        "--evidence",
        "evidence",
        metavar="FILE",
        multiple=True,
        help="A document the facts rest on (repeatable): its name, size and SHA-256 are recorded.",
    )(command)


@click.command()
@click.argument("agreement_id")
@click.option("--terms", "terms_file", type=click.Path(), help="JSON file of terms (default: this agreement's).")
@recorded_by_option
@click.pass_context
def new(ctx: click.Context, agreement_id: str, terms_file: str | None, recorded_by: str | None) -> None:
    """Register a new agreement (its terms default to the December 6, 2002 APA).

    \b
    Example:
      apa-ledger new APA-2002
      apa-ledger new OTHER --terms other-terms.json
    """
    from commands.parsing import read_terms

    terms = read_terms(read_input(terms_file), "--terms") if terms_file else None
    outcome = ledger_from(ctx).register(agreement_id, terms, recorded_by=recorded_by)
    click.echo(f"registered {outcome.agreement_id} (position 1)")


@click.command(name="apply")
@click.argument("agreement_id")
@click.argument("file", metavar="FILE.jsonl|-")
@click.option("--dry-run", is_flag=True, help="Validate and show the resulting state; append nothing.")
@click.option("--as-of", metavar="DATE", help="With --dry-run: the date shown (default: latest occurred_on).")
@click.option("--diff", "with_diff", is_flag=True, help="With --dry-run: show what the file would change.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: the state (or the diff) as JSON.")
@click.option("--idempotency-key", metavar="KEY", help="Recognise a re-sent batch by KEY, not by its exact content.")
@recorded_by_option
@evidence_option
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
    recorded_by: str | None,
    evidence: tuple[str, ...],
) -> None:
    """Apply a JSON Lines file of facts, all or nothing.

    Each line is one fact named by its event type; a rejected line is reported
    with its number, the rule and the clause, and nothing is appended. The same
    batch applied again is recognised and appends nothing; of a file grown at its
    end since it was applied, only the new lines are appended. Every event records
    who recorded it and the documents it rests on (--evidence, and a line's own
    "evidence": [{"name": ..., "sha256": ...}]).

    \b
    Example:
      apa-ledger apply APA-2002 history.jsonl
      apa-ledger apply APA-2002 claim.jsonl --recorded-by "J. Smith" --evidence notice.pdf
      apa-ledger apply APA-2002 history.jsonl --idempotency-key upload-2004-03-01
      apa-ledger apply APA-2002 late-claim.jsonl --dry-run --diff --as-of 2004-03-31
      echo '{"type": "ClosingOccurred", "occurred_on": "2003-04-10"}' | apa-ledger apply APA-2002 -
    """
    if not dry_run and (as_of or with_diff or as_json):
        fail("--as-of, --diff and --json go with --dry-run")
    facts = read_input(file)
    ledger = ledger_from(ctx)
    outcome = ledger.apply(
        agreement_id,
        facts,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
        recorded_by=recorded_by,
        evidence=evidence,
    )
    if outcome.already_applied:
        from commands.idempotency import positions_text

        batch = outcome.batch
        label = batch if batch.startswith("key:") else batch[:23]
        where = positions_text(*outcome.already_applied)
        click.echo(f"already applied at {where} of {agreement_id} (batch {label}); nothing appended")
        return
    verb = "would append" if dry_run else "appended"
    n = len(outcome.appended)
    last = outcome.appended[-1].position if outcome.appended else 0
    summary = f"{verb} {n} event{'s' if n != 1 else ''} to {agreement_id} (through position {last})"
    if outcome.applied_before:
        summary += f"; the file's first {outcome.applied_before} facts were applied before"
    if dry_run:
        from commands.cli.audit import show_dry_run

        click.echo(summary, err=as_json)
        show_dry_run(ledger, agreement_id, outcome.appended, as_of, as_json, with_diff, click.echo)
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


class RecordCommand(click.Command):
    """`record --help` ends with every event type a user records, its clause and its fields."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from domain.events import EVENT_TYPES, USER_EVENT_TYPES, fact_fields

        rows = []
        for name in sorted(USER_EVENT_TYPES):
            cls = EVENT_TYPES[name]
            fields = []
            for field, info in cls.model_fields.items():
                shown = info.alias or field
                if shown in fact_fields(cls) and shown != "occurred_on":
                    flag = "--notice-*" if shown == "notice" else "--" + shown.replace("_", "-")
                    fields.append(flag if info.is_required() else f"[{flag}]")
            rows.append((name, f"({cls.clause}) {' '.join(fields) or '-'}"))
        with formatter.section("Event types (TYPE) and their fields ([optional]; --notice-*: by, sent_on ... of 9.11)"):
            formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


@click.command(cls=RecordCommand, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("agreement_id")
@click.argument("event_type", metavar="TYPE")
@click.option(
    "--occurred-on",
    metavar="DATE",
    help="When it happened under the agreement (for a notice, the day 9.11 makes it effective: filled in if left out).",
)
@recorded_by_option
@evidence_option
@click.pass_context
def record(
    ctx: click.Context,
    agreement_id: str,
    event_type: str,
    occurred_on: str | None,
    recorded_by: str | None,
    evidence: tuple[str, ...],
) -> None:
    """Record one fact, its fields given as --name VALUE.

    \b
    Example:
      apa-ledger record APA-2002 ClosingOccurred --occurred-on 2003-04-10
      apa-ledger record APA-2002 ClaimAsserted --occurred-on 2004-01-15 \\
          --claim-id C2 --claimant buyer --sections 2.14 --amount 30000
      apa-ledger record APA-2002 ClaimAsserted --notice-by mail --notice-sent-on 2005-04-06 \\
          --claim-id C3 --claimant buyer --sections 2.7 --amount 40000
      apa-ledger record APA-2002 ClaimResolved --occurred-on 2004-03-01 \\
          --claim-id C2 --amount 30000 --evidence settlement.pdf --recorded-by "J. Smith"
    """
    dated = {"occurred_on": occurred_on} if occurred_on is not None else {}
    fact = {"type": event_type, **dated, **parse_fields(ctx.args)}
    outcome = ledger_from(ctx).record(agreement_id, fact, recorded_by=recorded_by, evidence=evidence)
    for event in outcome.appended:
        click.echo(f"recorded {event.type} at position {event.position}")


def register(cli: click.Group) -> None:
    """Add the commands that enter facts to the CLI group."""
    for command in (new, apply_cmd, record):
        cli.add_command(command)
