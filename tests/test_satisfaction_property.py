"""Random histories of claims, withholdings and releases: each dollar of a Buyer Loss is
satisfied once (8.1(c), 8.6, readings 5), at every as_of, and the derived events say so too."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import ClaimResolved, SharesSurrendered
from projections.state import project
from tests.strategies import checkpoints, fact, valid_history

AMOUNTS = ["9.99", "5000.00", "12500.00", "20000.00", "25000.00", "25000.01", "28000.00", "30000.00", "260000.00"]
shares = st.sampled_from([1, 1000, 20000, 24000, 25000])
money = st.sampled_from(AMOUNTS) | st.integers(1, 30_000_000).map(lambda c: str(Decimal(c) / 100))


@st.composite
def losses_and_offsets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Signing, mostly an escrow deposit, a Closing; then up to four buyer claims, each perhaps with
    a payment due and withheld while it is pending, resolved (at more or less than claimed),
    withdrawn or left pending, part of the withholding paid back; sometimes escrow shares released,
    and sometimes a retraction, so that the derived events re-balance (the planner keeps what is valid)."""
    start, closing = date(2002, 12, 6), date(2003, 4, 10)
    facts = [fact("EffectiveDateReached", start), fact("ClosingOccurred", closing)]
    if draw(st.integers(0, 4)):
        facts.insert(1, fact("EscrowDeposited", start, shares=25000))
    if draw(st.integers(0, 3)) == 0:
        facts.append(fact("EscrowReleased", closing + timedelta(days=draw(st.integers(1, 700))), shares=draw(shares)))
    for i in range(draw(st.integers(1, 4))):
        claim_id, payment_id = f"B{i}", f"P{i}"
        asserted = closing + timedelta(days=draw(st.integers(1, 600)))
        amount = draw(money)
        facts.append(
            fact("ClaimAsserted", asserted, claim_id=claim_id, claimant="buyer", sections=["2.14"], amount=amount)
        )
        end = asserted + timedelta(days=draw(st.integers(1, 300)))
        if draw(st.booleans()):
            due = asserted + timedelta(days=draw(st.integers(0, (end - asserted).days)))
            facts.append(fact("PaymentDue", due, payment_id=payment_id, amount="500000.00"))
            facts.append(
                fact("PaymentWithheld", due, payment_id=payment_id, amount=draw(st.sampled_from([amount, *AMOUNTS])))
            )
            if draw(st.booleans()):
                paid = end + timedelta(days=draw(st.integers(-30, 60)))
                facts.append(fact("WithheldPaymentReleased", paid, payment_id=payment_id, amount=draw(money)))
        ending = draw(st.sampled_from(["ClaimResolved", "ClaimResolved", "ClaimResolved", "ClaimWithdrawn", "pending"]))
        if ending == "ClaimResolved":
            facts.append(fact(ending, end, claim_id=claim_id, amount=draw(st.sampled_from([amount, *AMOUNTS]) | money)))
        elif ending == "ClaimWithdrawn":
            facts.append(fact(ending, end, claim_id=claim_id))
    if draw(st.integers(0, 3)) == 0:
        last = max(date.fromisoformat(f["occurred_on"]) for f in facts)
        facts.append(fact("EventRetracted", last, event_id=draw(st.integers(3, len(facts) + 1)), reason="error"))
    if draw(st.booleans()):  # arrival out of date order: back-dated facts re-fold what came before
        facts[2:] = draw(st.permutations(facts[2:]))
    return facts


@settings(max_examples=80, deadline=None)
@given(candidates=losses_and_offsets())
def test_each_dollar_of_a_buyer_loss_is_satisfied_once_at_every_as_of(candidates: list[dict[str, Any]]) -> None:
    """8.1(c), 8.6, readings 5: for the Buyer, offset + $10 x (escrow shares surrendered + shares due
    outside the escrow) + cash due = payable, at every as_of; nothing is negative; what is offset
    is never more than was withheld; cash is due only beyond $250,000 or for a fraction of a share;
    and the derived SharesSurrendered of each resolved claim sum to what the fold surrenders."""
    history = valid_history(candidates)
    events = history.agreement.events
    for as_of in checkpoints(history):
        s = project(events, as_of)
        b, x = s.indemnity.buyer, s.escrow
        shares = x.surrendered_shares + b.shares_due_outside_escrow
        assert b.offset + 10 * shares + b.cash_due == b.payable, f"as of {as_of}"
        assert min(b.offset, b.cash_due, b.shares_due_outside_escrow, x.surrendered_shares) >= 0
        assert b.offset <= sum((p.withheld for p in s.offset.payments), Decimal(0))
        assert shares <= 25_000
        if b.payable - b.offset <= 250_000:
            assert b.cash_due < 10
        assert s.offset.withheld_outstanding >= 0
    final = project(events, date(2012, 1, 1))
    resolved_at = {e.claim_id: e.position for e in events if isinstance(e, ClaimResolved)}
    recorded: dict[str, int] = {}
    for e in events:  # a claim's derived events are those after its (last, unretracted) resolution
        if isinstance(e, SharesSurrendered) and e.position > resolved_at[e.claim_id]:
            recorded[e.claim_id] = recorded.get(e.claim_id, 0) + e.shares
    for c in final.claims:
        if c.status == "resolved":
            assert recorded.get(c.claim_id, 0) == c.surrendered_shares, c.claim_id
