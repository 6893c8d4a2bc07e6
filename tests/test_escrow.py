"""8.1(c) and the Escrow Agreement: deposits, surrenders, releases, and reserves for pending claims."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.ledger import OneAgreement, claim, closed, fact, resolve


def escrow(book: OneAgreement, on: str) -> dict:
    return book.json(on)["escrow"]


def test_pending_claim_reserves_the_shares_it_would_take(book: OneAgreement) -> None:
    """readings 5: a pending $30,000 claim would take 3,000 shares if resolved as claimed."""
    book.apply(*closed(), claim("C1", "2003-06-01", "30000.00"))
    assert escrow(book, "2003-06-01")["reserved_shares"] == 3000
    assert escrow(book, "2003-06-01")["available_shares"] == 22000
    assert escrow(book, "2003-05-31")["reserved_shares"] == 0


def test_pending_claim_within_the_allowance_reserves_nothing(book: OneAgreement) -> None:
    """8.1(b), readings 5: $25,000 pending would make nothing payable, so nothing is reserved."""
    book.apply(*closed(), claim("C1", "2003-06-01", "25000.00"))
    assert escrow(book, "2003-06-01")["reserved_shares"] == 0


def test_pending_claim_counts_resolved_losses_toward_the_allowance(book: OneAgreement) -> None:
    """8.1(b), readings 5: $20,000 resolved plus $10,000 pending would tip the Allowance: 3,000 reserved."""
    book.apply(*closed(), claim("C1", "2003-06-01", "20000.00"), resolve("C1", "2003-06-10", "20000.00"))
    book.apply(claim("C2", "2003-07-01", "10000.00"))
    assert escrow(book, "2003-07-01")["reserved_shares"] == 3000


def test_withdrawn_claim_frees_its_reserve(book: OneAgreement) -> None:
    """8.3: a withdrawn claim reserves nothing."""
    book.apply(*closed(), claim("C1", "2003-06-01", "30000.00"), fact("ClaimWithdrawn", "2003-07-01", claim_id="C1"))
    assert escrow(book, "2003-07-01")["reserved_shares"] == 0
    assert escrow(book, "2003-06-30")["reserved_shares"] == 3000


def test_release_of_available_shares_is_accepted_at_the_limit(book: OneAgreement) -> None:
    """Escrow Agreement: all 22,000 unreserved shares can be released, not one more."""
    book.apply(*closed(), claim("C1", "2003-06-01", "30000.00"))
    count = len(book.events())
    with pytest.raises(RuleViolation, match="only 22000 escrow shares are available") as err:
        book.apply(fact("EscrowReleased", "2003-08-01", shares=22001))
    assert err.value.clause == "8.1(c)" and len(book.events()) == count
    book.apply(fact("EscrowReleased", "2003-08-01", shares=22000))
    state = escrow(book, "2003-08-01")
    assert (state["released_shares"], state["balance_shares"], state["available_shares"]) == (22000, 3000, 0)


def test_surrender_after_a_release_takes_the_rest_in_buyer_securities_outside_the_escrow(book: OneAgreement) -> None:
    """8.1(c), readings 5: the Losses are satisfied "exclusively by surrender ... of Buyer
    Securities", not only escrow shares: what the escrow no longer holds is due from Sellers
    outside it, never turned into cash."""
    book.apply(*closed(), fact("EscrowReleased", "2003-05-01", shares=24000))
    book.apply(claim("C1", "2003-06-01", "30000.00"), resolve("C1", "2003-07-01", "30000.00"))
    state = book.json("2003-07-01")
    assert (state["escrow"]["surrendered_shares"], state["escrow"]["balance_shares"]) == (1000, 0)
    buyer = state["indemnity"]["buyer"]
    assert (buyer["shares_due_outside_escrow"], buyer["satisfied_in_shares"], buyer["cash_due"]) == (
        2000,
        "30000.00",
        "0.00",
    )


def test_deposit_beyond_25000_shares_is_rejected(book: OneAgreement) -> None:
    """8.1(c): the escrow holds 25,000 shares of the Buyer Securities."""
    book.apply(*closed())
    with pytest.raises(RuleViolation, match="above the 25000 escrow shares"):
        book.apply(fact("EscrowDeposited", "2003-05-01", shares=1))


def test_revised_claim_changes_its_reserve(book: OneAgreement) -> None:
    """8.3, readings 5: the reserve follows the claim's current amount."""
    book.apply(
        *closed(),
        claim("C1", "2003-06-01", "30000.00"),
        fact("ClaimRevised", "2003-07-01", claim_id="C1", amount="45000.00"),
    )
    assert escrow(book, "2003-06-30")["reserved_shares"] == 3000
    assert escrow(book, "2003-07-01")["reserved_shares"] == 4500
