"""Explanations of the Earnout Shares figures (1.5(b)-(c)): installments, A, n, D, N, M, cancellation."""

from __future__ import annotations

from datetime import date

from domain import earnout as rules
from projections.explain_base import Explanation, cite, explained, num
from projections.facts import Facts
from projections.models import AgreementState, BPEventState

B = "earnout.bp_event"


def _installments(facts: Facts, cutoff: date) -> tuple[int, int, str]:
    """(k, floor(E x k / I), how k is counted) for the installments due on or before ``cutoff``."""
    terms, closing = facts.terms, facts.closing_date
    if closing is None:
        return 0, 0, "k = 0: installments start at Closing, which has not occurred"
    numbers = range(1, terms.earnout_installments + 1)
    due = [k for k in numbers if rules.installment_due_on(terms, k, closing) <= cutoff]
    k = len(due)
    shares = rules.cumulative_installment_shares(terms, k)
    months = rules.installment_months(terms)
    catch_up = due[: rules.catch_up_installments(terms, closing)]
    parts = [f"{len(catch_up)} at Closing {closing} ({months[0]}..{months[len(catch_up) - 1]})"] if catch_up else []
    later = k - len(catch_up)
    if later:
        last = rules.installment_due_on(terms, due[-1], closing)
        parts.append(f"{later} on the first day of each month after the Closing month, the last on {last}")
    how = f"k = {k} installments due by {cutoff}" + (f": {' and '.join(parts)}" if parts else "")
    return k, shares, how


def _released(facts: Facts, state: AgreementState) -> list[Explanation]:
    terms, e, as_of = facts.terms, state.earnout, state.as_of
    E, n_inst = terms.earnout_shares, terms.earnout_installments
    governing = facts.bp_governing_date
    cutoff = as_of if governing is None else min(as_of, governing)
    k, shares, how = _installments(facts, cutoff)
    formula = f"released = floor(E × k / {n_inst}) = floor({E} × {k} / {n_inst}) = {shares}"
    bp = e.bp_event
    positions = cite(facts, "terms", "closing_date", "bp_event")
    settled_on = rules.settlement_delivered_on(terms, facts.closing_date)
    if bp is not None and bp.settlement_shares is not None and settled_on is not None and settled_on <= as_of:
        formula += f", plus M = {bp.settlement_shares} delivered {settled_on}: {shares + bp.settlement_shares}"
        positions = sorted({*positions, *_margin_positions(facts, bp)})
    if governing is not None:
        how += f"; none after the BP Event's governing date {governing}"
    total = e.released_shares + e.cancelled_shares
    pending = f"pending = E − released − cancelled = {E} − {e.released_shares} − {e.cancelled_shares} = "
    cancelled = (
        f"cancelled = A − M = {bp.undelivered_shares} − {bp.settlement_shares} = {e.cancelled_shares}, "
        f"on {bp.cancellation_on}"
        if bp is not None and bp.settlement_shares is not None and bp.cancellation_on <= as_of
        else f"cancelled = 0: no Earnout Shares are cancelled by {as_of} (only after a BP Event's settlement)"
    )
    deliveries = [m.shares for m in facts.deliveries]
    delivered = " + ".join(map(str, deliveries)) + f" = {e.delivered_shares}" if deliveries else "0: none recorded"
    return [
        explained("earnout.total_shares", f"E = {E} Earnout Shares (terms)", "1.5", "1.5", cite(facts, "terms")),
        explained("earnout.released_shares", f"{formula}; {how}", "1.5(b)", "1.5(b)", positions),
        explained("earnout.cancelled_shares", cancelled, "1.5(c)", "1.5(c)", cite(facts, "bp_event")),
        *_pending(facts, state, f"{pending}{E - total}", positions),
        explained(
            "earnout.delivered_shares",
            f"delivered = Σ EarnoutSharesDelivered = {delivered} (recorded acts of {facts.terms.earnout_agent}, "
            "reconciled against released)",
            "1.5(b)",
            "1.5",
            cite(facts, "delivered"),
        ),
    ]


def _pending(facts: Facts, state: AgreementState, pending: str, positions: list[int]) -> list[Explanation]:
    """1.5(b), 7.2: what is pending - nothing after a termination, whose figure says what ended."""
    e = state.earnout
    if facts.terminated_on is None:
        return [
            explained("earnout.pending_shares", pending, "1.5(b), 1.5(c)", "1.5(b)", positions),
            explained("earnout.terminated_shares", "terminated = 0: no termination under 7.1", "7.2", "7.2", []),
        ]
    ended = (
        f"terminated = E − released − cancelled = {e.total_shares} − {e.released_shares} − {e.cancelled_shares} "
        f"= {e.terminated_shares}: the agreement was terminated on {facts.terminated_on} under 7.1, and "
        "7.2 ends all further obligations of the Parties"
    )
    status = cite(facts, "status")
    return [
        explained(
            "earnout.pending_shares",
            f"pending = 0: nothing is pending after the termination on {facts.terminated_on}",
            "7.2",
            "7.2",
            status,
        ),
        explained("earnout.terminated_shares", ended, "7.2", "7.2", status),
    ]


def _margin_positions(facts: Facts, bp: BPEventState) -> list[int]:
    months = rules.measurement_months(facts.terms, bp.governing_date)
    base = rules.margin_base_months(facts.terms, bp.governing_date)
    return cite(facts, *(f"margin:{m}" for m in (*base, *months)))


def _settlement(facts: Facts, bp: BPEventState) -> list[Explanation]:
    """1.5(b): A, n, D, N, M with every number filled in."""
    terms = facts.terms
    E, n_inst = terms.earnout_shares, terms.earnout_installments
    governing = bp.governing_date
    months = rules.measurement_months(terms, governing)
    base_months = rules.margin_base_months(terms, governing)
    bp_pos = cite(facts, "bp_event", "closing_date")
    margins = _margin_positions(facts, bp)
    k, by_governing, how = _installments(facts, governing)
    A, D, N, M = bp.undelivered_shares, bp.assumed_margin_total, bp.capped_margin, bp.settlement_shares
    missing = f"not yet determinable: Gross Margin not reported for {', '.join(bp.missing_months)}"
    gm = facts.margins
    if D is not None:
        base = min(gm[m] for m in base_months)
        pair = ", ".join(f"GM {m} {num(gm[m])}" for m in base_months)
        d_formula = (
            f"D = Σ b × {terms.margin_decay}^i for i = 1..{bp.months}, b = min({pair}) = {num(base)}; "
            f"D = {num(D)} (exact, no rounding)"
        )
    else:
        d_formula = f"D {missing}"
    reported = [m for m in months if m in gm]
    span = f"{months[0]}..{months[-1]}" if months else "(no month)"
    actual = " + ".join(num(gm[m]) for m in reported) or "0"
    n_formula = (
        f"N = min(actual, D) = min({num(bp.actual_margin_total)}, {num(D)}) = {num(N)}"
        if N is not None
        else f"N {missing}"
    )
    m_formula = f"M = floor(A × N / D) = floor({A} × {num(N)} / {num(D)}) = {M}" if M is not None else f"M {missing}"
    dated = "the Deemed Event date (clause (c))" if facts.deemed_on is not None else "the BP Event's date"
    end = bp.measurement_end
    return [
        explained(
            f"{B}.governing_date",
            f"governing date = {dated} = {governing}; the BP Event occurred on {bp.occurred_on}",
            "BP Event, 1.5(b) N",
            "BP Event",
            bp_pos,
        ),
        explained(
            f"{B}.undelivered_shares",
            f"A = E − released by the governing date = {E} − floor({E} × {k} / {n_inst}) = {E} − {by_governing} "
            f"= {A}; {how}",
            "1.5(b) A",
            "1.5(b) A",
            bp_pos,
        ),
        explained(
            f"{B}.months",
            f"n = months {span} inclusive = {bp.months}",
            "1.5(b) N",
            "1.5(b) n",
            bp_pos,
        ),
        explained(
            f"{B}.measurement_start",
            f"first day of the governing month = {bp.measurement_start}; the Measurement Period ends {end}",
            "1.5(b) N",
            "1.5(b) N(i)",
            bp_pos,
        ),
        explained(f"{B}.assumed_margin_total", d_formula, "1.5(b) D", "1.5(b) D", margins),
        explained(
            f"{B}.actual_margin_total",
            f"actual = Σ GM {span} = {actual} = {num(bp.actual_margin_total)}"
            + (f"; {missing}" if bp.missing_months else ""),
            "1.5(b) N(i)",
            "1.5(b) N(i)",
            margins,
        ),
        explained(f"{B}.capped_margin", n_formula, "1.5(b) N", "1.5(b) N", margins),
        explained(f"{B}.settlement_shares", m_formula, "1.5(b) M", "1.5(b) M", sorted({*bp_pos, *margins})),
        explained(
            f"{B}.settlement_due_by",
            f"end of the Measurement Period {end} + {terms.settlement_days} days = {bp.settlement_due_by}",
            "1.5(b)",
            "1.5(b) M",
            bp_pos,
        ),
        explained(
            f"{B}.cancellation_on",
            f"later of {terms.cancellation_not_before} and {bp.settlement_due_by} = {bp.cancellation_on}",
            "1.5(c)",
            "1.5(c)",
            bp_pos,
        ),
    ]


def earnout_explanations(facts: Facts, state: AgreementState) -> list[Explanation]:
    bp = state.earnout.bp_event
    return [*_released(facts, state), *(_settlement(facts, bp) if bp is not None else [])]
