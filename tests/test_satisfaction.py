"""8.1(c), 8.6 and readings 5: each dollar of a Buyer Loss is satisfied once - offset against the
payments withheld for it, then escrow shares at $10, then Buyer Securities due outside the escrow,
then cash above $250,000 and for the fraction of a share."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.ledger import OneAgreement, claim, fact, resolve, signed


def issue_history(withheld: str, resolved: str, released: str | None = None) -> list[dict[str, object]]:
    """A claim of 30,000 asserted 2003-12-01, a payment of 50,000 due 2004-01-15 of which
    ``withheld`` is withheld, the claim resolved on 2005-01-15 at ``resolved``."""
    facts = [
        *signed(),
        fact("ClosingOccurred", "2003-04-10"),
        claim("B1", "2003-12-01", "30000.00"),
        fact("PaymentDue", "2004-01-15", payment_id="P1", amount="50000.00"),
        fact("PaymentWithheld", "2004-01-15", payment_id="P1", amount=withheld),
        resolve("B1", "2005-01-15", resolved),
    ]
    if released is not None:
        facts.append(fact("WithheldPaymentReleased", "2005-01-15", payment_id="P1", amount=released))
    return facts


def satisfied(book: OneAgreement, on: str) -> tuple[str, int, int, str, str]:
    """(offset, escrow shares surrendered, shares due outside the escrow, cash due, payable)."""
    s = book.json(on)
    b = s["indemnity"]["buyer"]
    return b["offset"], s["escrow"]["surrendered_shares"], b["shares_due_outside_escrow"], b["cash_due"], b["payable"]


def derived(book: OneAgreement) -> list[tuple[str, str, object]]:
    return [
        (e.type, e.claim_id, getattr(e, "shares", None) or getattr(e, "amount", None))
        for e in book.events()
        if e.type in ("SharesSurrendered", "CashIndemnityDue")
    ]


def test_a_loss_recovered_by_offset_surrenders_no_escrow_shares(book: OneAgreement) -> None:
    """8.6, 8.1(c), readings 5: 28,000 resolved against 30,000 withheld - the 28,000 is offset
    against the retained payment and the 2,000 remainder released; not one escrow share is taken,
    and no derived event records a surrender."""
    book.apply(*issue_history("30000.00", "28000.00", released="2000.00"))
    assert satisfied(book, "2005-01-16") == ("28000.00", 0, 0, "0.00", "28000.00")
    assert book.json("2005-01-16")["offset"]["withheld_outstanding"] == "0.00"
    assert derived(book) == []


@pytest.mark.parametrize(
    ("withheld", "offset", "shares", "outstanding"),
    [("27999.00", "27999.00", 0, "0.00"), ("28000.00", "28000.00", 0, "0.00"), ("28010.00", "28000.00", 0, "10.00")],
)
def test_offset_takes_the_loss_up_to_what_was_withheld(
    book: OneAgreement, withheld: str, offset: str, shares: int, outstanding: str
) -> None:
    """8.6, readings 5: withheld below, equal to and above the 28,000 Loss. Below: 27,999 is offset
    and the last 1.00, less than a $10 share, is cash (8.1(c): the fraction of a share). Equal: all
    offset. Above: 28,000 offset and 10.00 still withheld, to be paid back with interest."""
    book.apply(*issue_history(withheld, "28000.00"))
    got = satisfied(book, "2005-01-15")
    cash = "1.00" if withheld == "27999.00" else "0.00"
    assert got == (offset, shares, 0, cash, "28000.00")
    assert book.json("2005-01-15")["offset"]["withheld_outstanding"] == outstanding


def test_what_the_withholding_does_not_cover_is_surrendered_in_escrow_shares(book: OneAgreement) -> None:
    """readings 5: 20,000 withheld against a Loss of 28,000 - 20,000 offset, 800 escrow shares."""
    book.apply(*issue_history("20000.00", "28000.00"))
    assert satisfied(book, "2005-01-15") == ("20000.00", 800, 0, "0.00", "28000.00")
    assert derived(book) == [("SharesSurrendered", "B1", 800)]


def test_the_offset_part_of_a_withheld_payment_cannot_be_paid_back(book: OneAgreement) -> None:
    """8.6: the amount of the claim "may be offset against the retained payments and the remainder,
    if any, shall be delivered to Sellers": only the 2,000 remainder is owed back, not the 28,000."""
    book.apply(*issue_history("30000.00", "28000.00"))
    with pytest.raises(RuleViolation, match=r"only 2000\.00 of payment P1 is withheld \(28000\.00 was offset") as err:
        book.apply(fact("WithheldPaymentReleased", "2005-02-01", payment_id="P1", amount="2000.01"))
    assert err.value.clause == "8.6"
    book.apply(fact("WithheldPaymentReleased", "2005-02-01", payment_id="P1", amount="2000.00"))


def test_the_reserve_of_a_pending_claim_is_net_of_the_payment_withheld_for_it(book: OneAgreement) -> None:
    """readings 5: a pending claim reserves the escrow shares it would take if resolved as claimed,
    less what the payment withheld for it would cover: 30,000 claimed, 30,000 withheld - none."""
    book.apply(*issue_history("30000.00", "28000.00")[:-1])
    assert book.json("2004-06-30")["escrow"]["reserved_shares"] == 0
    book.apply(fact("ClaimRevised", "2004-07-01", claim_id="B1", amount="45000.00"))
    assert book.json("2004-07-01")["escrow"]["reserved_shares"] == 1500


def test_a_later_resolution_takes_only_what_is_still_unsatisfied(book: OneAgreement) -> None:
    """8.1(b)-(c), 8.6: B0 resolved at 20,000 before any withholding (within the Allowance, nothing
    payable); B1 then resolved at 28,000 against 30,000 withheld for it: payable 48,000, of which
    28,000 is offset and 20,000 - B0's, for which nothing was withheld - is 2,000 escrow shares."""
    book.apply(
        *signed(),
        fact("ClosingOccurred", "2003-04-10"),
        claim("B0", "2003-06-01", "20000.00"),
        resolve("B0", "2003-07-01", "20000.00"),
        claim("B1", "2003-12-01", "30000.00"),
        fact("PaymentDue", "2004-01-15", payment_id="P1", amount="50000.00"),
        fact("PaymentWithheld", "2004-01-15", payment_id="P1", amount="30000.00"),
        resolve("B1", "2005-01-15", "28000.00"),
    )
    assert satisfied(book, "2005-01-15") == ("28000.00", 2000, 0, "0.00", "48000.00")
    assert derived(book) == [("SharesSurrendered", "B1", 2000)]


def test_shares_the_escrow_no_longer_holds_are_due_outside_it_and_flagged(book: OneAgreement) -> None:
    """8.1(c), readings 5: with no escrow deposit recorded a payable Loss is not turned into cash:
    the Buyer Securities are due from Sellers outside the escrow, and the calendar says so."""
    book.apply(
        fact("EffectiveDateReached", "2002-12-06"),
        fact("ClosingOccurred", "2003-04-10"),
        claim("B1", "2003-06-01", "30000.00"),
        resolve("B1", "2003-07-01", "30000.05"),
    )
    assert satisfied(book, "2003-07-01") == ("0.00", 0, 3000, "0.05", "30000.05")
    flagged = [o for o in book.json("2003-07-01")["obligations"] if o["clause"] == "8.1(c)"]
    assert flagged and "no escrow deposit is recorded" in flagged[0]["description"]
    assert "3000" in flagged[0]["description"].replace(",", "")


@pytest.mark.parametrize(
    ("resolved", "pending", "accepted"),
    [("20000.00", "5000.00", False), ("20000.00", "5000.01", True), ("25000.01", "0.01", True)],
)
def test_withholding_counts_resolved_and_pending_losses_against_the_allowance(
    book: OneAgreement, resolved: str, pending: str, accepted: bool
) -> None:
    """8.6, readings 7: "unless and until the amount of its potential claims exceeds" the Allowance
    of 8.1(b), which counts all Losses: 20,000 resolved + 5,000 pending is not above 25,000, one
    cent more is; up to the total of the pending claims."""
    book.apply(
        *signed(),
        fact("ClosingOccurred", "2003-04-10"),
        claim("B0", "2003-06-01", resolved),
        resolve("B0", "2003-07-01", resolved),
        claim("B1", "2003-08-01", pending),
        fact("PaymentDue", "2004-01-15", payment_id="P1", amount="50000.00"),
    )
    withhold = fact("PaymentWithheld", "2004-01-15", payment_id="P1", amount=pending)
    if not accepted:
        with pytest.raises(RuleViolation, match=r"potential claims total 25000\.00 .* not above the 25000\.00"):
            book.apply(withhold)
        return
    book.apply(withhold)
    with pytest.raises(RuleViolation, match=r"above the .* pending claims"):
        book.apply(fact("PaymentWithheld", "2004-01-16", payment_id="P1", amount="0.01"))


def test_withholding_with_no_claim_pending_is_refused(book: OneAgreement) -> None:
    """8.6: the withholding is for a matter "pending or unresolved at the time any payment is due"."""
    book.apply(
        *signed(),
        fact("ClosingOccurred", "2003-04-10"),
        claim("B0", "2003-06-01", "30000.00"),
        resolve("B0", "2003-07-01", "30000.00"),
        fact("PaymentDue", "2004-01-15", payment_id="P1", amount="50000.00"),
    )
    with pytest.raises(RuleViolation, match=r"no buyer claim is pending"):
        book.apply(fact("PaymentWithheld", "2004-01-15", payment_id="P1", amount="1.00"))


def test_a_retraction_rebalances_the_derived_events_to_the_fold(book: OneAgreement) -> None:
    """readings 5: B0 (20,000) and B1 (10,000) resolved - B1's resolution tips the Allowance and
    surrenders 3,000 shares. B0's resolution retracted: B1 alone is within the Allowance, so a
    negative SharesSurrendered gives the 3,000 back and the derived events sum to the fold's 0;
    the store reads the negative figure back."""
    book.apply(
        *signed(),
        fact("ClosingOccurred", "2003-04-10"),
        claim("B0", "2003-06-01", "20000.00"),
        resolve("B0", "2003-07-01", "20000.00"),
        claim("B1", "2003-08-01", "10000.00"),
        resolve("B1", "2003-09-01", "10000.00"),
    )
    assert derived(book) == [("SharesSurrendered", "B1", 3000)]
    b0 = next(e.position for e in book.events() if e.type == "ClaimResolved" and e.claim_id == "B0")
    book.apply(fact("EventRetracted", "2003-10-01", event_id=b0, reason="entered in error"))
    assert derived(book) == [("SharesSurrendered", "B1", 3000), ("SharesSurrendered", "B1", -3000)]
    assert satisfied(book, "2003-10-01") == ("0.00", 0, 0, "0.00", "0.00")


def test_a_back_dated_withholding_moves_a_surrender_to_the_offset(book: OneAgreement) -> None:
    """8.6, readings 5: the withholding of 30,000 for B1 recorded late, dated before the resolution:
    the 2,800 shares first surrendered are given back and the 28,000 is offset instead."""
    facts = issue_history("30000.00", "28000.00")
    withheld = facts.pop(5)
    book.apply(*facts)
    assert derived(book) == [("SharesSurrendered", "B1", 2800)]
    book.apply(withheld)
    assert derived(book) == [("SharesSurrendered", "B1", 2800), ("SharesSurrendered", "B1", -2800)]
    assert satisfied(book, "2005-01-15") == ("28000.00", 0, 0, "0.00", "28000.00")
