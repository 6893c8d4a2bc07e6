"""9.11 on the way in: a fact a notice brings occurs on the day the notice is effective;
the ledger fills that day in, refuses another, and shows both dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from commands.parsing import draft_from_mapping
from domain.errors import InvalidInput
from tests.clirun import run, write_jsonl
from tests.ledger import OneAgreement, closed

MAILED = {"by": "mail", "sent_on": "2004-01-12"}  # a Monday: effective Thursday 2004-01-15


def _claim(**fields: Any) -> dict[str, Any]:
    return {"type": "ClaimAsserted", "claim_id": "C1", "claimant": "buyer", "sections": ["2.14"]} | {
        "amount": "30000.00",
        **fields,
    }


def test_occurred_on_left_out_is_the_day_the_notice_is_effective(book: OneAgreement) -> None:
    """9.11(ii): mailed on the 12th, effective (and so asserted) on the 15th."""
    book.apply(*closed(), _claim(notice=MAILED))
    event = book.events()[-1]
    assert event.occurred_on.isoformat() == "2004-01-15"
    assert event.payload()["notice"] == MAILED
    assert book.json("2004-01-15")["claims"][0]["asserted_on"] == "2004-01-15"
    assert book.json("2004-01-14")["claims"] == []  # not given before it is effective


def test_occurred_on_given_as_the_effective_day_is_accepted(book: OneAgreement) -> None:
    book.apply(*closed(), _claim(occurred_on="2004-01-15", notice=MAILED))
    assert book.events()[-1].occurred_on.isoformat() == "2004-01-15"


@pytest.mark.parametrize("given", ["2004-01-12", "2004-01-14", "2004-01-16"])
def test_occurred_on_other_than_the_effective_day_is_refused(book: OneAgreement, given: str) -> None:
    """The line is refused naming the date 9.11 gives, and nothing is appended."""
    book.apply(*closed())
    count = len(book.events())
    with pytest.raises(InvalidInput, match=r"is not the day 9.11 makes this notice effective: 2004-01-15"):
        book.apply(_claim(occurred_on=given, notice=MAILED))
    assert len(book.events()) == count


@pytest.mark.parametrize(
    ("notice", "effective"),
    [
        ({"by": "fax", "sent_on": "2004-01-12", "mailed_copy_on": "2004-01-12"}, "2004-01-12"),
        ({"by": "hand", "sent_on": "2004-01-12", "received_on": "2004-01-12"}, "2004-01-12"),
        ({"by": "courier", "sent_on": "2004-01-12", "received_on": "2004-01-14"}, "2004-01-14"),
    ],
)
def test_each_means_fills_in_its_own_day(notice: dict[str, str], effective: str) -> None:
    """9.11(i) fax when transmitted, (iii) any other means when received."""
    assert draft_from_mapping(_claim(notice=notice)).fields["occurred_on"] == effective


@pytest.mark.parametrize(
    ("notice", "message"),
    [
        ({"by": "fax", "sent_on": "2004-01-12"}, r"notice: a notice by telefax must also be mailed \(9.11\(b\)\)"),
        ({"by": "courier", "sent_on": "2004-01-12"}, r"give received_on \(9.11\(iii\)\)"),
        ({"by": "pigeon", "sent_on": "2004-01-12"}, r"notice.by: Input should be"),
        ({"by": "mail", "sent_on": "12/01/2004"}, r"notice.sent_on: expected a date"),
        ({"by": "mail"}, r"notice.sent_on: Field required"),
    ],
)
def test_a_notice_9_11_does_not_give_is_refused(notice: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        draft_from_mapping(_claim(notice=notice), line=4)


def test_a_fact_that_is_no_notice_has_no_notice_field() -> None:
    with pytest.raises(InvalidInput, match="has no field 'notice'"):
        draft_from_mapping({"type": "ClosingOccurred", "notice": MAILED})
    with pytest.raises(InvalidInput, match=r'needs occurred_on \(YYYY-MM-DD\) or a "notice" \(9.11\)'):
        draft_from_mapping(_claim())


def test_the_tax_notification_and_a_termination_may_carry_a_notice() -> None:
    """8.3(b)(i) runs "after being notified"; 7.1 termination is given by a Party (9.11)."""
    tax = draft_from_mapping({"type": "TaxReimbursementNotified", "claim_id": "C1", "notice": MAILED})
    ended = draft_from_mapping({"type": "AgreementTerminated", "reason": "deadline", "notice": MAILED})
    assert tax.fields["occurred_on"] == ended.fields["occurred_on"] == "2004-01-15"


def test_history_shows_both_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`history`: the effective day as occurred_on, the notice as sent; `record` takes the
    notice as --notice-* fields and fills in the day."""
    store = str(tmp_path / "n.sqlite")
    assert run(capsys, "--store", store, "new", "APA")[0] == 0
    assert run(capsys, "--store", store, "apply", "APA", write_jsonl(tmp_path / "f.jsonl", closed()))[0] == 0
    code, out, err = run(
        capsys,
        *("--store", store, "record", "APA", "ClaimAsserted", "--notice-by", "mail", "--notice-sent-on", "2004-01-12"),
        *("--claim-id", "C1", "--claimant", "buyer", "--sections", "2.14", "--amount", "30000"),
    )
    assert (code, err) == (0, "")
    code, out, _ = run(capsys, "--store", store, "history", "APA")
    line = out.splitlines()[-1]
    assert "2004-01-15" in line.split()[1]
    assert "notice=(mailed 2004-01-12, effective 3 days after deposit in the mails: 2004-01-15 (9.11(ii)))" in line
    rows = json.loads(run(capsys, "--store", store, "history", "APA", "--json")[1])
    assert (rows[-1]["occurred_on"], rows[-1]["payload"]["notice"]["sent_on"]) == ("2004-01-15", "2004-01-12")
    code, _, err = run(
        capsys,
        *("--store", store, "record", "APA", "ClaimAsserted", "--occurred-on", "2004-01-13"),
        *("--notice-by", "mail", "--notice-sent-on", "2004-01-12", "--claim-id", "C2", "--claimant", "buyer"),
        *("--sections", "2.14", "--amount", "30000"),
    )
    assert code == 2 and err.count("\n") == 1 and "effective: 2004-01-15" in err
