"""1.5(b)-(c): the Earnout Shares as of a date - installments, BP Event, settlement, cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from domain import earnout as earnout_rules
from domain import earnout as rules
from domain.dates import first_of_next_month, month_start
from domain.events import (
    BPEventDeclared,
    DeemedEventAgreed,
    EarnoutSharesDelivered,
    GrossMarginReported,
    LedgerEvent,
    trusted_model,
)
from domain.terms import Terms
from projections.checks import Handler, reject, require_open
from projections.cited import Cited
from projections.facts import ZERO, Facts, Movement, recalled
from projections.models import BPEventState, EarnoutState, ScheduleItem


@recalled
def _installment_schedule(facts: Facts, governing: date | None) -> tuple[ScheduleItem, ...]:
    """1.5(b): the catch-up at Closing and each monthly installment after it, stopping at
    the BP Event's governing date (none after it)."""
    terms = facts.terms
    read = InstallmentTerms(terms.earnout_first_month, terms.earnout_installments, terms.earnout_shares)
    return _installments(read, facts.closing_date, governing)


class InstallmentTerms(NamedTuple):
    """The terms the installments read (1.5(b)), and nothing else: the rules below are given this
    for their ``terms``, so a rule that came to read another term would fail here, never be
    shared between agreements whose terms differ in it. A named tuple: built and hashed in C at
    every delivery's look-up of ``_installments``, where a frozen dataclass's were Python calls."""

    earnout_first_month: str
    earnout_installments: int
    earnout_shares: int


@lru_cache(maxsize=4096)
def _installments(terms: InstallmentTerms, closing: date | None, governing: date | None) -> tuple[ScheduleItem, ...]:
    """Pure, keyed by all it reads: shared by every fold with the same terms, Closing and governing
    date (a portfolio's agreements mostly share them; immutable items)."""
    if closing is None:
        return ()
    items: list[ScheduleItem] = []
    released = 0
    at_closing = rules.catch_up_installments(terms, closing)  # type: ignore[arg-type]
    for k in range(1, terms.earnout_installments + 1):
        due = rules.installment_due_on(terms, k, closing)  # type: ignore[arg-type]
        if governing is not None and due > governing:
            break
        cumulative = rules.cumulative_installment_shares(terms, k)  # type: ignore[arg-type]
        kind = "catch-up" if k <= at_closing else "installment"
        if items and items[-1].kind == "catch-up" and kind == "catch-up":
            items[-1] = _item(due, items[-1].shares + cumulative - released, kind)
        else:
            items.append(_item(due, cumulative - released, kind))
        released = cumulative
    return tuple(items)


def _item(on: date, shares: int, kind: str) -> ScheduleItem:
    """A schedule item computed here from checked facts: built without re-validation."""
    return trusted_model(ScheduleItem, {"on": on, "shares": shares, "kind": kind})


@recalled
def _bp_event(facts: Facts) -> BPEventState | None:
    """1.5(b): A, n, D, N and M for the BP Event, as far as the reported margins allow (a
    delivery is checked against the released shares, so a fold asks for the BP Event at every
    EarnoutSharesDelivered; D alone is n exact multiplications)."""
    governing = facts.bp_governing_date
    occurred = facts.bp_occurred_on
    if governing is None or occurred is None:
        return None
    terms, margins = facts.terms, facts.margins  # each read once: a recalled function's read is a call
    installments = _installment_schedule(facts, governing)
    released_by_governing = sum(item.shares for item in installments if item.on <= governing)
    undelivered = terms.earnout_shares - released_by_governing  # A
    months = rules.measurement_months(terms, governing)
    base_months = rules.margin_base_months(terms, governing)
    missing = sorted({m for m in (*base_months, *months) if m not in margins})
    assumed_total: Decimal | None = None
    if all(m in margins for m in base_months):
        base = min(margins[m] for m in base_months)
        assumed_total = rules.assumed_margin_total(terms, base, len(months))  # D
    actual_total = sum((margins[m] for m in months if m in margins), ZERO)
    capped = settlement = None
    if not missing and assumed_total is not None:
        capped = rules.capped_margin(actual_total, assumed_total)  # N
        settlement = rules.settlement_shares(undelivered, capped, assumed_total)  # M
    return trusted_model(  # the values are of the fields' types: worked out above from checked facts
        BPEventState,
        dict(
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
        ),
    )


def release_schedule(facts: Facts) -> tuple[list[ScheduleItem], BPEventState | None]:
    """1.5(b)-(c): every dated release and the cancellation (in date order), and the BP Event.

    Installments up to the governing date; then M on its delivery date (at Closing if
    Closing is later, and not at all while there is no Closing) and the cancellation of
    A - M. After a termination (7.2) nothing is released or cancelled. Worked out again
    only once a figure it read was cited (``recalled``): a fold checks every delivery
    against it."""
    schedule, bp = _release_schedule(facts)
    return list(schedule), bp


@recalled
def _release_schedule(facts: Facts) -> tuple[tuple[ScheduleItem, ...], BPEventState | None]:
    terms = facts.terms
    governing = facts.bp_governing_date
    installments = _installment_schedule(facts, governing)
    bp = _bp_event(facts)
    schedule = list(installments)
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


def released_by(schedule: Sequence[ScheduleItem], as_of: date) -> int:
    """1.5(b): the Earnout Shares released on or before ``as_of`` (installments and M)."""
    released = 0  # a loop, not a generator: a fold asks for it at every delivery
    for i in schedule:
        if i.kind != "cancellation" and i.on <= as_of:
            released += i.shares
    return released


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


# The fold's handlers of these facts (``projections.ledger`` dispatches to them).


def _margin(facts: Facts, e: GrossMarginReported) -> None:
    """Gross Margin, 1.5(b): a month's figure is reported after the month ends; a later
    recorded report for the same month supersedes the earlier one (from its recording on,
    whatever date it bears)."""
    earliest, last = facts.margin_months
    if not earliest <= e.month <= last:
        raise reject(
            e, f"month {e.month} plays no part in 1.5(b) (Gross Margin is used for {earliest} through {last})", "1.5(b)"
        )
    if e.occurred_on < first_of_next_month(e.month):
        raise reject(e, f"month {e.month} has not ended yet", "Gross Margin, 1.5(b)")
    figure = Cited.MARGIN.of(e.month)
    held = facts.sources.get(figure)
    if held and held[0] > e.position:
        return  # a report recorded later already governs this month, even if dated earlier
    facts.margins[e.month] = e.amount
    facts.cite_key(Cited.MARGIN, e.month, e.position, replace=True)


def _check_bp_window(facts: Facts, e: LedgerEvent, day: date, what: str) -> None:
    terms = facts.terms
    if not earnout_rules.in_bp_window(terms, day):
        raise reject(
            e,
            f"{what} {day} is outside the BP Event period {terms.bp_window_start} to {terms.bp_window_end}",
            "BP Event, 1.5(b)",
        )


def _bp_declared(facts: Facts, e: BPEventDeclared) -> None:
    """BP Event (a)-(c): one BP Event, during the 14-month period commencing January 1, 2003."""
    require_open(facts, e, "7.2")
    _check_bp_window(facts, e, e.occurred_on, "the BP Event date")
    if facts.bp_declared_on is not None:
        raise reject(e, f"a BP Event already occurred on {facts.bp_declared_on}", "BP Event, 1.5(b)")
    if facts.deemed_on is not None and (e.bp_clause == "c" or e.occurred_on >= facts.deemed_on):
        # readings 3: only the first BP Event counts - a clause (a) or (b) event before the agreed
        # Deemed Event date is the first, and governs (the Deemed Event is then moot)
        raise reject(
            e,
            f"a BP Event is deemed to have occurred on {facts.deemed_on} (agreed on {facts.deemed_agreed_on}); "
            "only a clause (a) or (b) event dated before it could come first",
            "BP Event, 1.5(b)",
        )
    facts.bp_declared_on = e.occurred_on
    facts.bp_clause = e.bp_clause
    facts.cite(Cited.BP_EVENT, e.position)


def _deemed(facts: Facts, e: DeemedEventAgreed) -> None:
    """BP Event (c): if Buyer accedes and Big Planet promotes, the parties agree a Deemed
    Event date not less than four nor more than seven months after the promotion."""
    require_open(facts, e, "7.2")
    if facts.deemed_on is not None:
        raise reject(e, f"a Deemed Event was already agreed for {facts.deemed_on}", "BP Event (c)")
    if facts.bp_declared_on is not None and facts.bp_clause != "c":
        raise reject(
            e, f"a clause ({facts.bp_clause}) BP Event already occurred on {facts.bp_declared_on}", "BP Event (c)"
        )
    low, high = earnout_rules.deemed_event_bounds(facts.terms, e.promotion_implemented_on)
    if not low <= e.deemed_on <= high:
        raise reject(
            e,
            f"deemed date {e.deemed_on} must be 4 to 7 months after the promotion of "
            f"{e.promotion_implemented_on}, i.e. {low} to {high}",
            "BP Event (c)",
        )
    _check_bp_window(facts, e, e.deemed_on, "the deemed date")
    if e.deemed_on < e.occurred_on:  # installments released meanwhile would be taken back; 1.5 has no clawback
        raise reject(e, f"deemed date {e.deemed_on} precedes the agreement on it; it cannot be in the past", "1.5(b)")
    facts.deemed_agreed_on = e.occurred_on
    facts.promotion_implemented_on = e.promotion_implemented_on
    facts.deemed_on = e.deemed_on
    facts.bp_clause = "c"
    facts.cite(Cited.BP_EVENT, e.position)


def _delivered(facts: Facts, e: EarnoutSharesDelivered) -> None:
    """1.5(b): CRS delivers Earnout Shares; never more than have been released by then."""
    released = released_by(_release_schedule(facts)[0], e.occurred_on)
    if facts.delivered_shares + e.shares > released:
        raise reject(
            e,
            f"deliveries would total {facts.delivered_shares + e.shares} but only {released} Earnout Shares "
            "are released by this date",
            "1.5(b)",
        )
    facts.delivered_shares += e.shares
    facts.deliveries.append(Movement(e.occurred_on, "delivery", e.shares, "", e.position))
    facts.cite(Cited.DELIVERED, e.position)


EARNOUT_HANDLERS: dict[type[LedgerEvent], Handler] = {  # type: ignore[dict-item]
    GrossMarginReported: _margin,
    BPEventDeclared: _bp_declared,
    DeemedEventAgreed: _deemed,
    EarnoutSharesDelivered: _delivered,
}
"""The fold's checks of 1.5(b)-(c), each fact checked then applied (``projections.ledger``)."""
