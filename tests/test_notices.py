"""9.11: when a notice is effective - fax when transmitted, mail three days after deposit,
hand or courier when received."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.notices import Notice, effect, effective_on


def _notice(**fields: str) -> Notice:
    return Notice.model_validate(fields)


@pytest.mark.parametrize(
    ("sent", "effective"),
    [
        ("2005-04-07", date(2005, 4, 10)),  # a Thursday: effective on the Sunday (calendar days)
        ("2005-04-08", date(2005, 4, 11)),
        ("2003-05-23", date(2003, 5, 26)),  # effective on Memorial Day: holidays are not skipped
        ("2004-02-27", date(2004, 3, 1)),  # across February 29 of a leap year
    ],
)
def test_mail_is_effective_three_calendar_days_after_deposit(sent: str, effective: date) -> None:
    """9.11(ii): "three days after such communication is deposited in the mails"; "three days",
    not "three business days" as the definition of Closing says where it means them."""
    assert effective_on(_notice(by="mail", sent_on=sent)) == effective


def test_mail_is_effective_on_its_date_whenever_received() -> None:
    """9.11(ii) fixes the day; an actual receipt recorded plays no part."""
    notice = _notice(by="mail", sent_on="2005-04-07", received_on="2005-04-08")
    assert effective_on(notice) == date(2005, 4, 10)


def test_a_fax_is_effective_when_transmitted() -> None:
    """9.11(i): "when transmitted ... and an appropriate answerback is received"."""
    notice = _notice(by="fax", sent_on="2005-04-10", mailed_copy_on="2005-04-11")
    assert effective_on(notice) == date(2005, 4, 10)
    assert effect(notice) == (
        "faxed 2005-04-10 (copy mailed 2005-04-11), effective when transmitted: 2005-04-10 (9.11(i))"
    )


def test_a_fax_must_also_be_mailed() -> None:
    """9.11(b): "provided that any notice so given is also mailed as provided in clause (c)"."""
    with pytest.raises(ValidationError, match=r"must also be mailed \(9.11\(b\)\)"):
        _notice(by="fax", sent_on="2005-04-10")
    with pytest.raises(ValidationError, match=r"a notice mailed first is given by mail"):
        _notice(by="fax", sent_on="2005-04-10", mailed_copy_on="2005-04-09")
    assert _notice(by="fax", sent_on="2005-04-10", mailed_copy_on="2005-04-10").mailed_copy_on == date(2005, 4, 10)


@pytest.mark.parametrize("by", ["hand", "courier"])
def test_hand_and_courier_are_effective_when_received(by: str) -> None:
    """9.11(iii): "if given by any other means, when actually received"."""
    notice = _notice(by=by, sent_on="2005-04-07", received_on="2005-04-09")
    assert effective_on(notice) == date(2005, 4, 9)
    assert effect(notice) == f"sent by {by} 2005-04-07, effective when received: 2005-04-09 (9.11(iii))"
    with pytest.raises(ValidationError, match=r"give received_on \(9.11\(iii\)\)"):
        _notice(by=by, sent_on="2005-04-07")


def test_a_notice_is_not_received_before_it_is_sent() -> None:
    with pytest.raises(ValidationError, match="is before sent_on"):
        _notice(by="courier", sent_on="2005-04-07", received_on="2005-04-06")


def test_only_a_fax_has_a_mailed_copy_and_only_the_four_means_exist() -> None:
    with pytest.raises(ValidationError, match="not by fax"):
        _notice(by="mail", sent_on="2005-04-07", mailed_copy_on="2005-04-07")
    with pytest.raises(ValidationError):
        _notice(by="email", sent_on="2005-04-07")
    with pytest.raises(ValidationError):
        Notice.model_validate({"by": "mail", "sent_on": "2005-04-07", "answerback": True})


def test_the_stored_form_leaves_out_what_a_notice_does_not_have() -> None:
    """domain.stored_form: a mail notice is stored as {"by", "sent_on"} only."""
    assert _notice(by="mail", sent_on="2005-04-07").model_dump(mode="json") == {"by": "mail", "sent_on": "2005-04-07"}
