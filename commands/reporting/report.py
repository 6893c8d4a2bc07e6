"""`apa-ledger report`: one self-contained HTML page (inline CSS and SVG, no scripts, no fetches)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from typing import Any

from commands.reporting.charts import Axis, Marker, Series, step_chart, survival_chart
from commands.reporting.report_style import CSS
from domain.earnout import installment_due_on
from domain.events import AgreementRegistered, LedgerEvent
from domain.terms import Terms
from projections.headline import headline_of
from projections.models import AgreementState
from projections.state import project
from projections.timeline import change_points


def _n(value: int) -> str:
    return f"{value:,}"


def _money(value: str) -> str:
    whole, _, cents = value.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}${int(whole.lstrip('-')):,}.{cents or '00'}"


def registered_terms(events: Sequence[LedgerEvent]) -> Terms:
    """The terms the agreement was registered on (its first event), for the names the page shows."""
    first = events[0] if events else None
    return first.terms if isinstance(first, AgreementRegistered) else Terms()


def card(label: str, figure: str, value: Any, shown: str, clause: str, sub: str = "") -> str:
    """A headline figure; ``data-figure``/``data-value`` carry the raw `state --json` value."""
    return (
        f'<div class="card" data-figure="{figure}" data-value="{escape(str(value))}">'
        f'<div class="label">{escape(label)}</div><div class="value">{escape(shown)}</div>'
        f'<div class="sub">{escape(sub)}</div><div class="clause">{escape(clause)}</div></div>'
    )


def headline_cards(s: dict[str, Any]) -> str:
    e, x, b = s["earnout"], s["escrow"], s["indemnity"]["buyer"]
    total, deposited = e["total_shares"], max(1, x["deposited_shares"])
    return "".join(
        [
            card("Earnout Shares released", "released_shares", e["released_shares"], _n(e["released_shares"]),
                 "1.5(b)", f"of {_n(total)}; {_n(e['delivered_shares'])} recorded delivered"),
            card("Earnout Shares cancelled", "cancelled_shares", e["cancelled_shares"], _n(e["cancelled_shares"]),
                 "1.5(c)", f"price reduced {_money(s['purchase_price']['reduction'])}"),
            card("Earnout Shares pending", "pending_shares", e["pending_shares"], _n(e["pending_shares"]), "1.5(b)",
                 f"{100 * e['pending_shares'] / max(1, total):.1f}% of the Earnout Shares"),
            card("Escrow balance", "balance_shares", x["balance_shares"], _n(x["balance_shares"]), "8.1(c)",
                 f"{_n(x['surrendered_shares'])} surrendered, {_n(x['released_shares'])} released"),
            card("Escrow reserved", "reserved_shares", x["reserved_shares"], _n(x["reserved_shares"]), "8.1(c)",
                 f"{_n(x['available_shares'])} available ({100 * x['available_shares'] / deposited:.0f}%)"),
            card("Buyer payable losses", "buyer_payable", b["payable"], _money(b["payable"]), "8.1(b)",
                 f"resolved {_money(b['resolved_losses'])}; pending {_money(b['pending_losses'])}"),
            card("Cash due beyond escrow", "buyer_cash_due", b["cash_due"], _money(b["cash_due"]), "8.1(c)",
                 f"{_money(b['satisfied_in_shares'])} satisfied in shares"),
            card("Withheld payments", "withheld_outstanding", s["offset"]["withheld_outstanding"],
                 _money(s["offset"]["withheld_outstanding"]), "8.6",
                 f"interest paid {_money(s['offset']['interest_paid'])}"),
        ]
    )  # fmt: skip


def bp_panel(s: dict[str, Any], terms: Terms) -> str:
    bp = s["earnout"]["bp_event"]
    if not bp:
        n, closing = terms.earnout_installments, s["closing_date"]
        until = f" to {installment_due_on(terms, n, date.fromisoformat(closing))}" if closing else ""
        return f'<p class="muted">No BP Event recorded: the {n} monthly installments continue{until} (1.5(b)).</p>'
    m = bp["settlement_shares"]
    rows = [
        (
            "BP Event",
            f"clause ({bp['clause']}) on {bp['occurred_on']}; governing date {bp['governing_date']}",
            "BP Event",
        ),
        ("A — undelivered at the BP Event", _n(bp["undelivered_shares"]), "1.5(b)"),
        (
            "Measurement Period",
            f"{bp['measurement_start']} to {bp['measurement_end']} ({bp['months']} months)",
            "1.5(b)",
        ),
        (
            "D — assumed Gross Margin",
            _money(bp["assumed_margin_total"]) if bp["assumed_margin_total"] else "—",
            "1.5(b)",
        ),
        ("Actual Gross Margin", _money(bp["actual_margin_total"]), "1.5(b)"),
        ("N — lesser of actual and D", _money(bp["capped_margin"]) if bp["capped_margin"] else "—", "1.5(b)"),
        ("M — settlement shares", _n(m) if m is not None else "awaiting " + ", ".join(bp["missing_months"]), "1.5(b)"),
        ("Settlement due by / cancellation on", f"{bp['settlement_due_by']} / {bp['cancellation_on']}", "1.5(b)-(c)"),
    ]
    body = "".join(
        f"<tr><th>{escape(a)}</th><td>{escape(str(b))}</td><td class='clause'>{c}</td></tr>" for a, b, c in rows
    )
    return f'<table class="kv">{body}</table>'


def price_panel(s: dict[str, Any], terms: Terms) -> str:
    p, e = s["purchase_price"], s["earnout"]
    net = Decimal(p["securities_value"]) - Decimal(p["reduction"])
    rows = [
        ("Buyer Securities", f"{_n(p['securities_shares'])} Series B shares", "1.3"),
        (
            f"Value at {_money(str(terms.liquidation_value))} liquidation value",
            _money(p["securities_value"]),
            "1.3, 3.2",
        ),
        ("Earnout Shares cancelled", _n(e["cancelled_shares"]), "1.5(c)"),
        ("Reduction of the Purchase Price", _money(p["reduction"]), "1.5(c)"),
        ("Buyer Securities value after reduction", _money(f"{net:.2f}"), "1.3, 1.5(c)"),
    ]
    body = "".join(f"<tr><th>{escape(a)}</th><td>{escape(b)}</td><td class='clause'>{c}</td></tr>" for a, b, c in rows)
    return f'<table class="kv">{body}</table>'


def _table(headers: Sequence[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table; each cell carries its column's name (``data-label``), which the phone layout
    shows beside the value when it stacks a row's cells (report_style)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    labels = [escape(h) for h in headers]
    body = "".join(
        f'<tr class="{(classes or [""] * len(rows))[i]}">'
        + "".join(f'<td data-label="{label}">{c}</td>' for label, c in zip(labels, row, strict=True))
        + "</tr>"
        for i, row in enumerate(rows)
    )
    body = body or f'<tr><td colspan="{len(headers)}" class="muted">none</td></tr>'
    return f"<table class='grid-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def obligations_table(state: AgreementState) -> str:
    rows = [
        [str(o.due_on), f'<span class="badge {o.status}">{o.status}</span>', escape(o.clause), escape(o.description)]
        for o in state.obligations
    ]
    return _table(["Due", "Status", "Clause", "Obligation"], rows, [o.status for o in state.obligations])


def claims_table(s: dict[str, Any]) -> str:
    rows = [
        [escape(c["claim_id"]), escape(c["claimant"]), escape(", ".join(c["sections"])), c["asserted_on"],
         f'<span class="badge {c["status"]}">{c["status"]}</span>', _money(c["amount"]),
         _money(c["resolved_amount"]) if c["resolved_amount"] else "—", _n(c["surrendered_shares"])]
        for c in s["claims"]
    ]  # fmt: skip
    headers = ["Claim", "Claimant", "Sections", "Asserted", "Status", "Claimed", "Resolved", "Escrow shares"]
    return _table(headers, rows)


def _charts(points: list[tuple[date, AgreementState]], state: AgreementState, as_of: date, terms: Terms) -> str:
    start = points[0][0]
    lines = [(d, headline_of(s)) for d, s in points]
    changed = [d for (d, h), (_, prev) in zip(lines[1:], lines, strict=False) if h != prev] or [start]
    end = min(as_of, changed[-1] + timedelta(days=max(60, (changed[-1] - start).days // 12)))
    axis = Axis(start, max(end, start + timedelta(days=30)))
    total = state.earnout.total_shares
    earnout_series = [
        Series("released to Sellers (1.5(b))", "#2e7d32", [(d, h["released_shares"]) for d, h in lines], fill=True),
        Series("cancelled (1.5(c))", "#c62828", [(d, h["cancelled_shares"]) for d, h in lines]),
        Series(f"delivered by {terms.earnout_agent}", "#6d4c41", [(d, h["delivered_shares"]) for d, h in lines]),
    ]
    marks: list[Marker] = []
    bp = state.earnout.bp_event
    if bp is not None:
        marks.append(Marker(bp.occurred_on, f"BP Event ({bp.clause}) {bp.occurred_on}", "#6a1b9a"))
        if bp.settlement_shares is not None and bp.settlement_due_by <= axis.end:
            marks.append(Marker(bp.settlement_due_by, f"M = {bp.settlement_shares:,} due", "#6a1b9a", "dot", 1))
    if state.closing_date:
        marks.append(Marker(state.closing_date, f"Closing {state.closing_date}", "#37474f", "line", 1))
    if as_of <= axis.end:
        marks.append(Marker(as_of, f"as of {as_of}", "#b00020", "line", 2))
    earnout = step_chart("Earnout Shares over time", axis, earnout_series, marks, total)
    escrow_series = [
        Series("escrow balance (8.1(c))", "#1565c0", [(d, h["escrow_balance_shares"]) for d, h in lines], fill=True),
        Series(
            "reserved for pending claims", "#ef6c00", [(d, h["escrow_reserved_shares"]) for d, h in lines], fill=True
        ),
    ]
    claim_marks = []
    for i, c in enumerate(sorted(state.claims, key=lambda c: c.asserted_on)):
        claim_marks.append(Marker(c.asserted_on, f"{c.claim_id} asserted", "#ad1457", "dot", i % 2))
        if c.resolved_on is not None:
            claim_marks.append(Marker(c.resolved_on, f"{c.claim_id} {c.status}", "#00695c", "line", i % 2))
    if as_of <= axis.end:
        claim_marks.append(Marker(as_of, f"as of {as_of}", "#b00020", "line", 2))
    deposited = max([state.escrow.deposited_shares, *(h["escrow_balance_shares"] for _, h in lines)])
    escrow = step_chart("Escrow shares over time", axis, escrow_series, claim_marks, deposited)
    return _scrolling(earnout) + _scrolling(escrow)


def _scrolling(chart: str) -> str:
    """A chart in a box that scrolls sideways on a narrow screen (the chart keeps a legible
    width there instead of shrinking its labels to nothing; the page itself never scrolls sideways)."""
    return f'<div class="chart-wrap">{chart}</div>'


def _survival(state: AgreementState, as_of: date) -> str:
    rows = [r.model_dump() for r in state.survival]
    start = state.closing_date
    dates = [r["expires_on"] for r in rows if r["expires_on"]] + [as_of]
    first = start or state.effective_date or as_of
    axis = Axis(first, max(dates) + timedelta(days=120))
    return _scrolling(survival_chart(rows, axis, start, as_of))


def render_report(
    agreement_id: str, events: Sequence[LedgerEvent], as_of: date, progress: Callable[[int], None] | None = None
) -> str:
    """The dashboard page for ``agreement_id`` as of ``as_of`` (as known now)."""
    points: list[tuple[date, AgreementState]] = []
    dates, folded = sorted(e.occurred_on for e in events), 0
    for day, point in change_points(events):
        if day > as_of:
            break
        points.append((day, point))
        if progress is not None:  # in events folded so far, to match the bar's length
            reached = bisect_right(dates, day)
            progress(reached - folded)
            folded = reached
    state = project(events, as_of)
    s = state.model_dump(mode="json")
    terms = registered_terms(events)
    charts = _charts(points, state, as_of, terms) if points else '<p class="muted">No events by this date.</p>'
    last = events[-1]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(agreement_id)} as of {as_of} · {escape(terms.heading)}</title>
<style>{CSS}</style></head>
<body><main>
<header><div><div class="eyebrow">{escape(terms.heading)} · {escape(terms.parties)}</div>
<h1>{escape(agreement_id)} <span class="pill {s["status"]}">{s["status"]}</span></h1>
<div class="meta">State as of <strong id="as-of">{as_of}</strong> · Effective Date {s["effective_date"] or "—"} ·
Closing {s["closing_date"] or "—"} · {len(events)} events, latest recorded {last.timestamp:%Y-%m-%d %H:%M} UTC ·
chain head <code>{last.hash[:12]}</code></div></div></header>
<section class="cards">{headline_cards(s)}</section>
<section><h2>Earnout and escrow over time</h2>{charts}</section>
<section class="two"><div><h2>BP Event settlement (1.5(b)-(c))</h2>{bp_panel(s, terms)}</div>
<div><h2>Purchase Price (1.3, 1.5(c))</h2>{price_panel(s, terms)}</div></section>
<section><h2>Claims for indemnification (8.1-8.4)</h2>{claims_table(s)}</section>
<section><h2>Obligations as of {as_of}</h2>{obligations_table(state)}</section>
<section><h2>Survival (7.3)</h2>{_survival(state, as_of)}</section>
<footer>Figures are as the ledger knows them now (every recorded event, retractions applied), on the
valid-time date above; each cites its clause. Generated by apa-ledger from the event store; no external
resources.</footer>
</main></body></html>
"""
