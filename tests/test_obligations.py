"""The obligations calendar (issue 4): every dated duty and right, with its status as of a date."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.ledger import OneAgreement, claim, closed, fact, margin, reference_bp, resolve, signed


def _by_ref(ledger: OneAgreement, as_of: str) -> dict[str, tuple[str, str, str]]:
    return {o.ref: (o.clause, str(o.due_on), o.status) for o in ledger.state(as_of).obligations}


def _status(ledger: OneAgreement, as_of: str, ref: str) -> str:
    return _by_ref(ledger, as_of)[ref][2]


def test_severance_reimbursement_is_due_ten_days_after_employment_commences(book: OneAgreement) -> None:
    """4.7: reimbursement "within 10 days following the date the employee commences employment"."""
    book.apply(*signed(), fact("FormerEmployeeHired", "2002-12-16", employee="E-17", commenced_on="2002-12-20"))
    assert _by_ref(book, "2002-12-20")["4.7:E-17"] == ("4.7", "2002-12-30", "upcoming")
    assert _status(book, "2002-12-29", "4.7:E-17") == "upcoming"
    assert _status(book, "2002-12-30", "4.7:E-17") == "due"
    assert _status(book, "2002-12-31", "4.7:E-17") == "overdue"
    book.apply(fact("ReimbursementPaid", "2003-01-03", section="4.7", reference="E-17"))
    assert _status(book, "2003-01-02", "4.7:E-17") == "overdue"
    assert _status(book, "2003-01-03", "4.7:E-17") == "done"


def test_hire_on_the_45th_day_counts_and_the_46th_does_not(book: OneAgreement) -> None:
    """4.7: only a former employee employed "within 45 days following the Effective Date"
    (2002-12-06 + 45 = 2003-01-20) is reimbursed; a later hire is rejected citing 4.7."""
    book.apply(*signed(), fact("FormerEmployeeHired", "2003-01-20", employee="E-1", commenced_on="2003-01-20"))
    assert _by_ref(book, "2003-01-20")["4.7:E-1"][1] == "2003-01-30"
    with pytest.raises(RuleViolation, match=r"45 days.*\(4\.7\)"):
        book.apply(fact("FormerEmployeeHired", "2003-01-21", employee="E-2", commenced_on="2003-01-21"))


def test_hire_before_the_effective_date_is_rejected(book: OneAgreement) -> None:
    """4.7: the window runs from the Effective Date (1.4); nothing is owed before it is reached."""
    with pytest.raises(RuleViolation, match=r"4\.7"):
        book.apply(fact("FormerEmployeeHired", "2002-12-01", employee="E-3", commenced_on="2002-12-01"))


def test_tax_reimbursement_is_due_ten_days_after_notice(book: OneAgreement) -> None:
    """8.3(b)(i): the Tax Reimbursement Amount is paid "within ten days after being notified"."""
    book.apply(*closed(), claim("C1", "2003-06-01", "40000"), resolve("C1", "2003-07-01", "40000"))
    book.apply(fact("TaxReimbursementNotified", "2003-09-01", claim_id="C1", amount="3200.00"))
    assert _by_ref(book, "2003-09-01")["8.3(b)(i):C1"] == ("8.3(b)(i)", "2003-09-11", "upcoming")
    assert _status(book, "2003-09-11", "8.3(b)(i):C1") == "due"
    assert _status(book, "2003-09-12", "8.3(b)(i):C1") == "overdue"
    description = next(o.description for o in book.state("2003-09-01").obligations if o.ref == "8.3(b)(i):C1")
    assert "3200.00" in description


def test_net_tax_benefit_is_due_fifteen_days_after_it_is_realized(book: OneAgreement) -> None:
    """8.3(b)(ii): a Net Tax Benefit is paid "not later than 15 days after" it is realized."""
    book.apply(*closed(), claim("C1", "2003-06-01", "40000"), resolve("C1", "2003-07-01", "40000"))
    book.apply(fact("NetTaxBenefitRealized", "2004-04-15", claim_id="C1", amount="1500.00"))
    assert _by_ref(book, "2004-04-30")["8.3(b)(ii):C1"] == ("8.3(b)(ii)", "2004-04-30", "due")
    assert _status(book, "2004-05-01", "8.3(b)(ii):C1") == "overdue"
    book.apply(fact("ReimbursementPaid", "2004-04-29", section="8.3(b)(ii)", reference="C1"))
    assert _status(book, "2004-05-01", "8.3(b)(ii):C1") == "done"


def test_tax_notice_on_an_unresolved_claim_is_rejected(book: OneAgreement) -> None:
    """8.3(b) adjusts "amounts payable ... in respect of a Loss": the claim must be resolved."""
    book.apply(*closed(), claim("C1", "2003-06-01", "40000"))
    with pytest.raises(RuleViolation, match=r"C1 is pending.*\(8\.3\(b\)\(i\)\)"):
        book.apply(fact("TaxReimbursementNotified", "2003-09-01", claim_id="C1"))
    with pytest.raises(RuleViolation, match=r"has not been asserted.*\(8\.3\(b\)\(ii\)\)"):
        book.apply(fact("NetTaxBenefitRealized", "2003-09-01", claim_id="C9", amount="10.00"))


def test_payment_of_nothing_owed_or_paid_twice_is_rejected(book: OneAgreement) -> None:
    """4.7, 8.3(b): a payment is recorded once, against something recorded as owed."""
    book.apply(*signed())
    with pytest.raises(RuleViolation, match=r"nothing is owed under 4\.7 for E-9"):
        book.apply(fact("ReimbursementPaid", "2002-12-20", section="4.7", reference="E-9"))
    book.apply(fact("FormerEmployeeHired", "2002-12-10", employee="E-9", commenced_on="2002-12-10"))
    book.apply(fact("ReimbursementPaid", "2002-12-15", section="4.7", reference="E-9"))
    with pytest.raises(RuleViolation, match=r"already made on 2002-12-15 \(4\.7\)"):
        book.apply(fact("ReimbursementPaid", "2002-12-16", section="4.7", reference="E-9"))


def test_termination_right_opens_the_day_after_the_closing_deadline(book: OneAgreement) -> None:
    """7.1: any Party may terminate if Closing has not occurred by the close of business on
    May 31, 2003: the deadline is due on 2003-05-31, the right opens on 2003-06-01."""
    book.apply(*signed())
    assert _status(book, "2003-05-30", "7.1:closing") == "upcoming"
    assert _status(book, "2003-05-31", "7.1:closing") == "due"
    assert _status(book, "2003-05-31", "7.1:termination-right") == "upcoming"
    assert _status(book, "2003-06-01", "7.1:closing") == "overdue"
    assert _status(book, "2003-06-01", "7.1:termination-right") == "due"
    book.apply(fact("ClosingOccurred", "2003-06-10"))
    assert _status(book, "2003-06-10", "7.1:closing") == "done"
    assert "7.1:termination-right" not in _by_ref(book, "2003-06-10")


def test_calendar_lists_installments_settlement_cancellation_and_cut_offs(book: OneAgreement) -> None:
    """1.5(b)-(c), 7.3, 5.1, 5.6: the reference BP Event gives the catch-up, five installments,
    M = 28,436 due 2004-03-30 and 3,707 cancelled that day; representations expire
    2005-04-10; the Restricted Period ends 2005-12-06; no redemption before 2007-12-06."""
    book.apply(*closed(), *reference_bp())
    refs = _by_ref(book, "2004-03-30")
    assert refs["1.5(b):catch-up:2003-04-10"] == ("1.5(b)", "2003-04-10", "done")
    assert [r for r in refs if r.startswith("1.5(b):installment")] == [
        f"1.5(b):installment:2003-0{m}-01" for m in range(5, 10)
    ]
    assert refs["1.5(b):settlement"] == ("1.5(b)", "2004-03-30", "done")  # no deliveries recorded: done on its date
    assert refs["1.5(c):cancellation"] == ("1.5(c)", "2004-03-30", "done")
    assert refs["7.3:representations"] == ("7.3", "2005-04-10", "upcoming")
    assert refs["5.1:end"] == ("5.1", "2005-12-06", "upcoming")
    assert refs["5.6:redemption"] == ("5.6", "2007-12-06", "upcoming")
    assert _status(book, "2004-03-29", "1.5(b):settlement") == "upcoming"
    description = next(o.description for o in book.state("2004-03-30").obligations if o.ref == "1.5(c):cancellation")
    assert description == "3,707 undelivered Earnout Shares returned and cancelled"


def test_settlement_date_is_on_the_calendar_while_m_awaits_margins(book: OneAgreement) -> None:
    """1.5(b): after a BP Event M is due within 30 days after the Measurement Period even
    before every month's Gross Margin is reported; the calendar names what is missing."""
    book.apply(*closed(), margin("2003-01", "100000.00"), margin("2003-08", "90000.00"))
    book.apply(fact("BPEventDeclared", "2003-09-15", clause="a"))
    item = next(o for o in book.state("2003-10-01").obligations if o.ref == "1.5(b):settlement")
    assert (str(item.due_on), item.status) == ("2004-03-30", "upcoming")
    assert "2003-09" in item.description


def test_withheld_payment_is_open_until_released_or_offset(book: OneAgreement) -> None:
    """8.6: a withheld payment stays open until the claims are resolved and the remainder paid."""
    book.apply(*closed(), claim("C1", "2004-01-15", "30000"))
    book.apply(fact("PaymentDue", "2004-01-31", payment_id="P1", amount="40000.00"))
    book.apply(fact("PaymentWithheld", "2004-01-31", payment_id="P1", amount="30000.00"))
    assert _by_ref(book, "2004-02-01")["8.6:P1"] == ("8.6", "2004-01-31", "due")
    book.apply(resolve("C1", "2004-03-01", "27500"))
    book.apply(fact("WithheldPaymentReleased", "2004-03-15", payment_id="P1", amount="2500.00"))
    assert _status(book, "2004-03-15", "8.6:P1") == "done"


def test_state_json_keeps_the_four_obligation_keys(book: OneAgreement) -> None:
    """readings 18: obligations have exactly clause, description, due_on, status."""
    book.apply(*closed())
    first = book.json("2003-04-10")["obligations"][0]
    assert set(first) == {"clause", "description", "due_on", "status"}
