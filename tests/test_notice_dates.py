"""What runs from the day a notice is effective (9.11): survival (7.3, 7.3(iv): a claim keeps a
representation alive only if given before it expires), the 7.1 deadline for a termination,
and the ten days of 8.3(b)(i); `explain` shows both dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.errors import RuleViolation
from projections.explain import explanations, find
from tests.clirun import run, write_jsonl
from tests.ledger import OneAgreement, closed, fact, resolve, signed

EXPIRY = "2005-04-10"  # 7.3: two years following the Closing Date of 2003-04-10 (tests.ledger.closed)


def _claim(notice: dict[str, str], claim_id: str = "C1", sections: tuple[str, ...] = ("2.14",)) -> dict[str, Any]:
    """A claim given by ``notice``: no occurred_on, the ledger fills in the effective day."""
    return {"type": "ClaimAsserted", "claim_id": claim_id, "claimant": "buyer", "sections": list(sections)} | {
        "amount": "30000.00",
        "notice": notice,
    }


def _mailed(on: str) -> dict[str, str]:
    return {"by": "mail", "sent_on": on}


def _formula(book: OneAgreement, as_of: str, figure: str) -> str:
    state, found = explanations(book.events(), date.fromisoformat(as_of))
    return find(found, state, figure).formula


def test_a_claim_mailed_four_days_before_the_two_year_date_is_given_in_time(book: OneAgreement) -> None:
    """9.11(ii), 7.3(iv): mailed 2005-04-06, effective 2005-04-09, the day before the
    representations expire: 2.14 is extended by the claim."""
    book.apply(*closed(), _claim(_mailed("2005-04-06")))
    state = book.json("2005-04-11")
    assert state["claims"][0]["asserted_on"] == "2005-04-09"
    row = next(r for r in state["survival"] if r["section"] == "2.14")
    assert row["status"] == "extended"


@pytest.mark.parametrize(
    ("mailed_on", "effective"),
    [("2005-04-07", "2005-04-10"), ("2005-04-08", "2005-04-11"), ("2005-04-09", "2005-04-12")],
    ids=["three days before", "two days before", "one day before"],
)
def test_a_claim_mailed_three_two_or_one_days_before_the_two_year_date_is_too_late(
    book: OneAgreement, mailed_on: str, effective: str
) -> None:
    """9.11(ii): mail is effective three days after deposit, so a claim mailed three days or
    fewer before the two-year date is given on or after it (7.3: expired on 2005-04-10); the
    refusal names the day the notice is effective, and nothing is appended."""
    book.apply(*closed())
    count = len(book.events())
    with pytest.raises(RuleViolation) as refused:
        book.apply(_claim(_mailed(mailed_on)))
    message = str(refused.value)
    assert f"the representation in 2.14 expired on {EXPIRY}" in message
    assert f"effective on {effective}: mailed {mailed_on}" in message and message.endswith("(7.3, 9.11)")
    assert len(book.events()) == count


@pytest.mark.parametrize("copy_mailed_on", ["2005-04-09", "2005-04-12"])
def test_a_fax_on_the_last_day_is_given_in_time(book: OneAgreement, copy_mailed_on: str) -> None:
    """9.11(i): a fax is effective when transmitted, 2005-04-09, the last day before the
    representations expire - however late the copy 9.11(b) requires is mailed."""
    fax = {"by": "fax", "sent_on": "2005-04-09", "mailed_copy_on": copy_mailed_on}
    book.apply(*closed(), _claim(fax))
    assert book.json("2005-04-09")["claims"][0]["asserted_on"] == "2005-04-09"
    assert next(r for r in book.json("2005-04-10")["survival"] if r["section"] == "2.14")["status"] == "extended"


def test_a_fax_on_the_two_year_date_is_too_late(book: OneAgreement) -> None:
    book.apply(*closed())
    with pytest.raises(
        RuleViolation, match=rf"expired on {EXPIRY}; the claim's notice is effective on {EXPIRY}: faxed"
    ):
        book.apply(_claim({"by": "fax", "sent_on": EXPIRY, "mailed_copy_on": EXPIRY}))


@pytest.mark.parametrize(("mailed_on", "accepted"), [("2008-09-11", True), ("2008-09-12", True), ("2008-09-13", False)])
def test_a_2_11_claim_runs_to_the_statute_from_the_day_its_notice_is_effective(
    book: OneAgreement, mailed_on: str, accepted: bool
) -> None:
    """7.3(ii): 2.11 continues through the recorded statute date (2008-09-15): a claim mailed
    on the 11th is effective the day before it, one mailed on the 12th on the statute day itself
    (readings 6: still in time), one mailed on the 13th the day after."""
    book.apply(*closed(), fact("TaxLimitationPeriodRecorded", "2004-01-05", expires_on="2008-09-15"))
    if accepted:
        book.apply(_claim(_mailed(mailed_on), sections=("2.11",)))
        effective = date.fromisoformat(mailed_on) + timedelta(days=3)
        assert book.json("2008-09-15")["claims"][0]["asserted_on"] == effective.isoformat()
        return
    with pytest.raises(
        RuleViolation,
        match=r"2.11 continued through .* 2008-09-15 and expired after it; "
        r"the claim's notice is effective on 2008-09-16",
    ):
        book.apply(_claim(_mailed(mailed_on), sections=("2.11",)))


@pytest.mark.parametrize(("mailed_on", "accepted"), [("2003-05-28", False), ("2003-05-29", True)])
def test_a_termination_notice_is_given_after_the_deadline_only_once_effective(
    book: OneAgreement, mailed_on: str, accepted: bool
) -> None:
    """7.1, 9.11(ii): a Party may terminate once the close of business on 2003-05-31 has passed;
    a notice mailed 2003-05-28 is effective on the deadline itself (refused), one mailed the
    29th on 2003-06-01 (accepted)."""
    book.apply(*signed())
    ended = {"type": "AgreementTerminated", "reason": "deadline", "notice": _mailed(mailed_on)}
    if not accepted:
        with pytest.raises(RuleViolation, match=r"AgreementTerminated on 2003-05-31: the closing deadline 2003-05-31"):
            book.apply(ended)
        return
    book.apply(ended)
    state = book.json("2003-06-01")
    assert state["status"] == "terminated"
    assert book.json("2003-05-31")["status"] == "signed"  # not terminated before the notice is effective


@pytest.mark.parametrize(
    ("as_of", "status"), [("2004-01-24", "upcoming"), ("2004-01-25", "due"), ("2004-01-26", "overdue")]
)
def test_the_ten_days_of_8_3_b_i_run_from_the_day_the_notice_is_effective(
    book: OneAgreement, as_of: str, status: str
) -> None:
    """8.3(b)(i): "within ten days after being notified": mailed Monday 2004-01-12, effective
    2004-01-15 (9.11(ii)), the Tax Reimbursement Amount is due 2004-01-25; the calendar's row
    says how the notice was given."""
    book.apply(
        *closed(),
        fact("ClaimAsserted", "2003-06-02", claim_id="C1", claimant="buyer", sections=["2.11"], amount="30000"),
    )
    book.apply(resolve("C1", "2003-09-01", "30000"))
    book.apply({"type": "TaxReimbursementNotified", "claim_id": "C1", "notice": _mailed("2004-01-12")})
    row = next(o for o in book.json(as_of)["obligations"] if o["clause"] == "8.3(b)(i)")
    assert (row["due_on"], row["status"]) == ("2004-01-25", status)
    assert "notified 2004-01-15: mailed 2004-01-12, effective 3 days after deposit in the mails" in row["description"]


def test_explain_shows_when_a_claim_was_sent_and_when_it_took_effect(book: OneAgreement) -> None:
    """`explain` of the claim and of the representation it keeps alive: both dates, and the
    rule of 9.11 that joins them."""
    book.apply(*closed(), _claim(_mailed("2005-04-06")))
    both = "asserted 2005-04-09 by notice: mailed 2005-04-06, effective 3 days after deposit in the mails: 2005-04-09"
    assert both in _formula(book, "2005-04-20", "claims.C1")
    assert both in _formula(book, "2005-04-20", "survival.2.14")


def test_a_claim_without_a_notice_is_explained_as_before(book: OneAgreement) -> None:
    book.apply(
        *closed(), fact("ClaimAsserted", "2004-01-15", claim_id="C1", claimant="buyer", sections=["2.14"], amount="10")
    )
    formula = _formula(book, "2004-02-01", "claims.C1")
    assert "asserted 2004-01-15 for" in formula and "notice" not in formula


def test_record_takes_a_fax_with_its_mailed_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """9.11(b): the copy a fax requires is recorded on the fax's notice (--notice-mailed-copy-on);
    `history` shows the fax, the copy and the day the notice is effective."""
    store = str(tmp_path / "f.sqlite")
    assert run(capsys, "--store", store, "new", "APA")[0] == 0
    assert run(capsys, "--store", store, "apply", "APA", write_jsonl(tmp_path / "h.jsonl", closed()))[0] == 0
    fax = ("--notice-by", "fax", "--notice-sent-on", "2005-04-09", "--notice-mailed-copy-on", "2005-04-11")
    claim_fields = ("--claim-id", "C1", "--claimant", "buyer", "--sections", "2.14", "--amount", "30000")
    code, _, err = run(capsys, "--store", store, "record", "APA", "ClaimAsserted", *fax, *claim_fields)
    assert (code, err) == (0, "")
    line = run(capsys, "--store", store, "history", "APA")[1].splitlines()[-1]
    assert "faxed 2005-04-09 (copy mailed 2005-04-11), effective when transmitted: 2005-04-09 (9.11(i))" in line
    code, _, err = run(
        capsys, "--store", store, "record", "APA", "ClaimAsserted", *fax[:4], "--claim-id", "C2", *claim_fields[2:]
    )
    assert code == 2 and err.count("\n") == 1 and "must also be mailed (9.11(b))" in err
