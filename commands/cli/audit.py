"""CLI commands for the audit area, registered on the `apa-ledger` group by `register`.

`diff` (what changed between two moments of knowledge, and which events did it),
`explain` (the derivation of one figure), and the helpers `state --explain` and
`apply --dry-run` use. Parsing and printing only; the logic is in
``projections.diff`` and ``projections.explain``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import click

from commands.cli.output import emit, format_option


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def explained_state_json(result: Any, found: dict[str, Any]) -> dict[str, Any]:
    """`state --json --explain`: the state plus "explanations" (dotted key -> formula, clause, text, positions)."""
    data = result.model_dump(mode="json")
    data["explanations"] = {
        key: {"formula": x.formula, "clause": x.clause, "text": x.text, "positions": x.positions}
        for key, x in found.items()
    }
    return data


def render_explanations(found: dict[str, Any]) -> str:
    """`state --explain` as text: one figure a line with its derivation, clause and positions."""
    lines = ["", "Explanations"]
    for key, x in found.items():
        if not isinstance(x.value, dict):
            lines.append(f"  {key} = {x.value}: {x.formula}  [{x.clause}] positions {x.positions or '-'}")
    return "\n".join(lines)


ROWS = ("claims.", "survival.", "obligations.", "offset.payments.")


def _row_of(figure: str) -> str | None:
    """The row a dotted key belongs to ("claims.C2.status" -> "claims.C2"), if any."""
    for prefix in ROWS:
        if figure.startswith(prefix):
            return figure[: figure.rfind(".")]
    return None


def render_changes(found: Sequence[Any]) -> list[str]:
    """Each changed figure as "key  old -> new"; a row that appeared or vanished whole is one line."""
    lines: list[str] = []
    width = min(48, max((len(c.figure) for c in found), default=0))
    i = 0
    while i < len(found):
        c, row = found[i], _row_of(found[i].figure)
        group = [c]
        while row and i + len(group) < len(found) and _row_of(found[i + len(group)].figure) == row:
            group.append(found[i + len(group)])
        whole = len(group) > 1 and (all(g.old is None for g in group) or all(g.new is None for g in group))
        if whole and row:
            side = "new" if group[0].old is None else "old"
            fields = ", ".join(f"{g.figure[len(row) + 1 :]}={getattr(g, side)}" for g in group)
            lines.append(
                f"  {row:<{width}}  {'(none)' if side == 'new' else fields} -> {fields if side == 'new' else '(none)'}"
            )
            i += len(group)
            continue
        old, new = ("-" if v is None else v for v in (c.old, c.new))
        lines.append(f"  {c.figure:<{width}}  {old!s:>14} -> {new!s}")
        i += 1
    return lines


def render_impact(report: Any) -> str:
    """The impact report as text: each changed figure old -> new, then the events that caused it."""
    after = report.known_at_after.isoformat() if report.known_at_after else "now"
    head = f"State on {report.as_of}: known at {report.known_at_before.isoformat()} vs known at {after}"
    if not report.changes:
        lines = [head, "no figure differs"]
    else:
        lines = [head, f"{len(report.changes)} figure(s) differ:", *render_changes(report.changes)]
    lines.append(f"events recorded in between that bear on {report.as_of}: {len(report.causes)}")
    for e in report.causes:
        payload = " ".join(f"{k}={v}" for k, v in e.payload.items() if k != "terms")
        lines.append(
            f"  {e.position:>5}  {e.type:<24} occurred {e.occurred_on}  recorded {e.recorded_at.isoformat()}  "
            f"{payload}  [{e.clause}]"
        )
    return "\n".join(lines)


def show_dry_run(
    ledger: Any,
    agreement_id: str,
    planned: Sequence[Any],
    as_of: str | None,
    as_json: bool,
    with_diff: bool,
    echo: Callable[[str], None],
) -> None:
    """`apply --dry-run`: the state the batch would produce on ``as_of`` (default: the latest
    occurred_on in the batch), or with ``with_diff`` its difference from the current state."""
    from commands.cli.options import parse_as_of
    from commands.cli.render import render_state
    from projections.diff import changes
    from projections.state import project

    current = list(ledger.events(agreement_id))
    day = parse_as_of(as_of) if as_of else max((e.occurred_on for e in planned), default=date.today())
    after = project([*current, *planned], day)
    if not with_diff:
        echo(after.model_dump_json(indent=2) if as_json else render_state(after))
        return
    found = changes(project(current, day).model_dump(mode="json"), after.model_dump(mode="json"))
    if as_json:
        echo(_json({"as_of": day.isoformat(), "changes": [c.model_dump(mode="json") for c in found]}))
        return
    echo(f"State on {day}: current vs after this batch" + ("" if found else "\nno figure differs"))
    for line in render_changes(found):
        echo(line)


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""

    @cli.command()
    @click.argument("agreement_id")
    @click.option("--as-of", metavar="DATE", help="The date whose state is compared (default today).")
    @click.option(
        "--known-at",
        "known_at",
        metavar="TIMESTAMP",
        multiple=True,
        required=True,
        help="T1, and optionally T2 (default: now): compare the state as known at each.",
    )
    @format_option("The report as JSON.")
    @click.pass_context
    def diff(
        ctx: click.Context,
        agreement_id: str,
        as_of: str | None,
        known_at: tuple[str, ...],
        output: str | None,
        as_json: bool,
    ) -> None:
        """Which figures of the state on a date changed between two moments of knowledge, and why.

        Lists every figure that differs (old and new) and the events recorded
        between T1 and T2 that bear on the date (position, type, occurred_on,
        recorded_at): "a back-dated claim just arrived - which releases and
        surrenders are now wrong?" --format json is the whole report; jsonl and
        csv a row per changed figure.

        \b
        Example:
          apa-ledger diff APA-2002 --as-of 2004-03-31 --known-at 2004-04-01T00:00:00Z
          apa-ledger diff APA-2002 --as-of 2004-03-31 --known-at 2004-04-01 --known-at 2004-06-01T12:00+02:00 --json
        """
        from commands.cli.options import ledger_from, parse_as_of, parse_known_at
        from commands.cli.output import chosen
        from domain.errors import InvalidInput

        if len(known_at) > 2:
            raise InvalidInput("diff takes --known-at T1 and at most one more --known-at T2", "CLI")
        day = parse_as_of(as_of)
        t1 = parse_known_at(known_at[0])
        t2 = parse_known_at(known_at[1]) if len(known_at) == 2 else None
        assert t1 is not None  # required=True
        output = chosen(output, as_json)
        report = ledger_from(ctx).diff(agreement_id, t1, t2, as_of=day)
        changed = [c.model_dump(mode="json") for c in report.changes]
        emit(output, lambda: render_impact(report), lambda: changed, report.model_dump_json(indent=2))

    @cli.command()
    @click.argument("agreement_id")
    @click.argument("figure")
    @click.option("--as-of", metavar="DATE", help="The date of the state (default today).")
    @click.option("--known-at", metavar="TIMESTAMP", help="Only what was recorded by then (ISO 8601).")
    @click.option("--json", "as_json", is_flag=True, help="The explanation as JSON.")
    @click.pass_context
    def explain(
        ctx: click.Context, agreement_id: str, figure: str, as_of: str | None, known_at: str | None, as_json: bool
    ) -> None:
        """How one figure of the state is derived: formula, clause, text, events.

        FIGURE is a dotted key of `state --json` (a survival row or a claim may be
        named whole: survival.2.7, claims.C2). An unknown FIGURE exits 2 and
        names the closest keys.

        \b
        Example:
          apa-ledger explain APA-2002 earnout.bp_event.settlement_shares --as-of 2004-03-30
          apa-ledger explain APA-2002 escrow.reserved_shares --as-of 2004-02-01 --known-at 2004-02-02T09:00Z --json
        """
        from commands.cli.options import ledger_from, parse_as_of, parse_known_at

        day, stamp = parse_as_of(as_of), parse_known_at(known_at)
        x = ledger_from(ctx).explain(agreement_id, figure, day, stamp)
        if as_json:
            click.echo(x.model_dump_json(indent=2))
            return
        value = _json(x.value) if isinstance(x.value, dict) else x.value
        known = f", as known at {stamp.isoformat()}" if stamp else ""
        from commands.cli.render import terminal_safe

        lines = [
            f"{x.figure} = {value}   (as of {day}{known})",
            f"  derivation: {x.formula}",
            f"  clause:     {x.clause}",
            f"  text:       {x.text}",
            f"  events:     {', '.join(map(str, x.positions)) or 'none (the terms alone)'}",
        ]
        for source in x.sources:
            by = f" by {source.recorded_by}" if source.recorded_by else ""
            documents = ", ".join(f"{d.name} (sha256 {d.sha256[:12]})" for d in source.evidence) or "no document"
            lines.append(f"    {source.position:>5}  {source.type}  recorded{by}, on {documents}")
        click.echo(terminal_safe("\n".join(lines)))
