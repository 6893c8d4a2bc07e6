"""The obligations calendar: every dated duty and right of the agreement, with its status.

Each area of the agreement yields its duties (``Duty``: clause, description, due date
and the rule by which its status follows the date); a duty's status on a date is then
read off its rule. The duties of an area depend only on the facts, so a timeline
rebuilds them when those facts change and otherwise re-reads a duty's status only on
the dates its rule names (``Duty.bounds``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from domain.closing import CLAUSE as CLOSING_CLAUSE
from domain.dates import add_days
from domain.notices import effect
from domain.survival import representation_expiry, tax_expiry
from domain.values import format_money
from projections.closing import closing_of, last_conditions_text
from projections.facts import Facts, Reimbursement
from projections.models import BPEventState, EarnoutState, Obligation, OffsetState, ScheduleItem

Rule = Literal["timed", "lapse", "opens", "fixed"]
CLOSING_DATE_REF = "closing:date"


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


@dataclass(frozen=True, slots=True)
class Duty:
    """A dated duty or right before its status: ``rule`` says how the status follows ``as_of``.

    - ``timed``: done once performed, else upcoming / due on the date / overdue after it;
    - ``lapse``: a date that passes by itself (an expiry, the end of a period): done once reached;
    - ``opens``: a right that opens on the date: upcoming before, due from it on (done once spent);
    - ``fixed``: due until performed, whatever the date.
    """

    clause: str
    description: str
    due_on: date
    ref: str
    rule: Rule
    done: bool = False

    def status(self, as_of: date) -> str:
        if self.rule == "timed":
            return timed_status(self.due_on, as_of, self.done)
        if self.rule == "lapse":
            return "done" if as_of >= self.due_on else "upcoming"
        if self.done:
            return "done"
        if self.rule == "opens":
            return "upcoming" if as_of < self.due_on else "due"
        return "due"

    def at(self, as_of: date) -> Obligation:
        status = self.status(as_of)
        return _obligation(
            clause=self.clause, description=self.description, due_on=self.due_on, status=status, ref=self.ref
        )

    def bounds(self) -> tuple[date, ...]:
        """The dates on which ``status`` can change (it is constant between them)."""
        if self.done or self.rule == "fixed":
            return ()
        if self.rule == "timed":
            return (self.due_on, add_days(self.due_on, 1))  # due on the date, overdue after it
        return (self.due_on,)


def closing_date_duty(facts: Facts) -> Duty | None:
    """ "Closing" (1.1), 1.5(a): the Closing on the Closing Date, three business days after
    the last condition of 6.1 is obtained or waived; done once the Closing occurs, on that
    day or on "such other date as the Parties may mutually agree" (or once the agreement is
    terminated, as the 7.1 deadline is). None until every condition is obtained or waived,
    except that a Closing before then, in a ledger that records conditions, is shown as on a
    date the Parties agreed."""
    closing = closing_of(facts)
    closed_on, due = facts.closing_date, closing.due
    done = closed_on is not None or facts.terminated_on is not None
    if due is None:
        if closed_on is None or closing.agreed_other_date is None:
            return None
        missing = ", ".join(closing.outstanding)
        text = f"Closing on {closed_on}, a date the Parties agreed (1.5(a)); {missing} not obtained or waived by then"
        return Duty(CLOSING_CLAUSE, text, closed_on, CLOSING_DATE_REF, "timed", True)
    basis = f"{due.count.days} business days after {last_conditions_text(facts, due)}, the last of 6.1"
    if closed_on is None:
        text = f"Closing on the Closing Date: {basis}"
        if facts.deadline is not None and due.closing_date > facts.deadline:
            text += f"; after the 7.1 deadline of {facts.deadline}"
    elif closing.agreed_other_date:
        text = f"Closing on {closed_on}, a date the Parties agreed (1.5(a)); the Closing Date was {basis}"
    else:
        text = f"Closing on the Closing Date {closed_on}: {basis}"
    if facts.terminated_on is not None and closed_on is None:
        text += f"; the agreement was terminated on {facts.terminated_on}"
    return Duty(CLOSING_CLAUSE, text, due.closing_date, CLOSING_DATE_REF, "timed", done)


def closing_duties(facts: Facts) -> list[Duty]:
    """ "Closing" (1.1) and 1.5(a): the Closing Date; 7.1: Closing by the deadline, and the
    right to terminate once it has passed."""
    on_the_date = closing_date_duty(facts) if facts.conditions else None
    duties = [] if on_the_date is None else [on_the_date]
    if facts.deadline is None:
        return duties
    closed = facts.closing_date is not None or facts.terminated_on is not None
    text = f"Closing on or before the close of business on {facts.deadline}"
    duties.append(Duty("7.1", text, facts.deadline, "7.1:closing", "timed", closed))
    if facts.closing_date is None:
        opens = add_days(facts.deadline, 1)
        right = "Right of any Party to terminate if Closing has not occurred by the deadline"
        duties.append(Duty("7.1", right, opens, "7.1:termination-right", "opens", facts.terminated_on is not None))
    return duties


def earnout_duties(facts: Facts, schedule: Sequence[ScheduleItem], bp: BPEventState | None) -> list[Duty]:
    """1.5(b)-(c). Deliveries reconcile against EarnoutSharesDelivered once any is recorded;
    a ledger that records no deliveries treats each release as done on its date."""
    tracking = bool(facts.deliveries)
    agent = facts.terms.earnout_agent  # who delivers, by the agreement's name for it (1.5(b))
    duties, cumulative = [], 0
    for item in schedule:
        if item.kind != "cancellation":
            cumulative += item.shares
        if tracking and item.kind != "cancellation":
            delivered = facts.delivered_shares >= cumulative
            duties.append(_release(agent, item.kind, item.shares, item.on, "timed", delivered))
        else:  # done on its date: before it, upcoming (so is the cancellation, a date that passes)
            duties.append(_release(agent, item.kind, item.shares, item.on, "lapse", False))
    if bp is not None and bp.settlement_shares is None:
        duties += _settlement_pending(agent, bp.settlement_due_by, bp.cancellation_on, bp.missing_months)
    return duties


_RELEASED = {"catch-up": "catch-up at Closing", "installment": "installment", "settlement": "BP settlement, M"}


@lru_cache(maxsize=16384)
def _release(agent: str, kind: str, shares: int, on: date, rule: Rule, done: bool) -> Duty:
    """One release (or the cancellation) of the schedule as a duty; equal inputs give the same
    duty (a timeline works the schedule's duties out again at every delivery)."""
    if kind == "cancellation":
        text = f"{shares:,} undelivered Earnout Shares returned and cancelled"
        return Duty("1.5(c)", text, on, "1.5(c):cancellation", rule, done)
    ref = "1.5(b):settlement" if kind == "settlement" else f"1.5(b):{kind}:{on}"
    text = f"{agent} delivers {shares:,} Earnout Shares to Sellers ({_RELEASED[kind]})"
    return Duty("1.5(b)", text, on, ref, rule, done)


def _settlement_pending(agent: str, due: date, cancel_on: date, missing: list[str]) -> list[Duty]:
    """1.5(b)-(c): after a BP Event the settlement date and the cancellation are fixed even
    while M cannot be computed yet (Gross Margin not reported for every month)."""
    lacking = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")
    text = f"{agent} delivers M Earnout Shares to Sellers (BP settlement; M awaits Gross Margin: {lacking})"
    cancelled = "Earnout Shares not delivered as M returned and cancelled"
    return [
        Duty("1.5(b)", text, due, "1.5(b):settlement", "timed"),
        Duty("1.5(c)", cancelled, cancel_on, "1.5(c):cancellation", "lapse"),
    ]


def survival_duties(facts: Facts) -> list[Duty]:
    """7.3 and 7.3(ii): the first days on which the representations, and 2.11, no longer survive
    (each row is done from that day, when the state's row says "expired")."""
    duties = []
    if facts.closing_date is not None:
        expiry = representation_expiry(facts.terms, facts.closing_date)
        text = "Representations in Articles II and III expire; claims must be asserted before"
        duties.append(Duty("7.3", text, expiry, "7.3:representations", "lapse"))
    if facts.tax_statute is not None:  # lapses the day after the statute date, as the state's row
        text = f"2.11 (Taxes) expires, having survived through the statute of limitations ({facts.tax_statute})"
        duties.append(Duty("7.3(ii)", text, tax_expiry(facts.tax_statute), "7.3(ii):2.11", "lapse"))
    return duties


def offset_duties(offset: OffsetState) -> list[Duty]:
    """8.6: each withheld payment, due until what the claims do not cover is paid back."""
    duties = []
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
        duties.append(Duty("8.6", text, p.withheld_on, f"8.6:{p.payment_id}", "fixed", done))
    return duties


def _reimbursement_text(item: Reimbursement) -> str:
    amount = f" of {format_money(item.amount)}" if item.amount is not None else ""
    if item.section == "4.7":
        return (
            f"Buyer reimburses Sellers' severance and vacation payments{amount} for {item.reference} "
            f"(employment commenced {item.triggered_on})"
        )
    if item.section == "8.3(b)(i)":
        what = f"the Tax Reimbursement Amount{amount} on claim {item.reference}"
        given = f": {effect(item.notice)}" if item.notice is not None else ""
        return f"Indemnifying Party pays {what} (notified {item.triggered_on}{given})"
    return (
        f"Indemnified Party pays the Net Tax Benefit{amount} on claim {item.reference} (realized {item.triggered_on})"
    )


def reimbursement_duties(facts: Facts) -> list[Duty]:
    """4.7 (10 days after employment commences), 8.3(b)(i) (10 days after notice), 8.3(b)(ii)
    (15 days after realization): done once ReimbursementPaid is recorded."""
    duties = []
    for item in facts.reimbursements.values():
        ref = f"{item.section}:{item.reference}"
        duties.append(
            Duty(item.section, _reimbursement_text(item), item.due_on, ref, "timed", item.paid_on is not None)
        )
    return duties


def indemnity_duties(facts: Facts) -> list[Duty]:
    """8.1(c), readings 5: Buyer Securities a resolution made due beyond what the escrow held - due
    from Sellers outside the escrow until the Buyer has them (the ledger records no such surrender)."""
    duties = []
    for claim in facts.claims_of("buyer", "resolved"):
        if claim.outside_shares and claim.closed_on is not None:
            why = "the escrow held too few" if facts.escrow_deposited else "no escrow deposit is recorded"
            text = (
                f"Sellers surrender {claim.outside_shares:,} Buyer Securities outside the escrow for claim "
                f"{claim.claim_id} ({why})"
            )
            duties.append(Duty("8.1(c)", text, claim.closed_on, f"8.1(c):{claim.claim_id}", "fixed"))
    return duties


def covenant_duties(facts: Facts) -> list[Duty]:
    """5.1 and 5.6; 7.2: termination ends the covenants of Article V."""
    if facts.terminated_on is not None:
        return []
    terms = facts.terms
    return [
        Duty("5.1", "Restricted Period (non-solicitation) ends", terms.restricted_period_end, "5.1:end", "lapse"),
        Duty(
            "5.6",
            "Buyer may redeem the Buyer Securities from this date",
            terms.redemption_not_before,
            "5.6:redemption",
            "lapse",
        ),
    ]


def duties(facts: Facts, earnout: EarnoutState, offset: OffsetState) -> list[Duty]:
    """Every duty of the calendar, area by area."""
    return [
        *closing_duties(facts),
        *earnout_duties(facts, earnout.schedule, earnout.bp_event),
        *survival_duties(facts),
        *offset_duties(offset),
        *indemnity_duties(facts),
        *reimbursement_duties(facts),
        *covenant_duties(facts),
    ]


def calendar(items: Iterable[Duty], as_of: date) -> list[Obligation]:
    """The obligations as of ``as_of``, by due date, clause and reference."""
    return sorted((duty.at(as_of) for duty in items), key=lambda o: (o.due_on, o.clause, o.ref))


def obligations_state(facts: Facts, earnout: EarnoutState, offset: OffsetState, as_of: date) -> list[Obligation]:
    return calendar(duties(facts, earnout, offset), as_of)
