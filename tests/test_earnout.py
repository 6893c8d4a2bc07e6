"""1.5(b)-(c): installments, catch-up, the BP Event window, the Deemed Event, M = A x N / D."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain import earnout as rules
from domain.errors import RuleViolation
from domain.terms import DEFAULT_TERMS
from tests.histories import closing, margins
from tests.ledger import OneAgreement, fact, margin, signed


def released(book: OneAgreement, *days: str) -> list[int]:
    return [book.state(day).earnout.released_shares for day in days]


def test_cumulative_installments_are_floored_and_end_at_exactly_75000() -> None:
    """1.5(b), readings 2: after k installments floor(75,000 x k / 14); the 14th gives 75,000."""
    got = [rules.cumulative_installment_shares(DEFAULT_TERMS, k) for k in (0, 1, 2, 3, 13, 14)]
    assert got == [0, 5357, 10714, 16071, 69642, 75000]


def test_closing_on_the_first_of_a_month_releases_the_catch_up_that_day(book: OneAgreement) -> None:
    """1.5(b): Closing 2003-04-01 - March's installment falls due that day, with January's and
    February's: 3/14 at Closing; April's on 2003-05-01."""
    book.apply(*closing("2003-04-01"))
    assert released(book, "2003-03-31", "2003-04-01", "2003-04-30", "2003-05-01") == [0, 16071, 16071, 21428]


def test_closing_on_the_second_of_a_month_releases_the_same_catch_up(book: OneAgreement) -> None:
    """1.5(b): Closing 2003-04-02 - nothing on 2003-04-01 (no Closing yet), 3/14 at Closing."""
    book.apply(*closing("2003-04-02"))
    assert released(book, "2003-04-01", "2003-04-02", "2003-05-01") == [0, 16071, 21428]
    kinds = [(str(i.on), i.kind) for i in book.state("2003-05-01").earnout.schedule]
    assert kinds[:2] == [("2003-04-02", "catch-up"), ("2003-05-01", "installment")]


def test_closing_on_january_1_2003_has_no_catch_up(book: OneAgreement) -> None:
    """1.5(b): no month has ended at a 2003-01-01 Closing; January's installment is due 2003-02-01."""
    book.apply(*closing("2003-01-01"))
    assert released(book, "2003-01-01", "2003-01-31", "2003-02-01") == [0, 0, 5357]


def test_closing_in_december_2002_releases_the_first_installment_on_january_1_2003(book: OneAgreement) -> None:
    """1.5(b), readings 2: Closing 2002-12-20 - no full month of 2003 has elapsed, so nothing at
    Closing; one installment "on the first day of each calendar month beginning with the month
    immediately following the month in which the Closing occurs": the first on 2003-01-01, the
    fourteenth on 2004-02-01."""
    book.apply(*signed(), fact("ClosingOccurred", "2002-12-20"))
    assert released(book, "2002-12-20", "2002-12-31", "2003-01-01", "2003-01-31", "2003-02-01") == [
        0,
        0,
        5357,
        5357,
        10714,
    ]
    assert released(book, "2004-01-31", "2004-02-01", "2004-03-01") == [69642, 75000, 75000]
    kinds = {i.kind for i in book.state("2004-03-01").earnout.schedule}
    assert kinds == {"installment"}


def test_bp_event_in_january_2003_after_a_december_closing_counts_the_january_installment(book: OneAgreement) -> None:
    """1.5(b) "A": the Earnout Shares not delivered as of the BP Event - after a Closing on
    2002-12-20 the January installment was delivered on 2003-01-01, so A = 75,000 - 5,357."""
    book.apply(*signed(), fact("ClosingOccurred", "2002-12-20"), fact("BPEventDeclared", "2003-01-15", clause="a"))
    bp = book.state("2003-01-15").earnout.bp_event
    assert bp is not None and bp.undelivered_shares == 69643
    assert released(book, "2003-01-15", "2003-02-01") == [5357, 5357]


def test_bp_event_on_january_1_2003_after_a_december_closing_counts_that_days_installment(book: OneAgreement) -> None:
    """1.5(b), readings 2: installments falling due on or before the governing date are released -
    the first, due 2003-01-01, on a BP Event of that very day."""
    book.apply(*signed(), fact("ClosingOccurred", "2002-12-20"), fact("BPEventDeclared", "2003-01-01", clause="b"))
    bp = book.state("2003-01-01").earnout.bp_event
    assert bp is not None and bp.undelivered_shares == 69643


@pytest.mark.parametrize(("closing_on", "at_closing"), [("2002-12-06", 0), ("2003-01-31", 0), ("2003-02-01", 1)])
def test_catch_up_counts_the_full_months_of_2003_before_the_closing_month(closing_on: str, at_closing: int) -> None:
    """1.5(b): k = full calendar months from January 2003 through the month before the Closing month."""
    assert rules.catch_up_installments(DEFAULT_TERMS, date.fromisoformat(closing_on)) == at_closing


@pytest.mark.parametrize("closing_on", ["2004-03-01", "2004-03-02", "2004-05-01"])
def test_closing_after_february_2004_releases_everything_at_closing(book: OneAgreement, closing_on: str) -> None:
    """1.5(b): a Closing on or after 2004-03-01 catches up all fourteen installments at once."""
    book.apply(*closing(closing_on))
    day_before = date.fromisoformat(closing_on).toordinal() - 1
    assert released(book, date.fromordinal(day_before).isoformat(), closing_on) == [0, 75000]
    assert [i.kind for i in book.state(closing_on).earnout.schedule] == ["catch-up"]


@pytest.mark.parametrize(
    ("on", "accepted"), [("2002-12-31", False), ("2003-01-01", True), ("2004-02-29", True), ("2004-03-01", False)]
)
def test_bp_event_window_is_2003_01_01_through_2004_02_29(book: OneAgreement, on: str, accepted: bool) -> None:
    """ "BP Event": during the 14-month period commencing January 1, 2003 (readings 3)."""
    book.apply(*closing("2003-04-10"))
    bp = fact("BPEventDeclared", on, clause="a")
    if accepted:
        book.apply(bp)
        assert book.state("2004-12-31").earnout.bp_event is not None
    else:
        with pytest.raises(RuleViolation, match=r"outside the BP Event period") as err:
            book.apply(bp)
        assert err.value.clause == "BP Event, 1.5(b)"


@pytest.mark.parametrize(
    ("promotion", "deemed", "accepted"),
    [
        ("2003-03-15", "2003-07-14", False),  # four months less a day
        ("2003-03-15", "2003-07-15", True),  # exactly four months
        ("2003-03-15", "2003-10-15", True),  # exactly seven months
        ("2003-03-15", "2003-10-16", False),  # seven months and a day
        ("2002-10-31", "2003-02-27", False),  # Oct 31 + 4 months clamps to Feb 28
        ("2002-10-31", "2003-02-28", True),
        ("2003-07-31", "2003-11-29", False),  # Jul 31 + 4 months clamps to Nov 30
        ("2003-07-31", "2003-11-30", True),
        ("2003-07-31", "2004-02-29", True),  # Jul 31 + 7 months clamps to Feb 29 (leap year)
    ],
)
def test_deemed_event_is_four_to_seven_months_after_the_promotion(
    book: OneAgreement, promotion: str, deemed: str, accepted: bool
) -> None:
    """BP Event (c): the Deemed Event "shall not be less than four nor more than seven months
    following the date Big Planet implements the action to promote" (month ends clamp)."""
    book.apply(*closing("2003-04-10"))
    agreed = fact("DeemedEventAgreed", "2003-02-01", promotion_implemented_on=promotion, deemed_on=deemed)
    if accepted:
        book.apply(agreed)
        assert str(book.state("2004-12-31").earnout.bp_event.governing_date) == deemed  # type: ignore[union-attr]
    else:
        with pytest.raises(RuleViolation, match="4 to 7 months") as err:
            book.apply(agreed)
        assert err.value.clause == "BP Event (c)"


def test_deemed_event_governs_a_and_the_measurement_period(book: OneAgreement) -> None:
    """1.5(b): installments continue to the Deemed Event date; A is counted then, and the
    Measurement Period starts on the 1st of the deemed month."""
    book.apply(
        *closing("2003-04-10"),
        fact("DeemedEventAgreed", "2003-05-01", promotion_implemented_on="2003-03-15", deemed_on="2003-08-15"),
    )
    bp = book.state("2003-12-31").earnout.bp_event
    assert bp is not None
    assert (bp.clause, str(bp.governing_date), str(bp.measurement_start)) == ("c", "2003-08-15", "2003-08-01")
    assert (bp.undelivered_shares, bp.months) == (75000 - 37500, 7)


@pytest.mark.parametrize(("on", "accepted"), [("2003-10-30", True), ("2003-10-31", False), ("2003-11-01", False)])
def test_first_bp_event_governs_a_clause_a_event_before_the_deemed_date(
    book: OneAgreement, on: str, accepted: bool
) -> None:
    """BP Event, readings 3: only the first BP Event counts. A Deemed Event agreed for 2003-10-31: a
    clause (a) event dated before it is the first BP Event and governs (A and the Measurement
    Period from its date); on or after the deemed date, one has already occurred."""
    book.apply(
        *closing("2003-04-10"),
        fact("DeemedEventAgreed", "2003-06-01", promotion_implemented_on="2003-04-30", deemed_on="2003-10-31"),
    )
    declared = fact("BPEventDeclared", on, clause="a")
    if not accepted:
        with pytest.raises(RuleViolation, match=r"deemed to have occurred on 2003-10-31") as err:
            book.apply(declared)
        assert err.value.clause == "BP Event, 1.5(b)"
        return
    book.apply(declared)
    bp = book.state("2003-12-31").earnout.bp_event
    assert bp is not None
    assert (bp.clause, str(bp.occurred_on), str(bp.governing_date)) == ("a", on, on)
    assert (str(bp.measurement_start), bp.undelivered_shares) == ("2003-10-01", 75000 - 75000 * 9 // 14)


def test_a_clause_c_declaration_after_an_agreed_deemed_event_is_refused(book: OneAgreement) -> None:
    """BP Event (c): once the Parties agreed the Deemed Event date, Buyer cannot also declare one."""
    book.apply(
        *closing("2003-04-10"),
        fact("DeemedEventAgreed", "2003-06-01", promotion_implemented_on="2003-04-30", deemed_on="2003-10-31"),
    )
    with pytest.raises(RuleViolation, match=r"deemed to have occurred on 2003-10-31"):
        book.apply(fact("BPEventDeclared", "2003-09-01", clause="c"))


def test_bp_event_on_an_installment_day_keeps_that_installment(book: OneAgreement) -> None:
    """1.5(b), readings 2-3: installments due on or before the governing date are released."""
    book.apply(*closing("2003-04-10"), fact("BPEventDeclared", "2003-06-01", clause="b"))
    assert book.state("2003-12-31").earnout.released_shares == 75000 * 5 // 14
    assert book.state("2003-12-31").earnout.bp_event.undelivered_shares == 75000 - 26785  # type: ignore[union-attr]


def test_bp_event_the_day_before_an_installment_stops_it(book: OneAgreement) -> None:
    """1.5(b): a BP Event on 2003-05-31 stops May's installment due 2003-06-01."""
    book.apply(*closing("2003-04-10"), fact("BPEventDeclared", "2003-05-31", clause="b"))
    assert released(book, "2003-05-31", "2003-06-01", "2003-12-31") == [21428, 21428, 21428]


def test_bp_event_before_closing_means_no_catch_up_and_a_is_all_75000(book: OneAgreement) -> None:
    """1.5(b): "If no BP Event has occurred prior to the Closing" - one has, so no catch-up."""
    book.apply(*signed(), fact("BPEventDeclared", "2003-03-20", clause="a"), fact("ClosingOccurred", "2003-04-10"))
    state = book.state("2003-12-31").earnout
    assert (state.released_shares, state.bp_event.undelivered_shares) == (0, 75000)  # type: ignore[union-attr]


def test_settlement_is_floored_once_from_exact_decimals(book: OneAgreement) -> None:
    """1.5(b): M = floor(A x N / D) with no intermediate rounding (reference figures)."""
    assert rules.settlement_shares(32143, Decimal("430000.00"), Decimal("486051.46565661")) == 28436
    assert rules.settlement_shares(3, Decimal("2"), Decimal("3")) == 2  # 3 x 2/3 = 2 exactly
    assert rules.settlement_shares(100, Decimal("0"), Decimal("5")) == 0


def test_n_above_d_is_capped_so_m_equals_a(book: OneAgreement) -> None:
    """1.5(b): N is the lesser of the actual margin and D, so M never exceeds A."""
    book.apply(
        *closing("2003-04-10"),
        *margins("2003-01", ["60000.00"], last="2003-10"),
        fact("BPEventDeclared", "2003-11-03", clause="b"),
        *margins("2003-11", ["90000.00"]),
    )
    bp = book.state("2004-03-30").earnout.bp_event
    assert bp is not None and bp.capped_margin == bp.assumed_margin_total
    assert bp.settlement_shares == bp.undelivered_shares


def test_missing_months_leave_m_unknown_and_nothing_cancelled(book: OneAgreement) -> None:
    """1.5(b), readings 3: until every month's Gross Margin is reported, M is null."""
    book.apply(
        *closing("2003-04-10"), margin("2003-01", "100000.00"), fact("BPEventDeclared", "2003-09-15", clause="a")
    )
    state = book.state("2004-12-31").earnout
    assert state.bp_event is not None and state.bp_event.settlement_shares is None
    assert state.bp_event.missing_months == [
        "2003-08",
        "2003-09",
        "2003-10",
        "2003-11",
        "2003-12",
        "2004-01",
        "2004-02",
    ]
    assert state.cancelled_shares == 0 and state.pending_shares == 75000 - state.released_shares


def test_settlement_and_cancellation_happen_on_2004_03_30_not_before(book: OneAgreement) -> None:
    """1.5(b)-(c): M within 30 days after February 2004 (2004-03-30); A - M cancelled on the
    later of 2004-03-01 and that date."""
    from tests.ledger import reference_bp

    book.apply(*closing("2003-04-10"), *reference_bp())
    before, on = book.state("2004-03-29").earnout, book.state("2004-03-30").earnout
    assert (before.released_shares, before.cancelled_shares) == (42857, 0)
    assert (on.released_shares, on.cancelled_shares) == (42857 + 28436, 3707)


def test_settlement_waits_for_a_closing_after_march_30_2004(book: OneAgreement) -> None:
    """1.5(a)-(b): Earnout Shares are delivered only after Closing; with the BP Event before a
    2004-05-01 Closing, M is delivered at Closing (the catch-up reading of readings 2)."""
    book.apply(
        *closing("2004-05-01", extend_to="2004-06-30"),
        *margins("2003-01", ["100000.00"], last="2003-08"),
        fact("BPEventDeclared", "2003-09-15", clause="a"),
        *margins("2003-09", ["80000.00"]),
    )
    assert released(book, "2004-03-30", "2004-04-30", "2004-05-01")[:2] == [0, 0]
    state = book.state("2004-05-01").earnout
    assert state.released_shares == state.bp_event.settlement_shares  # type: ignore[union-attr]
    assert state.cancelled_shares == 75000 - state.released_shares


def test_no_closing_means_no_settlement_delivered(book: OneAgreement) -> None:
    """1.5(a)-(b): without a Closing nothing is delivered; M stays pending, A - M is cancelled."""
    book.apply(
        *signed(),
        *margins("2003-01", ["100000.00"], last="2003-08"),
        fact("BPEventDeclared", "2003-09-15", clause="a"),
        *margins("2003-09", ["80000.00"]),
    )
    state = book.state("2004-12-31").earnout
    assert state.released_shares == 0
    assert state.pending_shares == state.bp_event.settlement_shares  # type: ignore[union-attr]


def test_d_starts_from_the_lower_of_january_and_the_month_before(book: OneAgreement) -> None:
    """1.5(b) D: the first assumed margin is min(GM Jan 2003, GM of the preceding month) x 0.97."""
    book.apply(
        *closing("2003-04-10"),
        margin("2003-01", "80000.00"),
        margin("2003-08", "90000.00"),
        fact("BPEventDeclared", "2004-01-10", clause="a"),
    )
    book.apply(margin("2003-12", "70000.00"))
    bp = book.state("2004-02-01").earnout.bp_event
    assert bp is not None and bp.months == 2
    assert bp.assumed_margin_total == Decimal("70000.00") * Decimal("0.97") * (1 + Decimal("0.97"))


def test_deliveries_cannot_exceed_the_shares_released_by_then(book: OneAgreement) -> None:
    """1.5(b): CRS delivers what has been released: 16,071 at a 2003-04-10 Closing, not one more."""
    book.apply(*closing("2003-04-10"))
    with pytest.raises(RuleViolation, match="only 16071 Earnout Shares") as err:
        book.apply(fact("EarnoutSharesDelivered", "2003-04-10", shares=16072))
    assert err.value.clause == "1.5(b)"
    book.apply(fact("EarnoutSharesDelivered", "2003-04-10", shares=16071))
    assert book.state("2003-04-10").earnout.delivered_shares == 16071


def test_termination_stops_every_earnout_delivery_and_cancellation(book: OneAgreement) -> None:
    """7.2: after a 7.1 termination "all further obligations of the Parties ... shall terminate": a BP
    Event declared before termination neither delivers M nor cancels shares nor reduces the Price."""
    from tests.ledger import fact, margin

    book.apply(
        *[fact("EffectiveDateReached", "2002-12-06")],
        margin("2003-01", "100000.00"),
        margin("2003-02", "90000.00"),
        fact("BPEventDeclared", "2003-03-03", clause="b"),
        fact("AgreementTerminated", "2003-06-01", reason="deadline"),
    )
    for as_of in ("2003-05-31", "2004-03-30", "2004-04-01"):
        state = book.json(as_of)
        assert state["earnout"]["released_shares"] == 0
        assert state["earnout"]["cancelled_shares"] == 0
        assert state["purchase_price"]["reduction"] == "0.00"
    assert state["status"] == "terminated"
    assert not [o for o in state["obligations"] if o["clause"] in ("5.1", "5.6")]


@pytest.mark.parametrize(("as_of", "pending", "terminated"), [("2003-05-31", 75000, 0), ("2003-06-01", 0, 75000)])
def test_termination_leaves_nothing_pending_and_counts_the_shares_it_ended(
    book: OneAgreement, as_of: str, pending: int, terminated: int
) -> None:
    """7.2, readings 3: from the day of a 7.1 termination nothing is pending; the Earnout Shares show
    as ended by the termination, so released + cancelled + pending + terminated = 75,000."""
    book.apply(*signed(), fact("AgreementTerminated", "2003-06-01", reason="deadline"))
    e = book.json(as_of)["earnout"]
    assert (e["pending_shares"], e["terminated_shares"]) == (pending, terminated)
    assert e["released_shares"] + e["cancelled_shares"] + e["pending_shares"] + e["terminated_shares"] == 75000
