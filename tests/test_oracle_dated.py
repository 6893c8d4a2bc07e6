"""The dated clauses against the oracle (tests/oracle.py, written from the text): the Closing
Date ("Closing", 1.1, on the US and Utah holidays of 9.4) and the day a notice is effective
(9.11), on every day of several years and on random histories."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from commands.parsing import draft_from_mapping
from domain.business_days import DEFAULT_CALENDAR, is_business_day
from domain.closing import CONDITIONS, closing_due
from domain.terms import DEFAULT_TERMS
from projections.state import project
from tests import oracle
from tests.strategies import valid_history

SIGNED = [
    {"type": "EffectiveDateReached", "occurred_on": "2002-12-06"},
    {"type": "EscrowDeposited", "occurred_on": "2002-12-06", "shares": 25000},
]
EXPIRY = date(2005, 4, 10)  # 7.3: two years following a Closing on 2003-04-10


def _days(low: date, high: date) -> list[date]:
    return [low + timedelta(days=n) for n in range((high - low).days + 1)]


def test_business_days_agree_with_the_holidays_the_statutes_name() -> None:
    """9.4: every day of 2002-2020 is a business day for the ledger (the ``holidays``
    package) exactly when it is one by the oracle's own list of the statutes' holidays."""
    for day in _days(date(2002, 1, 1), date(2020, 12, 31)):
        assert is_business_day(DEFAULT_CALENDAR, day) is oracle.is_business_day(day), day


def test_the_closing_date_agrees_with_the_text_for_every_last_day() -> None:
    """ "Closing" (1.1): the last condition on each day from the Effective Date to the end of
    2006 gives the oracle's Closing Date."""
    for day in _days(date(2002, 12, 6), date(2006, 12, 31)):
        facts = [
            {"type": "ClosingConditionSatisfied", "occurred_on": "2002-12-06", "condition": c} for c in CONDITIONS[1:]
        ]
        facts.append({"type": "ClosingConditionSatisfied", "occurred_on": day.isoformat(), "condition": "6.1(a)"})
        due = closing_due(
            DEFAULT_TERMS, {c: (date(2002, 12, 6), False) for c in CONDITIONS[1:]} | {"6.1(a)": (day, False)}
        )
        assert due is not None and due.closing_date == oracle.closing_date(facts), day


@st.composite
def condition_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Signing, then all of 6.1(a)-(g) or all but one on random days (some twice), in random
    order, sometimes a Closing."""
    days = st.dates(date(2002, 12, 6), date(2004, 1, 31))
    chosen = list(draw(st.permutations(CONDITIONS)))[: draw(st.sampled_from([6, 7, 7, 7]))]
    chosen += draw(st.lists(st.sampled_from(CONDITIONS), max_size=2))  # a condition twice: refused (6.1)
    facts = [
        {"type": "ClosingConditionSatisfied", "occurred_on": draw(days).isoformat(), "condition": c}
        | {"waived": draw(st.booleans())}
        for c in chosen
    ]
    if draw(st.booleans()):
        facts.insert(
            draw(st.integers(0, len(facts))), {"type": "ClosingOccurred", "occurred_on": draw(days).isoformat()}
        )
    return SIGNED + facts


@given(candidates=condition_histories())
def test_the_state_shows_the_closing_date_the_text_gives(candidates: list[dict[str, Any]]) -> None:
    """The state's closing.due_on, and the calendar's Closing Date row, are the oracle's date
    from the conditions the ledger accepted; whether the Closing took place on it or on a date
    the Parties agreed (1.5(a)) follows."""
    history = valid_history(candidates)
    expected = oracle.closing_date(history.facts)
    state = project(history.agreement.events, date(2004, 6, 30)).model_dump(mode="json")
    assert state["closing"]["due_on"] == (None if expected is None else expected.isoformat())
    rows = [o for o in state["obligations"] if o["clause"] == "Closing (1.1), 1.5(a)"]
    if expected is not None:
        assert [o["due_on"] for o in rows] == [expected.isoformat()]
    closed = state["closing_date"]
    if closed is not None and expected is not None:
        assert state["closing"]["agreed_other_date"] is (closed != expected.isoformat())


@st.composite
def notices(draw: st.DrawFn) -> dict[str, str]:
    by = draw(st.sampled_from(["fax", "mail", "hand", "courier"]))
    sent = draw(st.dates(date(2005, 3, 25), date(2005, 4, 15)))
    notice = {"by": by, "sent_on": sent.isoformat()}
    later = sent + timedelta(days=draw(st.integers(0, 6)))
    if by == "fax":
        notice["mailed_copy_on"] = later.isoformat()
    elif by in ("hand", "courier"):
        notice["received_on"] = later.isoformat()
    return notice


@given(notice=notices())
def test_a_claims_notice_is_effective_and_in_time_as_the_text_says(notice: dict[str, str]) -> None:
    """9.11 and 7.3: the ledger fills in the day the oracle gives, and accepts a claim on 2.14
    exactly when that day is before the two-year date."""
    claim = {"type": "ClaimAsserted", "claim_id": "C1", "claimant": "buyer", "sections": ["2.14"]} | {
        "amount": "30000.00",
        "notice": notice,
    }
    effective = oracle.notice_effective(notice)
    assert draft_from_mapping(claim).fields["occurred_on"] == effective.isoformat()
    history = valid_history([*SIGNED, {"type": "ClosingOccurred", "occurred_on": "2003-04-10"}, claim])
    assert (claim in history.facts) is (effective < EXPIRY)
