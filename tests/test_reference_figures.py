"""The reference figures of docs/readings.md, exactly."""

from __future__ import annotations

from decimal import Decimal

from tests.ledger import OneAgreement, claim, closed, reference_bp, resolve


def test_catch_up_at_closing_is_three_fourteenths(ledger: OneAgreement) -> None:
    """1.5(b): Closing 2003-04-10 releases 3/14 of 75,000 = 16,071 (floor) at Closing."""
    ledger.apply(*closed())
    assert ledger.state("2003-04-09").earnout.released_shares == 0
    assert ledger.state("2003-04-10").earnout.released_shares == 16071
    assert ledger.state("2003-04-11").earnout.released_shares == 16071


def test_released_by_year_end_2003_without_bp_event(ledger: OneAgreement) -> None:
    """1.5(b): eleven installments (3 at Closing + May..Dec 1) by 2003-12-31 = 58,928."""
    ledger.apply(*closed())
    earnout = ledger.state("2003-12-31").earnout
    assert (earnout.released_shares, earnout.pending_shares, earnout.cancelled_shares) == (58928, 16072, 0)


def test_fourteenth_installment_completes_75000_on_march_1_2004(ledger: OneAgreement) -> None:
    """1.5(b): the February 2004 installment on 2004-03-01 brings the total to exactly 75,000."""
    ledger.apply(*closed())
    assert ledger.state("2004-02-29").earnout.released_shares == 75000 * 13 // 14
    assert ledger.state("2004-03-01").earnout.released_shares == 75000
    assert ledger.state("2004-03-01").earnout.pending_shares == 0


def test_reference_bp_event_settlement(ledger: OneAgreement) -> None:
    """1.5(b): A = 32,143; n = 6; D = 486,051.46565661; N = 430,000; M = 28,436; due 2004-03-30."""
    ledger.apply(*closed(), *reference_bp())
    bp = ledger.state("2004-03-30").earnout.bp_event
    assert bp is not None
    assert bp.undelivered_shares == 32143
    assert bp.months == 6
    assert bp.assumed_margin_total == Decimal("486051.46565661")
    assert bp.capped_margin == Decimal("430000.00")
    assert bp.settlement_shares == 28436
    assert str(bp.settlement_due_by) == "2004-03-30"
    assert str(bp.cancellation_on) == "2004-03-30"
    shown = ledger.json("2004-03-30")["earnout"]["bp_event"]
    assert shown["assumed_margin_total"] == "486051.47"


def test_reference_cancellation_reduces_purchase_price(ledger: OneAgreement) -> None:
    """1.5(c): 3,707 shares cancelled on 2004-03-30, reducing the Purchase Price by $37,070.00."""
    ledger.apply(*closed(), *reference_bp())
    before = ledger.json("2004-03-29")
    on = ledger.json("2004-03-30")
    assert before["earnout"]["cancelled_shares"] == 0
    assert on["earnout"]["cancelled_shares"] == 3707
    assert on["earnout"]["released_shares"] == 42857 + 28436
    assert on["earnout"]["pending_shares"] == 0
    assert on["purchase_price"]["reduction"] == "37070.00"


def test_reference_escrow_surrender_and_cash(ledger: OneAgreement) -> None:
    """8.1(b)-(c): claims resolved at $15,000 then $27,500 surrender 4,250 shares (balance 20,750);
    a third at $260,000 takes all 25,000 and leaves $52,500.00 due in cash."""
    ledger.apply(
        *closed(),
        claim("C1", "2003-06-01", "15000"),
        resolve("C1", "2003-07-01", "15000"),
        claim("C2", "2004-01-15", "30000"),
        resolve("C2", "2004-03-01", "27500"),
    )
    escrow = ledger.state("2004-03-01").escrow
    assert (escrow.surrendered_shares, escrow.balance_shares) == (4250, 20750)
    ledger.apply(claim("C3", "2004-06-01", "260000"), resolve("C3", "2004-09-01", "260000"))
    state = ledger.json("2004-09-01")
    assert state["escrow"]["surrendered_shares"] == 25000
    assert state["escrow"]["balance_shares"] == 0
    assert state["indemnity"]["buyer"]["satisfied_in_shares"] == "250000.00"
    assert state["indemnity"]["buyer"]["cash_due"] == "52500.00"
