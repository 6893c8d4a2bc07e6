"""1.5(b)-(c): the Earnout Shares as of a date - installments, BP Event, settlement, cancellation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain import earnout as rules
from domain.dates import month_start
from domain.events import trusted_model
from domain.terms import Terms
from projections.facts import ZERO, Facts
from projections.models import BPEventState, EarnoutState, ScheduleItem


def _installment_schedule(facts: Facts, governing: date | None) -> list[ScheduleItem]:
    """1.5(b): the catch-up at Closing and each monthly installment after it, stopping at
    the BP Event's governing date (none after it). Depends on the terms (fixed for a fold),
    the Closing and the governing date only, so it is computed once per fold for each."""
    key = (facts.closing_date, governing)
    return list(
        facts.recall("installments", key, lambda: _shared_installments(facts.terms, facts.closing_date, governing))
    )


_SCHEDULES: dict[tuple[object, ...], tuple[ScheduleItem, ...]] = {}
_SCHEDULES_KEPT = 4096


def _shared_installments(terms: Terms, closing: date | None, governing: date | None) -> tuple[ScheduleItem, ...]:
    """``_compute_installments``, shared by every fold with the same inputs: the terms it reads
    (first month, number of installments, Earnout Shares), the Closing and the governing date.
    A portfolio's agreements mostly share them, and working the schedule out is the costliest
    step of a fold, which a replay runs for each agreement. Immutable items; bounded."""
    key = (terms.earnout_first_month, terms.earnout_installments, terms.earnout_shares, closing, governing)
    held = _SCHEDULES.get(key)
    if held is None:
        if len(_SCHEDULES) >= _SCHEDULES_KEPT:
            _SCHEDULES.clear()
        held = _SCHEDULES[key] = tuple(_compute_installments(terms, closing, governing))
    return held


def _compute_installments(terms: Terms, closing: date | None, governing: date | None) -> list[ScheduleItem]:
    """The catch-up and installments (reads only the terms named in ``_shared_installments``)."""
    if closing is None:
        return []
    items: list[ScheduleItem] = []
    released = 0
    at_closing = rules.catch_up_installments(terms, closing)
    for k in range(1, terms.earnout_installments + 1):
        due = rules.installment_due_on(terms, k, closing)
        if governing is not None and due > governing:
            break
        cumulative = rules.cumulative_installment_shares(terms, k)
        kind = "catch-up" if k <= at_closing else "installment"
        if items and items[-1].kind == "catch-up" and kind == "catch-up":
            items[-1] = _item(due, items[-1].shares + cumulative - released, kind)
        else:
            items.append(_item(due, cumulative - released, kind))
        released = cumulative
    return items


def _item(on: date, shares: int, kind: str) -> ScheduleItem:
    """A schedule item computed here from checked facts: built without re-validation."""
    return trusted_model(ScheduleItem, {"on": on, "shares": shares, "kind": kind})


def _months_read(terms: Terms, governing: date) -> tuple[str, ...]:
    """The months whose Gross Margin the BP Event reads: D's base months and the Measurement Period."""
    return (*rules.margin_base_months(terms, governing), *rules.measurement_months(terms, governing))


def bp_event(facts: Facts, installments: list[ScheduleItem]) -> BPEventState | None:
    """1.5(b): A, n, D, N and M for the BP Event, as far as the reported margins allow."""
    governing = facts.bp_governing_date
    occurred = facts.bp_occurred_on
    if governing is None or occurred is None:
        return None
    terms = facts.terms
    released_by_governing = sum(item.shares for item in installments if item.on <= governing)
    undelivered = terms.earnout_shares - released_by_governing  # A
    months = rules.measurement_months(terms, governing)
    base_months = rules.margin_base_months(terms, governing)
    missing = sorted({m for m in (*base_months, *months) if m not in facts.margins})
    assumed_total: Decimal | None = None
    if all(m in facts.margins for m in base_months):
        base = min(facts.margins[m] for m in base_months)
        assumed_total = rules.assumed_margin_total(terms, base, len(months))  # D
    actual_total = sum((facts.margins[m] for m in months if m in facts.margins), ZERO)
    capped = settlement = None
    if not missing and assumed_total is not None:
        capped = rules.capped_margin(actual_total, assumed_total)  # N
        settlement = rules.settlement_shares(undelivered, capped, assumed_total)  # M
    return BPEventState(
        clause=facts.bp_clause or "c",
        occurred_on=occurred,
        governing_date=governing,
        undelivered_shares=undelivered,
        measurement_start=month_start(months[0]) if months else governing,
        measurement_end=rules.measurement_period_end(terms),
        months=len(months),
        assumed_margin_total=assumed_total,
        actual_margin_total=actual_total,
        capped_margin=capped,
        settlement_shares=settlement,
        missing_months=missing,
        settlement_due_by=rules.settlement_due_by(terms),
        cancellation_on=rules.cancellation_on(terms),
    )


def _bp_event_recalled(facts: Facts, governing: date | None, installments: list[ScheduleItem]) -> BPEventState | None:
    """``bp_event``, reused while every input it reads is unchanged: the installments (by
    Closing and governing date), the BP Event's dates and clause, and the margins of the
    months it reads (a delivery is checked against the released shares, so a fold asks for
    the BP Event at every EarnoutSharesDelivered; D alone is n exact multiplications)."""
    if governing is None:
        return None
    months = facts.recall("bp-months", governing, lambda: _months_read(facts.terms, governing))
    key = (
        facts.closing_date,
        governing,
        facts.bp_occurred_on,
        facts.bp_clause,
        tuple(facts.margins.get(m) for m in months),
    )
    return facts.recall("bp-event", key, lambda: bp_event(facts, installments))


def release_schedule(facts: Facts) -> tuple[list[ScheduleItem], BPEventState | None]:
    """1.5(b)-(c): every dated release and the cancellation (in date order), and the BP Event.

    Installments up to the governing date; then M on its delivery date (at Closing if
    Closing is later, and not at all while there is no Closing) and the cancellation of
    A - M. After a termination (7.2) nothing is released or cancelled. Worked out again
    only once a figure it reads was cited (``Facts.earnout_revision``): a fold checks every
    delivery against it."""
    schedule, bp = facts.recall("release-schedule", facts.earnout_revision, lambda: _release_schedule(facts))
    return list(schedule), bp


def _release_schedule(facts: Facts) -> tuple[tuple[ScheduleItem, ...], BPEventState | None]:
    terms = facts.terms
    governing = facts.bp_governing_date
    schedule = _installment_schedule(facts, governing)
    bp = _bp_event_recalled(facts, governing, schedule)
    if facts.terminated_on is not None:
        # 7.2: on termination "all further obligations of the Parties ... shall terminate":
        # no Earnout Share is delivered or cancelled (and no Purchase Price reduction follows).
        schedule = []
    elif bp is not None and bp.settlement_shares is not None:
        delivered_on = rules.settlement_delivered_on(terms, facts.closing_date)
        if delivered_on is not None:
            schedule.append(_item(delivered_on, bp.settlement_shares, "settlement"))
        cancelled_count = bp.undelivered_shares - bp.settlement_shares
        schedule.append(_item(bp.cancellation_on, cancelled_count, "cancellation"))
        schedule.sort(key=lambda item: item.on)  # stable: a same-day settlement stays before the cancellation
    return tuple(schedule), bp


def released_by(schedule: list[ScheduleItem], as_of: date) -> int:
    """1.5(b): the Earnout Shares released on or before ``as_of`` (installments and M)."""
    return sum(i.shares for i in schedule if i.kind != "cancellation" and i.on <= as_of)


def share_counts(
    terms: Terms, schedule: list[ScheduleItem], as_of: date, terminated: bool
) -> tuple[int, int, int, int]:
    """1.5(b)-(c), 7.2, readings 3: the Earnout Shares released, cancelled, pending and ended by a
    termination as of ``as_of``, always adding up to the 75,000. After a termination under 7.1
    "all further obligations of the Parties ... shall terminate": nothing is pending any more,
    and what was not released or cancelled is counted as ended by the termination."""
    released = released_by(schedule, as_of)
    cancelled = sum(i.shares for i in schedule if i.kind == "cancellation" and i.on <= as_of)
    rest = terms.earnout_shares - released - cancelled
    return (released, cancelled, 0, rest) if terminated else (released, cancelled, rest, 0)


def earnout_state(facts: Facts, as_of: date) -> EarnoutState:
    """1.5(b)-(c): released, cancelled and pending Earnout Shares as of ``as_of`` (7.2: or ended
    by a termination).

    Released shares are what the agreement entitles Sellers to by then (installments
    due, and M once its delivery date has come); ``delivered_shares`` is what CRS is
    recorded to have delivered (EarnoutSharesDelivered), for reconciliation.
    """
    terms = facts.terms
    schedule, bp = release_schedule(facts)
    released, cancelled, pending, terminated = share_counts(terms, schedule, as_of, facts.terminated_on is not None)
    return EarnoutState(
        total_shares=terms.earnout_shares,
        released_shares=released,
        cancelled_shares=cancelled,
        pending_shares=pending,
        terminated_shares=terminated,
        delivered_shares=facts.delivered_shares,
        bp_event=bp,
        schedule=schedule,
    )
