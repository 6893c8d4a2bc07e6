"""The obligations calendar: every dated duty and right of the agreement, with its status."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from domain.dates import add_days
from domain.survival import representation_expiry
from domain.values import format_money
from projections.facts import Facts, Reimbursement
from projections.models import EarnoutState, Obligation, OffsetState


@lru_cache(maxsize=16384)
def _obligation(*, clause: str, description: str, due_on: date, status: str, ref: str) -> Obligation:
    """An Obligation; equal fields give the same immutable instance (a timeline builds the
    same obligations at every change point)."""
    return Obligation(clause=clause, description=description, due_on=due_on, status=status, ref=ref)  # type: ignore


def timed_status(due_on: date, as_of: date, done: bool) -> str:
    """upcoming before the date, due on it, overdue after it, done once performed."""
    if done:
        return "done"
    if as_of < due_on:
        return "upcoming"
    return "due" if as_of == due_on else "overdue"


def _lapse(clause: str, description: str, on: date, as_of: date, ref: str) -> Obligation:
    """A date that passes by itself (an expiry, the end of a period): done once reached."""
    status = "done" if as_of >= on else "upcoming"
    return _obligation(clause=clause, description=description, due_on=on, status=status, ref=ref)


def _closing(facts: Facts, as_of: date) -> list[Obligation]:
    if facts.deadline is None:
        return []
    closed = facts.closing_date is not None or facts.terminated_on is not None
    items = [
        _obligation(
            clause="7.1",
            description=f"Closing on or before the close of business on {facts.deadline}",
            due_on=facts.deadline,
            status=timed_status(facts.deadline, as_of, closed),  # type: ignore[arg-type]
            ref="7.1:closing",
        )
    ]
    if facts.closing_date is None:
        opens = add_days(facts.deadline, 1)
        status = "done" if facts.terminated_on else ("upcoming" if as_of < opens else "due")
        items.append(
            _obligation(
                clause="7.1",
                description="Right of any Party to terminate if Closing has not occurred by the deadline",
                due_on=opens,
                status=status,  # type: ignore[arg-type]
                ref="7.1:termination-right",
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
                _lapse(
                    "1.5(c)",
                    f"{item.shares:,} undelivered Earnout Shares returned and cancelled",
                    item.on,
                    as_of,
                    "1.5(c):cancellation",
                )
            )
            continue
        cumulative += item.shares
        done = facts.delivered_shares >= cumulative if tracking else as_of >= item.on
        clause = "1.5(b)"
        what = {"catch-up": "catch-up at Closing", "installment": "installment", "settlement": "BP settlement, M"}
        items.append(
            _obligation(
                clause=clause,
                description=f"CRS delivers {item.shares:,} Earnout Shares to Sellers ({what[item.kind]})",
                due_on=item.on,
                status=timed_status(item.on, as_of, done),  # type: ignore[arg-type]
                ref="1.5(b):settlement" if item.kind == "settlement" else f"1.5(b):{item.kind}:{item.on}",
            )
        )
    bp = earnout.bp_event
    if bp is not None and bp.settlement_shares is None:
        items += _settlement_pending(bp.settlement_due_by, bp.cancellation_on, bp.missing_months, as_of)
    return items


def _settlement_pending(due: date, cancel_on: date, missing: list[str], as_of: date) -> list[Obligation]:
    """1.5(b)-(c): after a BP Event the settlement date and the cancellation are fixed even
    while M cannot be computed yet (Gross Margin not reported for every month)."""
    lacking = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")
    return [
        _obligation(
            clause="1.5(b)",
            description=f"CRS delivers M Earnout Shares to Sellers (BP settlement; M awaits Gross Margin: {lacking})",
            due_on=due,
            status=timed_status(due, as_of, False),  # type: ignore[arg-type]
            ref="1.5(b):settlement",
        ),
        _lapse(
            "1.5(c)",
            "Earnout Shares not delivered as M returned and cancelled",
            cancel_on,
            as_of,
            "1.5(c):cancellation",
        ),
    ]


def _survival(facts: Facts, as_of: date) -> list[Obligation]:
    items = []
    if facts.closing_date is not None:
        expiry = representation_expiry(facts.terms, facts.closing_date)
        items.append(
            _lapse(
                "7.3",
                "Representations in Articles II and III expire; claims must be asserted before",
                expiry,
                as_of,
                "7.3:representations",
            )
        )
    if facts.tax_statute is not None:
        items.append(
            _lapse(
                "7.3(ii)",
                "2.11 (Taxes) survives to the statute of limitations",
                facts.tax_statute,
                as_of,
                "7.3(ii):2.11",
            )
        )
    return items


def _offset(offset: OffsetState, as_of: date) -> list[Obligation]:
    items = []
    for p in offset.payments:
        if p.withheld_on is None:
            continue
        done = p.outstanding_withheld == 0
        if done:
            text = (
                f"Payment {p.payment_id}: {format_money(p.withheld)} withheld; {format_money(p.offset)} offset against "
                f"resolved claims, {format_money(p.released)} paid with {format_money(p.interest)} interest"
            )
        else:
            text = (
                f"Payment {p.payment_id}: {format_money(p.outstanding_withheld)} withheld since {p.withheld_on}; "
                f"what the claims do not cover is paid with 6% interest from {p.withheld_on}"
            )
        items.append(
            _obligation(
                clause="8.6",
                description=text,
                due_on=p.withheld_on,
                status="done" if done else "due",
                ref=f"8.6:{p.payment_id}",
            )
        )
    return items


def _reimbursement_text(item: Reimbursement) -> str:
    amount = f" of {format_money(item.amount)}" if item.amount is not None else ""
    if item.section == "4.7":
        return (
            f"Buyer reimburses Sellers' severance and vacation payments{amount} for {item.reference} "
            f"(employment commenced {item.triggered_on})"
        )
    if item.section == "8.3(b)(i)":
        what = f"the Tax Reimbursement Amount{amount} on claim {item.reference}"
        return f"Indemnifying Party pays {what} (notified {item.triggered_on})"
    return (
        f"Indemnified Party pays the Net Tax Benefit{amount} on claim {item.reference} (realized {item.triggered_on})"
    )


def _reimbursements(facts: Facts, as_of: date) -> list[Obligation]:
    """4.7 (10 days after employment commences), 8.3(b)(i) (10 days after notice), 8.3(b)(ii)
    (15 days after realization): done once ReimbursementPaid is recorded."""
    return [
        _obligation(
            clause=item.section,
            description=_reimbursement_text(item),
            due_on=item.due_on,
            status=timed_status(item.due_on, as_of, item.paid_on is not None),  # type: ignore[arg-type]
            ref=f"{item.section}:{item.reference}",
        )
        for item in facts.reimbursements.values()
    ]


def obligations_state(facts: Facts, earnout: EarnoutState, offset: OffsetState, as_of: date) -> list[Obligation]:
    terms = facts.terms
    items = [
        *_closing(facts, as_of),
        *_earnout(facts, earnout, as_of),
        *_survival(facts, as_of),
        *_offset(offset, as_of),
        *_reimbursements(facts, as_of),
    ]
    if facts.terminated_on is None:  # 7.2: termination ends the covenants of Article V
        items += [
            _lapse("5.1", "Restricted Period (non-solicitation) ends", terms.restricted_period_end, as_of, "5.1:end"),
            _lapse(
                "5.6",
                "Buyer may redeem the Buyer Securities from this date",
                terms.redemption_not_before,
                as_of,
                "5.6:redemption",
            ),
        ]
    return sorted(items, key=lambda o: (o.due_on, o.clause, o.ref))
