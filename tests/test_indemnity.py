"""8.1(b)-(c), 8.2(b): the tipping Allowance, surrender at $10 up to $250,000, cash beyond."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.indemnity import escrow_shares_for, payable_losses
from domain.terms import DEFAULT_TERMS
from tests.ledger import OneAgreement, claim, closed, resolve


def buyer_resolved(book: OneAgreement, *amounts: str) -> dict:
    facts = []
    for i, amount in enumerate(amounts, start=1):
        facts += [claim(f"C{i}", f"2003-{5 + i:02d}-01", amount), resolve(f"C{i}", f"2003-{5 + i:02d}-15", amount)]
    book.apply(*closed(), *facts)
    return book.json("2004-12-31")


def test_allowance_of_exactly_25000_makes_nothing_payable(book: OneAgreement) -> None:
    """8.1(b): no liability "until the aggregate amount of all Losses ... exceeds $25,000"."""
    state = buyer_resolved(book, "15000.00", "10000.00")
    buyer = state["indemnity"]["buyer"]
    assert (buyer["resolved_losses"], buyer["allowance_exceeded"], buyer["payable"]) == ("25000.00", False, "0.00")
    assert state["escrow"]["surrendered_shares"] == 0


def test_allowance_is_tipping_at_one_cent_over(book: OneAgreement) -> None:
    """8.1(b): past the Allowance "the entire amount of the Allowance and any additional Losses"."""
    state = buyer_resolved(book, "15000.00", "10000.01")
    buyer = state["indemnity"]["buyer"]
    assert (buyer["allowance_exceeded"], buyer["payable"]) == (True, "25000.01")
    assert state["escrow"]["surrendered_shares"] == 2500
    assert (buyer["satisfied_in_shares"], buyer["cash_due"]) == ("25000.00", "0.01")


def test_fraction_of_a_share_is_paid_in_cash(book: OneAgreement) -> None:
    """8.1(c), readings 5: payable 25,005 -> 2,500 whole shares and $5.00 in cash."""
    state = buyer_resolved(book, "25005.00")
    assert state["escrow"]["surrendered_shares"] == 2500
    assert state["indemnity"]["buyer"]["cash_due"] == "5.00"


def test_cap_of_exactly_250000_is_all_in_shares(book: OneAgreement) -> None:
    """8.1(c): surrender "up to a liquidation value of $250,000 in aggregate Losses"."""
    state = buyer_resolved(book, "250000.00")
    assert (state["escrow"]["surrendered_shares"], state["escrow"]["balance_shares"]) == (25000, 0)
    assert state["indemnity"]["buyer"]["cash_due"] == "0.00"


@pytest.mark.parametrize(("amount", "cash"), [("250000.01", "0.01"), ("260000.00", "10000.00")])
def test_losses_above_the_cap_are_due_in_cash(book: OneAgreement, amount: str, cash: str) -> None:
    """8.1(c): "any Losses in excess of $250,000 shall be satisfied in cash"."""
    state = buyer_resolved(book, amount)
    assert state["escrow"]["surrendered_shares"] == 25000
    assert state["indemnity"]["buyer"]["cash_due"] == cash


def test_sellers_claims_are_paid_in_cash_past_their_allowance(book: OneAgreement) -> None:
    """8.2(b): the same tipping Allowance for claims against Buyer; no escrow is involved."""
    book.apply(
        *closed(),
        claim("S1", "2003-06-01", "25000.00", sections=["3.5"], claimant="sellers"),
        resolve("S1", "2003-07-01", "25000.00"),
    )
    assert book.json("2003-07-01")["indemnity"]["sellers"]["payable"] == "0.00"
    book.apply(
        claim("S2", "2003-08-01", "0.01", sections=["3.3"], claimant="sellers"), resolve("S2", "2003-08-02", "0.01")
    )
    sellers = book.json("2003-08-02")["indemnity"]["sellers"]
    assert (sellers["payable"], sellers["cash_due"], sellers["satisfied_in_shares"]) == ("25000.01", "25000.01", "0.00")
    assert book.json("2003-08-02")["escrow"]["surrendered_shares"] == 0


def test_each_side_has_its_own_allowance(book: OneAgreement) -> None:
    """8.1(b), 8.2(b): Buyer's and Sellers' Losses are not added together."""
    book.apply(
        *closed(),
        claim("B1", "2003-06-01", "20000.00"),
        resolve("B1", "2003-06-15", "20000.00"),
        claim("S1", "2003-06-01", "20000.00", sections=["3.5"], claimant="sellers"),
        resolve("S1", "2003-06-15", "20000.00"),
    )
    state = book.json("2003-06-15")["indemnity"]
    assert state["buyer"]["payable"] == state["sellers"]["payable"] == "0.00"


def test_resolution_records_the_derived_surrender_and_cash(book: OneAgreement) -> None:
    """8.1(c): a ClaimResolved above the Allowance adds SharesSurrendered and CashIndemnityDue."""
    outcome = book.apply(*closed(), claim("C1", "2003-06-01", "260000.00"), resolve("C1", "2003-07-01", "260000.00"))
    derived = {e.type: e.payload() for e in outcome.appended if e.derived}
    assert derived["SharesSurrendered"]["shares"] == 25000
    assert derived["CashIndemnityDue"]["amount"] == "10000.00"


def test_rules_floor_whole_shares_and_tip_strictly() -> None:
    """8.1(b)-(c): the pure rules at their boundaries."""
    terms = DEFAULT_TERMS
    assert payable_losses(terms, Decimal("25000.00")) == 0
    assert payable_losses(terms, Decimal("25000.01")) == Decimal("25000.01")
    assert escrow_shares_for(terms, Decimal("25009.99")) == 2500
    assert escrow_shares_for(terms, Decimal("999999.99")) == 25000
