"""7.3 and 8.4: how long each representation survives, and what keeps it alive."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.ledger import OneAgreement, claim, closed, fact, resolve, signed


def row(book: OneAgreement, section: str, on: str) -> tuple[str, str | None]:
    found = next(r for r in book.json(on)["survival"] if r["section"] == section)
    return found["status"], found["expires_on"]


def test_representations_have_not_started_before_closing(book: OneAgreement) -> None:
    """7.3: the two years run from the Closing Date."""
    book.apply(*signed())
    assert row(book, "2.14", "2003-03-01") == ("not-started", None)


def test_representation_survives_to_the_day_before_its_second_anniversary(book: OneAgreement) -> None:
    """7.3: "expire on the date that is two years following the Closing Date" (2005-04-10)."""
    book.apply(*closed("2003-04-10"))
    assert row(book, "2.14", "2005-04-09") == ("surviving", "2005-04-10")
    assert row(book, "2.14", "2005-04-10") == ("expired", "2005-04-10")


def test_claim_the_day_before_expiry_is_accepted(book: OneAgreement) -> None:
    """7.3: a claim asserted before the expiry date is timely."""
    book.apply(*closed("2003-04-10"), claim("C1", "2005-04-09", "1000.00"))
    assert book.json("2005-04-09")["claims"][0]["status"] == "pending"


@pytest.mark.parametrize("on", ["2005-04-10", "2005-04-11"])
def test_claim_on_or_after_expiry_is_rejected(book: OneAgreement, on: str) -> None:
    """7.3: on the two-year date the representation has expired."""
    book.apply(*closed("2003-04-10"))
    count = len(book.events())
    with pytest.raises(RuleViolation, match="expired on 2005-04-10") as err:
        book.apply(claim("C1", on, "1000.00"))
    assert err.value.clause == "7.3" and len(book.events()) == count


def test_pending_claim_keeps_its_section_extended_until_resolved(book: OneAgreement) -> None:
    """7.3(iv), 8.4: a timely claim keeps the representation alive until finally resolved."""
    book.apply(*closed("2003-04-10"), claim("C1", "2005-03-01", "1000.00", sections=["2.14"]))
    assert row(book, "2.14", "2005-04-10") == ("extended", None)
    assert row(book, "2.13", "2005-04-10") == ("expired", "2005-04-10")
    book.apply(resolve("C1", "2005-06-01", "1000.00"))
    assert row(book, "2.14", "2005-05-31") == ("extended", None)
    assert row(book, "2.14", "2005-06-01") == ("expired", "2005-06-01")


def test_extended_section_still_refuses_new_claims_after_expiry(book: OneAgreement) -> None:
    """7.3: a new claim must be asserted before the expiry date even while another extends it."""
    book.apply(*closed("2003-04-10"), claim("C1", "2005-03-01", "1000.00", sections=["2.14"]))
    with pytest.raises(RuleViolation, match="expired"):
        book.apply(claim("C2", "2005-05-01", "1000.00", sections=["2.14"]))


@pytest.mark.parametrize("section", ["2.1", "2.15", "3.1", "3.2", "3.4"])
def test_indefinite_sections_never_expire(book: OneAgreement, section: str) -> None:
    """7.3(i): 2.1, 2.15, 3.1, 3.2 and 3.4 survive indefinitely."""
    book.apply(*closed("2003-04-10"))
    assert row(book, section, "2030-01-01") == ("indefinite", None)
    claimant = "buyer" if section.startswith("2.") else "sellers"
    book.apply(claim("LATE", "2030-01-01", "1.00", sections=[section], claimant=claimant))


def test_3_4_is_indefinite_and_3_8_expires_each_with_a_note(book: OneAgreement) -> None:
    """7.3(i) names "3.4 (No Brokers)"; 9.6 makes headings no part of the agreement, so the
    number governs: 3.4 is indefinite, 3.8 (No Brokers) expires (readings 6)."""
    book.apply(*closed("2003-04-10"))
    rows = {r["section"]: r for r in book.json("2006-01-01")["survival"]}
    assert (rows["3.4"]["status"], rows["3.8"]["status"]) == ("indefinite", "expired")
    assert "9.6" in rows["3.4"]["note"] and "9.6" in rows["3.8"]["note"]
    with pytest.raises(RuleViolation, match=r"3\.8 expired"):
        book.apply(claim("S1", "2006-01-01", "1.00", sections=["3.8"], claimant="sellers"))


def test_taxes_run_to_the_statute_of_limitations(book: OneAgreement) -> None:
    """7.3(ii): 2.11 "shall continue through the expiration of the applicable statute of
    limitations", whatever the Closing Date: surviving on the recorded day, expired the day after."""
    book.apply(*closed("2003-04-10"))
    assert row(book, "2.11", "2006-01-01") == ("until-statute-of-limitations", None)
    book.apply(fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2008-04-15"))
    assert row(book, "2.11", "2008-04-14") == ("surviving", "2008-04-15")
    assert row(book, "2.11", "2008-04-15") == ("surviving", "2008-04-15")
    assert row(book, "2.11", "2008-04-16") == ("expired", "2008-04-15")


@pytest.mark.parametrize(
    ("on", "surviving", "calendar"),
    [
        ("2008-04-14", "surviving", "upcoming"),
        ("2008-04-15", "surviving", "upcoming"),
        ("2008-04-16", "expired", "done"),
    ],
)
def test_the_calendar_lapses_taxes_on_the_day_the_state_expires_them(
    book: OneAgreement, on: str, surviving: str, calendar: str
) -> None:
    """7.3(ii), readings 6: 2.11 survives on the statute date itself, so the calendar's 2.11 row
    lapses the day after, when the state's row says expired (one rule: ``tax_expiry``)."""
    book.apply(*closed("2003-04-10"), fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2008-04-15"))
    from datetime import date

    duty = next(o for o in book.state(on).obligations if o.ref == "7.3(ii):2.11")
    assert row(book, "2.11", on)[0] == surviving
    assert (duty.due_on, duty.status) == (date(2008, 4, 16), calendar)
    assert "through the statute of limitations (2008-04-15)" in duty.description


@pytest.mark.parametrize(("on", "accepted"), [("2008-04-14", True), ("2008-04-15", True), ("2008-04-16", False)])
def test_tax_claim_is_accepted_up_to_and_on_the_statute_date(book: OneAgreement, on: str, accepted: bool) -> None:
    """7.3(ii), readings 6: a 2.11 claim may be asserted up to and on the recorded expires_on day."""
    book.apply(*closed("2003-04-10"), fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2008-04-15"))
    late = claim("T1", on, "5000.00", sections=["2.11"])
    if accepted:
        book.apply(late)
        return
    with pytest.raises(RuleViolation, match=r"2\.11 continued through .* on 2008-04-15") as err:
        book.apply(late)
    assert err.value.clause == "7.3(ii)"


def test_timely_tax_claim_extends_2_11_to_three_months_after_resolution(book: OneAgreement) -> None:
    """7.3(ii): "if a claim has been asserted prior to such expiration, until three months
    after the date of its final resolution" (resolved 2008-09-20 -> 2008-12-20)."""
    book.apply(
        *closed("2003-04-10"),
        fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2008-04-15"),
        claim("T1", "2008-01-10", "5000.00", sections=["2.11"]),
    )
    assert row(book, "2.11", "2008-06-01") == ("extended", None)
    book.apply(resolve("T1", "2008-09-20", "5000.00"))
    assert row(book, "2.11", "2008-12-19") == ("extended", "2008-12-20")
    assert row(book, "2.11", "2008-12-20") == ("expired", "2008-12-20")


@pytest.mark.parametrize(("on", "accepted"), [("2007-05-09", True), ("2007-05-10", False), ("2007-05-11", False)])
def test_the_three_month_tail_lets_new_tax_claims_in_as_the_state_shows(
    book: OneAgreement, on: str, accepted: bool
) -> None:
    """7.3(ii), readings 6: after a timely 2.11 claim's resolution (2007-02-10) 2.11 survives, for new
    claims as well, until three months after it (2007-05-10, on which day it has expired): the state's
    row and the check on a new claim come from the same rule."""
    book.apply(
        *closed("2003-04-10"),
        fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2006-09-15"),
        claim("T1", "2006-09-15", "5000.00", sections=["2.11"]),
        resolve("T1", "2007-02-10", "5000.00"),
    )
    status = row(book, "2.11", on)[0]
    late = claim("T2", on, "1000.00", sections=["2.11"])
    if accepted:
        assert status == "extended"
        book.apply(late)
        assert row(book, "2.11", on) == ("extended", None)  # the new claim keeps 2.11 alive in turn
        return
    assert status == "expired"
    with pytest.raises(RuleViolation, match=r"2\.11 expired on 2007-05-10, three months after") as err:
        book.apply(late)
    assert err.value.clause == "7.3(ii)"


def test_pending_tax_claim_keeps_2_11_open_to_new_claims(book: OneAgreement) -> None:
    """7.3(ii), readings 6: while a timely 2.11 claim is pending, 2.11 has not expired - for new claims too."""
    book.apply(
        *closed("2003-04-10"),
        fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2006-09-15"),
        claim("T1", "2006-09-01", "5000.00", sections=["2.11"]),
        claim("T2", "2009-01-01", "1000.00", sections=["2.11"]),
    )
    assert row(book, "2.11", "2009-01-01") == ("extended", None)


def test_tax_claim_resolved_early_leaves_the_statute_date(book: OneAgreement) -> None:
    """7.3(ii): the later of the statute date and three months after resolution governs."""
    book.apply(
        *closed("2003-04-10"),
        fact("TaxLimitationPeriodRecorded", "2006-02-01", expires_on="2008-04-15"),
        claim("T1", "2007-01-10", "5000.00", sections=["2.11"]),
        resolve("T1", "2007-02-01", "5000.00"),
    )
    assert row(book, "2.11", "2008-04-15") == ("surviving", "2008-04-15")
    assert row(book, "2.11", "2008-04-16") == ("expired", "2008-04-15")


def test_covenants_have_no_survival_cut_off(book: OneAgreement) -> None:
    """7.3(iii): Article V (and 7.3) are continuing: a claim under 5.1 is never late."""
    book.apply(*closed("2003-04-10"), claim("K1", "2012-01-01", "100.00", sections=["5.1"]))
    assert book.json("2012-01-01")["claims"][0]["sections"] == ["5.1"]
