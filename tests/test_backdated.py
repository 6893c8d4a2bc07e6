"""readings 9: state as of any date, back-dated facts, corrections, and what they may not break."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.ledger import OneAgreement, claim, closed, fact, margin, reference_bp, resolve


def test_state_before_between_and_after_events(book: OneAgreement) -> None:
    """1.4, 1.5: the state on each date shows only what had occurred by then."""
    book.apply(*closed("2003-04-10"), claim("C1", "2003-06-01", "30000.00"), resolve("C1", "2003-08-01", "30000.00"))
    states = {
        on: book.json(on) for on in ("2002-12-05", "2002-12-06", "2003-04-09", "2003-04-10", "2003-07-01", "2003-08-01")
    }
    assert [states[d]["status"] for d in states] == ["signed", "signed", "signed", "closed", "closed", "closed"]
    assert (
        states["2002-12-05"]["effective_date"] is None and states["2002-12-06"]["escrow"]["deposited_shares"] == 25000
    )
    assert states["2003-07-01"]["claims"][0]["status"] == "pending"
    assert states["2003-07-01"]["escrow"]["reserved_shares"] == 3000
    assert states["2003-08-01"]["escrow"]["surrendered_shares"] == 3000


def test_claim_resolved_earlier_than_a_recorded_one_tips_the_allowance_back_in_time(book: OneAgreement) -> None:
    """8.1(b)-(c): C2 (27,500) is recorded first; C1 (15,000) is learned later but resolved
    earlier. The fold takes them in date order: 4,250 shares as of 2004-03-01, and the derived
    SharesSurrendered events are topped up so that they add up to the state."""
    book.apply(*closed(), claim("C1", "2003-06-01", "15000.00"), claim("C2", "2004-01-15", "30000.00"))
    book.apply(resolve("C2", "2004-03-01", "27500.00"))
    learned_at = book.clock.now
    assert book.state("2004-03-01").escrow.surrendered_shares == 2750
    book.apply(resolve("C1", "2003-07-01", "15000.00"))
    assert book.state("2004-03-01").escrow.surrendered_shares == 4250
    assert book.state("2004-03-01", known_at=learned_at).escrow.surrendered_shares == 2750
    surrendered = sum(e.shares for e in book.events() if e.type == "SharesSurrendered")
    assert surrendered == 4250


def test_corrected_gross_margin_supersedes_and_the_old_figure_stays_known(book: OneAgreement) -> None:
    """Gross Margin, 1.5(b): a later report for the same month supersedes the earlier one;
    `known_at` before the correction still shows the original settlement."""
    book.apply(*closed(), *reference_bp())
    first = book.state("2004-03-30").earnout.bp_event
    known = book.clock.now
    book.apply(margin("2003-08", "85000.00", on="2004-03-15"))
    corrected = book.state("2004-03-30").earnout.bp_event
    assert first is not None and corrected is not None
    assert first.settlement_shares == 28436
    assert corrected.settlement_shares != first.settlement_shares
    assert book.state("2004-03-30", known_at=known).earnout.bp_event.settlement_shares == 28436  # type: ignore[union-attr]
    assert book.state("2004-03-14").earnout.bp_event.assumed_margin_total == first.assumed_margin_total  # type: ignore[union-attr]


def test_back_dated_claim_that_would_overdraw_a_recorded_release_is_rejected(book: OneAgreement) -> None:
    """8.1(c), readings 5: a release of 20,000 is recorded on 2004-01-01; a claim for $100,000
    asserted 2003-12-01, learned later, would reserve 10,000 shares and leave only 15,000
    available then - so it is refused, naming the release it would invalidate."""
    book.apply(*closed(), fact("EscrowReleased", "2004-01-01", shares=20000))
    count = len(book.events())
    with pytest.raises(RuleViolation, match="would invalidate the recorded EscrowReleased") as err:
        book.apply(claim("C9", "2003-12-01", "100000.00"))
    assert err.value.clause == "8.1(c)" and len(book.events()) == count
    book.apply(claim("C9", "2003-12-01", "50000.00"))  # reserves 5,000: exactly 20,000 available


def test_back_dated_bp_event_stops_later_installments(book: OneAgreement) -> None:
    """1.5(b): a BP Event learned late still governs from its own date."""
    book.apply(*closed())
    assert book.state("2003-12-31").earnout.released_shares == 58928
    book.apply(fact("BPEventDeclared", "2003-09-15", clause="a"))
    assert book.state("2003-12-31").earnout.released_shares == 42857


def test_retracted_bp_event_no_longer_counts(book: OneAgreement) -> None:
    """Ledger correction: a retracted event is left out from its retraction's recording on."""
    book.apply(*closed())
    outcome = book.apply(fact("BPEventDeclared", "2003-09-15", clause="a"))
    position = outcome.appended[0].position
    book.apply(fact("EventRetracted", "2003-09-20", event_id=position, reason="declared in error"))
    state = book.state("2003-12-31").earnout
    assert (state.bp_event, state.released_shares) == (None, 58928)


def test_back_dated_second_bp_event_before_the_recorded_one_is_rejected(book: OneAgreement) -> None:
    """BP Event: there is one; an earlier-dated second one would invalidate the recorded one."""
    book.apply(*closed(), fact("BPEventDeclared", "2003-09-15", clause="a"))
    with pytest.raises(RuleViolation, match="would invalidate the recorded BPEventDeclared"):
        book.apply(fact("BPEventDeclared", "2003-06-15", clause="b"))
