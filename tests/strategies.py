"""Hypothesis strategies for random histories of the APA (issue 6), and the filter that keeps them valid.

``candidate_facts`` draws a signing, perhaps a Closing, then facts of every kind
on random dates - so back-dated arrivals are the norm - mostly valid by
construction (deemed dates 4-7 months after the promotion, margins reported
after their month, claims on sections of the agreement). ``valid_history``
then keeps exactly the facts the ledger's own planner accepts, one by one, in
memory: the histories are valid because the ledger says so, not because the
test believes so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from commands.handlers import plan
from commands.parsing import Draft, draft_from_mapping
from domain.agreement import Agreement, register
from domain.dates import add_months
from domain.errors import LedgerError
from domain.events import LedgerEvent
from domain.terms import Terms

MONTHS = ["2002-12", *(f"2003-{m:02d}" for m in range(1, 13)), "2004-01", "2004-02"]
CLAIM_IDS = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
BUYER_SECTIONS = [["2.14"], ["2.7"], ["2.11"], ["2.1"], ["2.14", "2.16"], ["8.1(a)"]]
SELLER_SECTIONS = [["3.3"], ["3.4"], ["3.8"], ["3.1"]]
AMOUNTS = ["0", "1.00", "15000", "24999.99", "25000", "25000.01", "27500", "249999.99", "250000", "260000.50"]
SHARES = [1, 100, 1000, 4250, 16071, 20750, 25000]
START = date(2002, 12, 6)
SETTLED = date(2004, 3, 30)  # 1.5(b)-(c): M due and the rest cancelled (default terms)


def days(low: str, high: str) -> st.SearchStrategy[date]:
    return st.dates(date.fromisoformat(low), date.fromisoformat(high))


money = st.sampled_from(AMOUNTS) | st.integers(0, 40_000_000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")
margin_amount = st.sampled_from(["100000.00", "90000.00", "0", "-500.00"]) | st.integers(-1000, 150_000).map(str)
shares = st.sampled_from(SHARES) | st.integers(1, 30_000)
any_day = days("2002-11-01", "2008-06-30")


def fact(kind: str, on: date, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "occurred_on": on.isoformat(), **fields}


@st.composite
def margin_report(draw: st.DrawFn) -> dict[str, Any]:
    """Gross Margin, 1.5(b): reported after the month ends (sometimes too early: filtered), and by the
    settlement date 2004-03-30 (1.5(c)): a revision after it moves M from its date on, either way -
    the audit area's reading (tests/test_corrections.py) - so "released never decreases" is a property
    of histories without post-settlement revisions."""
    month = draw(st.sampled_from(MONTHS))
    first_next = add_months(date.fromisoformat(month + "-01"), 1)
    on = min(first_next + timedelta(days=draw(st.integers(-3, 90))), SETTLED)
    return fact("GrossMarginReported", on, month=month, amount=draw(margin_amount))


@st.composite
def margin_series(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Gross Margin, 1.5(b): every month from December 2002 to February 2004, so that D, N and M can be computed."""
    series = []
    for month in MONTHS:
        first_next = add_months(date.fromisoformat(month + "-01"), 1)
        on = first_next + timedelta(days=draw(st.integers(0, 20)))
        series.append(fact("GrossMarginReported", on, month=month, amount=draw(margin_amount)))
    return series


@st.composite
def deemed_event(draw: st.DrawFn) -> dict[str, Any]:
    """BP Event (c): a deemed date 4 to 7 months after the promotion (by construction)."""
    promotion = draw(days("2002-08-01", "2003-10-31"))
    low, high = add_months(promotion, 4), add_months(promotion, 7)
    deemed = low + timedelta(days=draw(st.integers(0, (high - low).days)))
    agreed = draw(st.dates(promotion, deemed + timedelta(days=60)))  # after the deemed date: refused (1.5(b))
    return fact(
        "DeemedEventAgreed", agreed, promotion_implemented_on=promotion.isoformat(), deemed_on=deemed.isoformat()
    )


@st.composite
def claim_story(draw: st.DrawFn) -> list[dict[str, Any]]:
    """8.1-8.4 with 7.3: a claim asserted, perhaps revised, then resolved, withdrawn or left pending."""
    claimant = draw(st.sampled_from(["buyer", "buyer", "sellers"]))
    sections = draw(st.sampled_from(BUYER_SECTIONS if claimant == "buyer" else SELLER_SECTIONS))
    claim_id = draw(st.sampled_from(CLAIM_IDS))
    on = draw(days("2003-01-01", "2005-12-31"))
    story = [fact("ClaimAsserted", on, claim_id=claim_id, claimant=claimant, sections=sections, amount=draw(money))]
    if draw(st.booleans()):
        on += timedelta(days=draw(st.integers(0, 200)))
        story.append(fact("ClaimRevised", on, claim_id=claim_id, amount=draw(money)))
    end = draw(st.sampled_from(["ClaimResolved", "ClaimResolved", "ClaimWithdrawn", "pending"]))
    on += timedelta(days=draw(st.integers(0, 400)))
    if end == "ClaimResolved":
        story.append(fact(end, on, claim_id=claim_id, amount=draw(money)))
    elif end == "ClaimWithdrawn":
        story.append(fact(end, on, claim_id=claim_id))
    return story


@st.composite
def other_fact(draw: st.DrawFn) -> dict[str, Any]:
    """The rest of the catalogue: BP Events, releases, deliveries, 8.6 payments, retractions ..."""
    on = draw(any_day)
    choice = draw(st.integers(0, 9))
    if choice <= 2:
        return fact("BPEventDeclared", draw(days("2002-12-15", "2004-03-15")), clause=draw(st.sampled_from("abc")))
    if choice == 3:
        return fact("EscrowReleased", on, shares=draw(shares))
    if choice == 4:
        return fact("EarnoutSharesDelivered", draw(days("2003-01-01", "2004-06-30")), shares=draw(shares))
    if choice == 5:
        return fact("TaxLimitationPeriodRecorded", on, expires_on=draw(days("2005-01-01", "2009-12-31")).isoformat())
    if choice == 6:
        kind = draw(st.sampled_from(["PaymentDue", "PaymentWithheld", "WithheldPaymentReleased"]))
        return fact(kind, on, payment_id=draw(st.sampled_from(["P1", "P2"])), amount=draw(money))
    if choice == 7:
        return fact("EventRetracted", on, event_id=draw(st.integers(2, 16)), reason="entered in error")
    if choice == 8:
        return fact("ClosingConditionSatisfied", draw(days("2002-12-06", "2003-05-31")), condition="6.1(a)")
    return fact("RedemptionExercised", draw(days("2007-11-01", "2008-06-30")), shares=draw(st.integers(1, 5000)))


@st.composite
def all_conditions(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Every condition of 6.1, each obtained or waived on its own day (the Closing Date, 1.1)."""
    return [
        fact("ClosingConditionSatisfied", draw(days("2002-12-06", "2003-06-15")), condition=f"6.1({c})")
        | {"waived": draw(st.booleans())}
        for c in "abcdefg"
    ]


@st.composite
def candidate_facts(draw: st.DrawFn, max_facts: int = 24) -> list[dict[str, Any]]:
    """Signing and escrow (1.4, 8.1(c)), usually a Closing, then random facts in random order."""
    facts = [fact("EffectiveDateReached", START), fact("EscrowDeposited", START, shares=25000)]
    ending = draw(st.sampled_from(["closing", "closing", "closing", "open", "terminated"]))
    if ending == "closing":
        facts.append(fact("ClosingOccurred", draw(days("2002-12-06", "2003-05-31"))))
    elif ending == "terminated":
        facts.append(fact("AgreementTerminated", draw(days("2003-01-01", "2003-08-31")), reason="mutual"))
    single = st.one_of(margin_report(), deemed_event(), other_fact(), other_fact()).map(lambda f: [f])
    stories = draw(st.lists(st.one_of(single, claim_story()), min_size=4, max_size=max_facts))
    if draw(st.booleans()):
        stories.insert(draw(st.integers(0, len(stories))), draw(margin_series()))
    if draw(st.booleans()):
        stories.insert(draw(st.integers(0, len(stories))), draw(all_conditions()))
    return facts + [f for story in stories for f in story]


@dataclass
class History:
    """A valid history: the facts the ledger accepted, and the events each one appended."""

    agreement: Agreement
    facts: list[dict[str, Any]]
    steps: list[tuple[LedgerEvent, ...]]
    rejected: list[dict[str, Any]]

    @property
    def drafts(self) -> list[Draft]:
        return [draft_from_mapping(f, n) for n, f in enumerate(self.facts, start=1)]


def registered(agreement_id: str = "APA") -> Agreement:
    event = register(agreement_id, Terms(), datetime(2026, 1, 1, tzinfo=UTC))
    return Agreement(id=event.originator_id, agreement_id=agreement_id, events=(event,))


def valid_history(candidates: list[dict[str, Any]]) -> History:
    """Apply each candidate alone, in memory, through the command planner; keep what it accepts."""
    agreement = registered()
    kept, steps, rejected = [], [], []
    for candidate in candidates:
        try:
            events = plan(agreement, [draft_from_mapping(candidate)], agreement.events[-1].timestamp)
        except LedgerError:
            rejected.append(candidate)
            continue
        agreement = agreement.model_copy(update={"events": (*agreement.events, *events)})
        kept.append(candidate)
        steps.append(tuple(events))
    return History(agreement, kept, steps, rejected)


def checkpoints(history: History) -> list[date]:
    """The as_of dates to check: each fact's date and the day before, and the agreement's milestones."""
    fixed = ["2002-12-05", "2003-01-01", "2003-04-10", "2003-06-01", "2004-02-29", "2004-03-01", "2004-03-30"]
    dates = {date.fromisoformat(d) for d in fixed} | {date(2012, 1, 1)}
    for event in history.agreement.events[1:]:
        dates |= {event.occurred_on, event.occurred_on - timedelta(days=1)}
    return sorted(dates)


INVALID = [
    fact("EscrowReleased", date(2004, 1, 1), shares=25001),  # 8.1(c): more than the escrow holds
    fact("BPEventDeclared", date(2004, 3, 1), clause="a"),  # BP Event: outside the 14-month period
    fact("GrossMarginReported", date(2003, 5, 31), month="2003-05", amount="1.00"),  # month not ended
    fact("ClaimAsserted", date(2004, 1, 1), claim_id="X9", claimant="buyer", sections=["9.99"], amount="1"),
    fact("ClaimAsserted", date(2004, 1, 1), claim_id="X8", claimant="buyer", sections=["3.2"], amount="1"),
    fact("ClaimResolved", date(2004, 1, 1), claim_id="NEVER-ASSERTED", amount="1"),
    fact("RedemptionExercised", date(2007, 12, 5), shares=1),  # 5.6: not before 2007-12-06
    fact("DeemedEventAgreed", date(2003, 6, 1), promotion_implemented_on="2003-01-15", deemed_on="2003-05-14"),
    fact("DeemedEventAgreed", date(2003, 12, 15), promotion_implemented_on="2003-02-01", deemed_on="2003-06-01"),
    fact("EventRetracted", date(2004, 1, 1), event_id=1, reason="try to unregister"),
    fact("EscrowReleased", date(2004, 1, 1), shares=0),
    fact("GrossMarginReported", date(2004, 3, 5), month="2004-02", amount=100.5),
]
"""Facts no history can make valid (each breaks a clause whatever came before)."""
