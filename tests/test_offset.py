"""8.6: withholding payments on the Buyer Securities against pending claims, and the 6% interest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import RuleViolation
from domain.offset import offset_interest
from domain.terms import DEFAULT_TERMS
from tests.ledger import OneAgreement, claim, closed, fact, resolve


def withheld_against(book: OneAgreement, pending: str) -> None:
    book.apply(
        *closed(),
        claim("C1", "2003-10-01", pending),
        fact("PaymentDue", "2004-01-01", payment_id="P1", amount="50000.00"),
    )


def test_withholding_is_refused_while_pending_claims_are_exactly_25000(book: OneAgreement) -> None:
    """8.6: no withholding "unless and until the amount of its potential claims exceeds" $25,000."""
    withheld_against(book, "25000.00")
    count = len(book.events())
    with pytest.raises(RuleViolation, match=r"not above the 25000\.00 Allowance") as err:
        book.apply(fact("PaymentWithheld", "2004-01-01", payment_id="P1", amount="100.00"))
    assert err.value.clause == "8.6" and len(book.events()) == count


def test_withholding_is_allowed_one_cent_over_up_to_the_claims(book: OneAgreement) -> None:
    """8.6: Buyer may withhold "an amount equal to the amount of the claim", no more."""
    withheld_against(book, "25000.01")
    with pytest.raises(RuleViolation, match=r"above the 25000\.01 pending claims"):
        book.apply(fact("PaymentWithheld", "2004-01-01", payment_id="P1", amount="25000.02"))
    book.apply(fact("PaymentWithheld", "2004-01-01", payment_id="P1", amount="25000.01"))
    offset = book.json("2004-01-01")["offset"]
    assert (offset["withholding_permitted"], offset["withheld_outstanding"]) == (True, "25000.01")


def test_resolved_claim_is_offset_and_the_rest_paid_with_interest(book: OneAgreement) -> None:
    """8.6: the covered amount is offset; the remainder is paid with 6% a year, actual/365,
    from withholding (2004-01-01) to payment (2004-07-01, 182 days): 2,500 x 0.06 x 182/365."""
    withheld_against(book, "30000.00")
    book.apply(fact("PaymentWithheld", "2004-01-01", payment_id="P1", amount="30000.00"))
    book.apply(resolve("C1", "2004-03-01", "27500.00"))
    payment = book.json("2004-03-01")["offset"]["payments"][0]
    assert (payment["offset"], payment["outstanding_withheld"]) == ("27500.00", "2500.00")
    book.apply(fact("WithheldPaymentReleased", "2004-07-01", payment_id="P1", amount="2500.00"))
    state = book.json("2004-07-01")["offset"]
    assert state["interest_paid"] == "74.79"  # 74.7945... rounded once
    assert state["withheld_outstanding"] == "0.00"


def test_interest_is_simple_actual_365_rounded_once() -> None:
    """8.6, readings 7: 12,345.67 x 6% x 100/365 = 202.9425... -> 202.94; a leap year has 366 days."""
    terms = DEFAULT_TERMS
    assert offset_interest(terms, Decimal("12345.67"), date(2004, 1, 1), date(2004, 4, 10)) == Decimal("202.94")
    assert offset_interest(terms, Decimal("10000.00"), date(2004, 1, 1), date(2005, 1, 1)) == Decimal("601.64")
    assert offset_interest(terms, Decimal("10000.00"), date(2004, 1, 1), date(2004, 1, 1)) == Decimal("0.00")


def test_release_of_more_than_withheld_is_rejected(book: OneAgreement) -> None:
    """8.6: only what was withheld can be paid back."""
    withheld_against(book, "30000.00")
    book.apply(fact("PaymentWithheld", "2004-01-01", payment_id="P1", amount="1000.00"))
    with pytest.raises(RuleViolation, match=r"only 1000\.00 of payment P1 is withheld"):
        book.apply(fact("WithheldPaymentReleased", "2004-02-01", payment_id="P1", amount="1000.01"))


def test_claims_resolved_within_the_allowance_cover_nothing(book: OneAgreement) -> None:
    """8.6 with 8.1(b): a claim finally resolved at $20,000 leaves Sellers with no liability, so
    nothing is "covered by this Article VIII" and the whole withholding is owed back."""
    withheld_against(book, "30000.00")
    book.apply(fact("PaymentWithheld", "2004-01-01", payment_id="P1", amount="30000.00"))
    book.apply(resolve("C1", "2004-03-01", "20000.00"))
    payment = book.json("2004-03-01")["offset"]["payments"][0]
    assert (payment["offset"], payment["outstanding_withheld"]) == ("0.00", "30000.00")


@pytest.mark.parametrize("release", [None, "0.00"])
def test_a_resolution_offsets_the_same_digits_whether_or_not_anything_was_withheld(
    book: OneAgreement, monkeypatch: pytest.MonkeyPatch, release: str | None
) -> None:
    """8.6: a resolution's offset, when no payment was ever withheld, is the Decimal the full
    ``offsets`` path gives, exponent included (a release of 0.00 changes a zero's exponent)."""
    from projections import indemnity
    from projections.ledger import fold

    withheld_against(book, "30000.00")
    book.apply(fact("PaymentDue", "2004-02-01", payment_id="P2", amount="10000.00"))
    if release is not None:
        book.apply(fact("WithheldPaymentReleased", "2004-02-01", payment_id="P1", amount=release))
    book.apply(resolve("C1", "2004-03-01", "27500.00"), claim("C2", "2004-03-02", "100.50"))
    book.apply(resolve("C2", "2004-03-03", "100.50"))

    def facts() -> str:
        folded = fold(book.events(), remember=False).facts
        return repr((folded.payments, folded.claims, folded.escrow_surrendered, folded.outside_shares))

    fast = facts()
    monkeypatch.setattr(indemnity, "_never_withheld", lambda payments: False)
    assert facts() == fast
    assert ("offset=Decimal('0.00')" in fast) == (release is not None)
