"""The obligations calendar: every dated duty and right of the agreement, with its status."""

from __future__ import annotations

from datetime import date

from domain.dates import add_days
from domain.survival import representation_expiry
from projections.facts import Facts
from projections.models import EarnoutState, Obligation, OffsetState


def timed_status(due_on: date, as_of: date, done: bool) -> str:
    """upcoming before the date, due on it, overdue after it, done once performed."""
    if done:
        return "done"
    if as_of < due_on:
        return "upcoming"
    return "due" if as_of == due_on else "overdue"


def _lapse(clause: str, description: str, on: date, as_of: date) -> Obligation:
    """A date that passes by itself (an expiry, the end of a period): done once reached."""
    return Obligation(clause=clause, description=description, due_on=on, status="done" if as_of >= on else "upcoming")


def _closing(facts: Facts, as_of: date) -> list[Obligation]:
    if facts.deadline is None:
        return []
    closed = facts.closing_date is not None or facts.terminated_on is not None
    items = [
        Obligation(
            clause="7.1",
            description=f"Closing on or before the close of business on {facts.deadline}",
            due_on=facts.deadline,
            status=timed_status(facts.deadline, as_of, closed),  # type: ignore[arg-type]
        )
    ]
    if facts.closing_date is None:
        opens = add_days(facts.deadline, 1)
        status = "done" if facts.terminated_on else ("upcoming" if as_of < opens else "due")
        items.append(
            Obligation(
                clause="7.1",
                description="Right of any Party to terminate if Closing has not occurred by the deadline",
                due_on=opens,
                status=status,  # type: ignore[arg-type]
            )
        )
    return items


def _earnout(facts: Facts, earnout: EarnoutState, as_of: date) -> list[Obligation]:
    """1.5(b)-(c). Deliveries reconcile against EarnoutSharesDelivered once any is recorded;
    a ledger that records no deliveries treats each release as done on its date."""
    tracking = bool(facts.deliveries)
    items, cumulative = [], 0
    for item in earnout.schedule:
        if item.kind == "cancellation":
            items.append(
                _lapse("1.5(c)", f"{item.shares} undelivered Earnout Shares returned and cancelled", item.on, as_of)
            )
            continue
        cumulative += item.shares
        done = facts.delivered_shares >= cumulative if tracking else as_of >= item.on
        clause = "1.5(b)"
        what = {"catch-up": "catch-up at Closing", "installment": "installment", "settlement": "BP settlement (M)"}
        items.append(
            Obligation(
                clause=clause,
                description=f"CRS delivers {item.shares} Earnout Shares to Sellers ({what[item.kind]})",
                due_on=item.on,
                status=timed_status(item.on, as_of, done),  # type: ignore[arg-type]
            )
        )
    return items


def _survival(facts: Facts, as_of: date) -> list[Obligation]:
    items = []
    if facts.closing_date is not None:
        expiry = representation_expiry(facts.terms, facts.closing_date)
        items.append(
            _lapse(
                "7.3", "Representations in Articles II and III expire; claims must be asserted before", expiry, as_of
            )
        )
    if facts.tax_statute is not None:
        items.append(_lapse("7.3(ii)", "2.11 (Taxes) survives to the statute of limitations", facts.tax_statute, as_of))
    return items


def _offset(offset: OffsetState, as_of: date) -> list[Obligation]:
    items = []
    for p in offset.payments:
        if p.withheld_on is None:
            continue
        done = p.outstanding_withheld == 0
        items.append(
            Obligation(
                clause="8.6",
                description=(
                    f"Payment {p.payment_id}: {p.outstanding_withheld} still withheld; what the resolved "
                    "claims do not cover is paid with 6% interest"
                ),
                due_on=p.withheld_on,
                status="done" if done else "due",
            )
        )
    return items


def obligations_state(facts: Facts, earnout: EarnoutState, offset: OffsetState, as_of: date) -> list[Obligation]:
    terms = facts.terms
    items = [
        *_closing(facts, as_of),
        *_earnout(facts, earnout, as_of),
        *_survival(facts, as_of),
        *_offset(offset, as_of),
        _lapse("5.1", "Restricted Period (non-solicitation) ends", terms.restricted_period_end, as_of),
        _lapse("5.6", "Buyer may redeem the Buyer Securities from this date", terms.redemption_not_before, as_of),
    ]
    return sorted(items, key=lambda o: (o.due_on, o.clause))
