"""Random histories: the ledger and the naive oracle (tests/oracle.py) agree on every figure.

Closings from December 2002 to mid-2004, BP Events of each clause or a Deemed Event,
Gross Margins with cents (some negative, some missing), claims on both sides.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import LedgerError
from projections.state import project
from tests import oracle
from tests.ledger import fact, margin, new_ledger, signed
from tests.test_oracle import ledger_figures

MONTHS = ["2002-12", *(f"2003-{m:02d}" for m in range(1, 13)), "2004-01", "2004-02"]


def days(first: str, last: str) -> st.SearchStrategy[date]:
    return st.dates(min_value=date.fromisoformat(first), max_value=date.fromisoformat(last))


def cents(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda c: str(Decimal(c) / 100))


@st.composite
def bp_facts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """No BP Event, a declared one (a, b or c), or a Deemed Event 4-7 months after a promotion."""
    kind = draw(st.sampled_from(["none", "declared", "deemed"]))
    if kind == "declared":
        on = draw(days("2003-01-01", "2004-02-29"))
        return [fact("BPEventDeclared", on.isoformat(), clause=draw(st.sampled_from("abc")))]
    if kind == "deemed":
        promotion = draw(days("2002-09-01", "2003-10-29"))
        low, high = promotion + relativedelta(months=4), promotion + relativedelta(months=7)
        deemed = draw(st.dates(min_value=max(low, date(2003, 1, 1)), max_value=min(high, date(2004, 2, 29))))
        agreed = promotion + timedelta(days=draw(st.integers(1, 100)))
        return [
            fact(
                "DeemedEventAgreed",
                agreed.isoformat(),
                promotion_implemented_on=promotion.isoformat(),
                deemed_on=deemed.isoformat(),
            )
        ]
    return []


@st.composite
def claim_facts(draw: st.DrawFn, closing: date) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 4))):
        side = draw(st.sampled_from(["buyer", "buyer", "sellers"]))
        asserted = closing + timedelta(days=draw(st.integers(0, 600)))
        resolved = asserted + timedelta(days=draw(st.integers(0, 300)))
        amount = draw(cents(0, 20_000_000))
        section = "2.14" if side == "buyer" else "3.5"
        facts.append(
            fact(
                "ClaimAsserted",
                asserted.isoformat(),
                claim_id=f"X{i}",
                claimant=side,
                sections=[section],
                amount=amount,
            )
        )
        if draw(st.booleans()):
            facts.append(
                fact("ClaimResolved", resolved.isoformat(), claim_id=f"X{i}", amount=draw(cents(0, 20_000_000)))
            )
    return facts


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[date]]:
    closing = draw(days("2002-12-06", "2004-06-30"))
    facts = signed()
    if closing > date(2003, 5, 31):
        facts.append(fact("ClosingDeadlineExtended", "2003-05-30", new_deadline="2004-12-31"))
    facts.append(fact("ClosingOccurred", closing.isoformat()))
    facts += draw(bp_facts())
    for month in MONTHS:
        if draw(st.integers(0, 9)) > 0:  # one month in ten left unreported
            facts.append(margin(month, draw(cents(-500_000, 20_000_000))))
    facts += draw(claim_facts(closing))
    as_of = draw(st.lists(days("2002-12-01", "2006-06-30"), min_size=2, max_size=4))
    return facts, [*as_of, date(2004, 3, 30), closing]


@given(histories())
def test_random_histories_agree_with_the_oracle(history: tuple[list[dict[str, Any]], list[date]]) -> None:
    """1.5(b)-(c), 8.1(b)-(c): the ledger's figures equal the oracle's on random histories."""
    facts, dates = history
    with tempfile.TemporaryDirectory() as tmp:
        book = new_ledger(Path(tmp) / "p.sqlite")
        try:
            book.apply(*facts)
        except LedgerError:
            assume(False)  # a history the generator got wrong (e.g. a claim after expiry)
        events = book.store.load(book.agreement_id).events
        for day in dates:
            got = ledger_figures(project(events, day).model_dump(mode="json"))
            assert got == oracle.figures(facts, day), f"as of {day}"
