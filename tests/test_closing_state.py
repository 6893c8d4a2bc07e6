"""The Closing Date in the state, the calendar, `explain` and the fold ("Closing", 1.1; 6.1;
1.5(a)): three business days following the day the last condition of 6.1 is obtained or
waived, on the US and Utah calendar (9.4); a Closing on another day is on a date the
Parties agreed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.closing import CONDITIONS
from domain.errors import RuleViolation
from projections.explain import explanations, find
from tests.clirun import run, write_jsonl
from tests.ledger import OneAgreement, fact, signed

CLAUSE = "Closing (1.1), 1.5(a)"


def conditions(last_on: str, last: str = "6.1(g)", others_on: str = "2003-04-01", waived: bool = False) -> list[Any]:
    """Every condition of 6.1 obtained on ``others_on`` but ``last``, obtained (or waived) on ``last_on``."""
    return [
        fact("ClosingConditionSatisfied", last_on if c == last else others_on, condition=c, waived=waived and c == last)
        for c in CONDITIONS
    ]


def closing_obligation(book: OneAgreement, as_of: str) -> dict[str, Any] | None:
    found = [o for o in book.json(as_of)["obligations"] if o["clause"] == CLAUSE]
    assert len(found) <= 1
    return found[0] if found else None


def explained(book: OneAgreement, as_of: str, figure: str) -> str:
    state, found = explanations(book.events(), date.fromisoformat(as_of))
    return find(found, state, figure).formula


@pytest.mark.parametrize(
    ("as_of", "status"), [("2003-05-28", "upcoming"), ("2003-05-29", "due"), ("2003-05-30", "overdue")]
)
def test_the_closing_date_is_an_obligation_upcoming_due_and_overdue(
    book: OneAgreement, as_of: str, status: str
) -> None:
    """ "Closing" (1.1): the last condition on Friday 2003-05-23 (the weekend and Memorial Day,
    Monday 2003-05-26, are not business days) gives Thursday 2003-05-29: upcoming the day
    before, due on it, overdue after it, beside the 7.1 deadline of 2003-05-31."""
    book.apply(*signed(), *conditions("2003-05-23"))
    obligation = closing_obligation(book, as_of)
    assert obligation is not None
    assert (obligation["due_on"], obligation["status"]) == ("2003-05-29", status)
    assert "6.1(g) on 2003-05-23" in obligation["description"]
    dates = [(o["due_on"], o["clause"]) for o in book.json(as_of)["obligations"]]
    closing_at = dates.index(("2003-05-29", CLAUSE))
    assert dates[closing_at + 1] == ("2003-05-31", "7.1")  # next to the 7.1 deadline


def test_no_closing_date_while_a_condition_is_outstanding(book: OneAgreement) -> None:
    """ "Closing" (1.1): the count starts only once "all of the items contemplated by Section
    6.1" are obtained or waived; the state names those outstanding."""
    book.apply(*signed(), *conditions("2003-05-23")[:-1])
    state = book.json("2003-06-30")
    assert closing_obligation(book, "2003-06-30") is None
    assert state["closing"]["due_on"] is None
    assert state["closing"]["outstanding_conditions"] == ["6.1(g)"]
    assert "6.1 6.1(g) neither obtained nor waived" in explained(book, "2003-06-30", "closing.due_on")


def test_the_state_names_the_last_condition_and_the_days_passed_over(book: OneAgreement) -> None:
    """The closing section: the last condition (waived counts as obtained, 6.1), the day all
    were met, the calendar, and each day skipped with the reason."""
    book.apply(*signed(), *conditions("2003-05-23", last="6.1(c)", waived=True))
    closing = book.json("2003-05-23")["closing"]
    assert closing["last_conditions"] == ["6.1(c)"]
    assert closing["conditions"]["6.1(c)"] == {"on": "2003-05-23", "waived": True}
    assert (closing["conditions_met_on"], closing["due_on"]) == ("2003-05-23", "2003-05-29")
    assert closing["business_calendar"] == "US-UT" and closing["business_days"] == 3
    assert closing["skipped_days"] == ["2003-05-24 (Saturday)", "2003-05-25 (Sunday)", "2003-05-26 (Memorial Day)"]
    assert closing["agreed_other_date"] is None  # no Closing yet


def test_explain_says_which_condition_was_last_and_which_days_were_skipped(book: OneAgreement) -> None:
    """`explain closing.due_on` and the calendar row: the last condition, the days counted and
    the days passed over, each with its reason (Memorial Day named)."""
    book.apply(*signed(), *conditions("2003-05-23", last="6.1(c)", waived=True))
    formula = explained(book, "2003-05-27", "closing.due_on")
    assert "the last of 6.1 was obtained or waived: 6.1(c) (waived)" in formula
    assert "counted on the US-UT calendar: 2003-05-27, 2003-05-28, 2003-05-29" in formula
    assert "passed over: 2003-05-24 (Saturday), 2003-05-25 (Sunday), 2003-05-26 (Memorial Day)" in formula
    assert explained(book, "2003-05-27", f"obligations.2003-05-29.{CLAUSE}.status") == formula


@pytest.mark.parametrize(
    ("last_on", "due_on", "skipped"),
    [
        ("2003-07-23", "2003-07-29", ["2003-07-24 (Pioneer Day)", "2003-07-26 (Saturday)", "2003-07-27 (Sunday)"]),
        ("2003-07-24", "2003-07-29", ["2003-07-26 (Saturday)", "2003-07-27 (Sunday)"]),  # the day itself not counted
        ("2003-07-25", "2003-07-30", ["2003-07-26 (Saturday)", "2003-07-27 (Sunday)"]),
    ],
)
def test_pioneer_day_is_not_a_business_day_in_utah(
    book: OneAgreement, last_on: str, due_on: str, skipped: list[str]
) -> None:
    """9.4 (Utah law): Pioneer Day, Thursday 2003-07-24, is a Utah public holiday; a condition
    met the day before, on it and after it."""
    book.apply(*signed(), fact("ClosingDeadlineExtended", "2003-05-30", new_deadline="2003-08-29"))
    book.apply(*conditions(last_on))
    closing = book.json(last_on)["closing"]
    assert (closing["due_on"], closing["skipped_days"]) == (due_on, skipped)
    assert closing_obligation(book, due_on)["status"] == "due"  # type: ignore[index]


@pytest.mark.parametrize(
    ("last_on", "due_on"),
    [
        ("2003-04-03", "2003-04-08"),  # Thursday: Fri, (Sat, Sun), Mon, Tue
        ("2003-04-04", "2003-04-09"),  # Friday
        ("2003-04-05", "2003-04-09"),  # Saturday: Mon, Tue, Wed
        ("2003-04-06", "2003-04-09"),  # Sunday
        ("2003-04-07", "2003-04-10"),  # Monday: no weekend in between
    ],
)
def test_the_closing_date_over_a_weekend(book: OneAgreement, last_on: str, due_on: str) -> None:
    """ "three business days following": a weekend is passed over."""
    book.apply(*signed(), *conditions(last_on))
    assert book.json(last_on)["closing"]["due_on"] == due_on


def test_a_closing_on_the_closing_date_is_done(book: OneAgreement) -> None:
    book.apply(*signed(), *conditions("2003-04-07"), fact("ClosingOccurred", "2003-04-10"))
    state = book.json("2003-04-10")
    assert state["closing"]["agreed_other_date"] is False
    obligation = closing_obligation(book, "2003-04-10")
    assert obligation is not None and obligation["status"] == "done"
    assert obligation["description"].startswith("Closing on the Closing Date 2003-04-10")
    assert explained(book, "2003-04-10", "closing_date").endswith("Closing took place on 2003-04-10, the Closing Date")


@pytest.mark.parametrize("closed_on", ["2003-04-09", "2003-04-11", "2003-04-22"])
def test_a_closing_on_another_day_is_on_a_date_the_parties_agreed(book: OneAgreement, closed_on: str) -> None:
    """1.5(a): "or on such other date as the Parties may mutually agree" - accepted, and
    shown as such: the day before the Closing Date, the day after, and later."""
    book.apply(*signed(), *conditions("2003-04-07"), fact("ClosingOccurred", closed_on))
    state = book.json("2003-05-01")
    assert (state["closing_date"], state["closing"]["agreed_other_date"]) == (closed_on, True)
    obligation = closing_obligation(book, "2003-05-01")
    assert obligation is not None
    assert (obligation["due_on"], obligation["status"]) == ("2003-04-10", "done")
    assert obligation["description"].startswith(f"Closing on {closed_on}, a date the Parties agreed (1.5(a))")
    state_obj, found = explanations(book.events(), date(2003, 5, 1))
    x = find(found, state_obj, "closing_date")
    assert x.clause == "1.5(a)" and "such other date as the Parties may mutually agree" in x.text
    assert f"Closing took place on {closed_on}, a date the Parties agreed (1.5(a))" in x.formula


def test_a_closing_before_every_condition_is_on_a_date_the_parties_agreed(book: OneAgreement) -> None:
    """A Closing with conditions of 6.1 still outstanding (in a ledger that records them) is
    on a date the Parties agreed; a ledger that records none says nothing of it."""
    book.apply(*signed(), *conditions("2003-04-07")[:5], fact("ClosingOccurred", "2003-04-10"))
    obligation = closing_obligation(book, "2003-04-10")
    assert obligation is not None and obligation["status"] == "done"
    assert "6.1(f), 6.1(g) not obtained or waived by then" in obligation["description"]
    assert book.json("2003-04-10")["closing"]["agreed_other_date"] is True


def test_a_ledger_that_records_no_condition_has_no_closing_date_row(book: OneAgreement) -> None:
    book.apply(*signed(), fact("ClosingOccurred", "2003-04-10"))
    assert closing_obligation(book, "2003-04-10") is None
    assert book.json("2003-04-10")["closing"]["agreed_other_date"] is None


def test_a_termination_ends_the_closing_date_obligation(book: OneAgreement) -> None:
    """7.1-7.2: once terminated, the Closing is no longer owed (as the 7.1 deadline)."""
    book.apply(*signed(), *conditions("2003-04-07"), fact("AgreementTerminated", "2003-04-09", reason="mutual"))
    obligation = closing_obligation(book, "2003-04-20")
    assert obligation is not None and obligation["status"] == "done"
    assert "terminated on 2003-04-09" in obligation["description"]


def test_a_condition_recorded_twice_is_refused_citing_6_1(book: OneAgreement) -> None:
    """6.1: each condition is obtained or waived once."""
    book.apply(*signed(), fact("ClosingConditionSatisfied", "2003-04-01", condition="6.1(b)", waived=True))
    with pytest.raises(RuleViolation, match=r"condition 6.1\(b\) was already waived on 2003-04-01 \(6.1\)$"):
        book.apply(fact("ClosingConditionSatisfied", "2003-04-02", condition="6.1(b)"))


@pytest.mark.parametrize("on", ["2003-04-10", "2003-04-11"])
def test_a_condition_after_the_closing_is_refused_citing_6_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on: str
) -> None:
    """6.1: the conditions are to the Closing; one recorded on or after the day the Closing
    took place is refused with one line, exit 2, and nothing is appended."""
    store = str(tmp_path / "c.sqlite")
    history = [*signed(), *conditions("2003-04-07")[:6], fact("ClosingOccurred", "2003-04-10")]
    assert run(capsys, "--store", store, "new", "APA")[0] == 0
    assert run(capsys, "--store", store, "apply", "APA", write_jsonl(tmp_path / "h.jsonl", history))[0] == 0
    before = run(capsys, "--store", store, "history", "APA", "--json")[1]
    code, out, err = run(
        capsys,
        "--store",
        store,
        "record",
        "APA",
        "ClosingConditionSatisfied",
        "--occurred-on",
        on,
        "--condition",
        "6.1(g)",
    )
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Closing already occurred on 2003-04-10" in err and err.rstrip().endswith("(6.1)")
    assert run(capsys, "--store", store, "history", "APA", "--json")[1] == before


def test_the_text_state_shows_the_closing_date_beside_the_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`state` as text: the Closing that took place (agreed, 1.5(a)), the Closing Date the
    definition gives, and the 7.1 deadline."""
    store = str(tmp_path / "t.sqlite")
    history = [*signed(), *conditions("2003-05-23"), fact("ClosingOccurred", "2003-05-28")]
    assert run(capsys, "--store", store, "new", "APA")[0] == 0
    assert run(capsys, "--store", store, "apply", "APA", write_jsonl(tmp_path / "h.jsonl", history))[0] == 0
    lines = run(capsys, "--store", store, "state", "APA", "--as-of", "2003-06-01")[1].splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Closing Date"))
    assert "2003-05-28" in lines[at] and "[1.5(a): a date the Parties agreed]" in lines[at]
    assert (
        "2003-05-29" in lines[at + 1] and "Closing (1.1): 3 business days after 6.1(g) on 2003-05-23" in lines[at + 1]
    )
    assert "Closing deadline" in lines[at + 2] and "2003-05-31" in lines[at + 2]
