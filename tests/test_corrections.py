"""Corrections without edits (issue 3.2): a later report supersedes, a retraction removes.

readings 9: nothing is ever deleted or edited. A revised Gross Margin is a later
report for the same month that supersedes the earlier one from its recording on; a
mistaken event is retracted by a later EventRetracted {event_id, reason}, which acts from
its own recording on. A retraction that would leave a recorded fact invalid is rejected.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from domain.errors import RuleViolation
from tests.ledger import OneAgreement, claim, closed, fact, margin, reference_bp, resolve

A = 32143  # reference figures: 75,000 - floor(75,000 x 8 / 14)
D = sum(Fraction(90000) * Fraction(97, 100) ** i for i in range(1, 7))  # 1.5(b) D, exact
ACTUAL = 430000  # September 2003 - February 2004 as first reported


def m_for(actual: int) -> int:
    """1.5(b): M = floor(A x min(actual, D) / D), worked out here without the ledger."""
    return int(A * min(Fraction(actual), D) / D)


def retract(position: int, on: str = "2004-06-01", reason: str = "entered in error") -> dict:
    return fact("EventRetracted", on, event_id=position, reason=reason)


def recorded(book: OneAgreement, moment: str, *facts: dict) -> datetime:
    """Apply ``facts`` with the store clock set to ``moment``; return their recorded_at."""
    book.clock.set(moment)
    return book.apply(*facts).appended[0].recorded_at


def position_of(book: OneAgreement, kind: str, **match: object) -> int:
    return next(
        e.position for e in book.events() if e.type == kind and all(getattr(e, k) == v for k, v in match.items())
    )


@pytest.fixture
def settled(book: OneAgreement) -> OneAgreement:
    """The reference BP Event (docs/readings.md), all recorded on 2026-02-01."""
    recorded(book, "2026-02-01T00:00:00Z", *closed(), *reference_bp())
    return book


def test_margin_corrected_after_settlement_month_supersedes_from_its_recording(settled: OneAgreement) -> None:
    """Gross Margin, 1.5(b): September 2003 revised from 80,000 to 100,000 on 2004-04-15,
    recorded 2026-03-01. As known before: M = 28,436 on every date. As known after: the
    revised figure governs from the report's date (N = 450,000, M recomputed), the
    original before it; both reports stay in the history."""
    corrected = recorded(settled, "2026-03-01T00:00:00Z", margin("2003-09", "100000.00", on="2004-04-15"))
    before = corrected - timedelta(microseconds=1)
    assert m_for(ACTUAL) == 28436
    assert settled.state("2004-04-30", before).earnout.bp_event.settlement_shares == 28436
    assert settled.state("2004-04-14").earnout.bp_event.settlement_shares == 28436  # the day before the revision
    revised = settled.state("2004-04-15").earnout
    assert revised.bp_event.settlement_shares == m_for(ACTUAL + 20000) == 29758
    assert revised.cancelled_shares == A - 29758 == 2385
    assert settled.state("2004-04-15").purchase_price.reduction == 23850
    reports = [e for e in settled.events() if e.type == "GrossMarginReported" and e.month == "2003-09"]
    assert [str(r.amount) for r in reports] == ["80000.00", "100000.00"]


def test_revision_dated_before_the_original_report_still_supersedes_it(settled: OneAgreement) -> None:
    """A later recorded report governs even if it bears an earlier date (2003-10-04 against
    the original's 2003-10-05): it supersedes "from its recording on", not by its date."""
    recorded(settled, "2026-03-01T00:00:00Z", margin("2003-09", "90000.00", on="2003-10-04"))
    assert settled.state("2004-03-30").earnout.bp_event.settlement_shares == m_for(ACTUAL + 10000)
    assert settled.state("2003-10-04").earnout.bp_event.actual_margin_total == 90000
    assert settled.state("2003-10-05").earnout.bp_event.actual_margin_total == 90000


def test_retracting_the_revision_restores_the_original_report(settled: OneAgreement) -> None:
    """Ledger correction: retracting the revision brings back the report it superseded."""
    recorded(settled, "2026-03-01T00:00:00Z", margin("2003-09", "100000.00", on="2004-04-15"))
    revision = settled.events()[-1].position
    retracted_at = recorded(settled, "2026-04-01T00:00:00Z", retract(revision))
    assert settled.state("2004-04-30").earnout.bp_event.settlement_shares == 28436
    assert settled.state("2004-04-30", retracted_at - timedelta(seconds=1)).earnout.bp_event.settlement_shares == 29758


def test_retracted_claim_stops_reserving_from_the_retraction_on(book: OneAgreement) -> None:
    """8.1(c), readings 5: a pending claim reserves escrow shares; once retracted it reserves
    nothing - as known after the retraction, on every date - while the state as known
    before it still shows the reserve. The claim stays in the history."""
    recorded(book, "2026-02-01T00:00:00Z", *closed(), claim("C2", "2004-01-15", "30000"))
    c2 = position_of(book, "ClaimAsserted", claim_id="C2")
    retracted_at = recorded(book, "2026-03-01T00:00:00Z", retract(c2, reason="duplicate notice"))
    assert book.state("2004-03-31", retracted_at - timedelta(seconds=1)).escrow.reserved_shares == 3000
    now = book.state("2004-03-31")
    assert (now.escrow.reserved_shares, now.claims, now.indemnity.buyer.pending_losses) == (0, [], 0)
    assert [e.type for e in book.events()][-2:] == ["ClaimAsserted", "EventRetracted"]


def test_retracting_an_assertion_whose_claim_is_resolved_is_rejected(book: OneAgreement) -> None:
    """8.3: a resolved claim needs its assertion; the retraction is rejected naming the
    ClaimResolved it would invalidate, and nothing is appended."""
    recorded(
        book,
        "2026-02-01T00:00:00Z",
        *closed(),
        claim("C2", "2004-01-15", "30000"),
        resolve("C2", "2004-03-01", "27500"),
    )
    c2, count = position_of(book, "ClaimAsserted", claim_id="C2"), len(book.events())
    resolved = position_of(book, "ClaimResolved", claim_id="C2")
    with pytest.raises(RuleViolation, match=f"invalidate the recorded ClaimResolved at position {resolved}"):
        book.apply(retract(c2))
    assert len(book.events()) == count


def test_retracting_a_resolution_returns_the_surrendered_shares(book: OneAgreement) -> None:
    """8.1(c): retracting ClaimResolved undoes its surrender (the derived SharesSurrendered
    is recomputed by the fold, not retracted on its own); the claim is pending again."""
    recorded(
        book,
        "2026-02-01T00:00:00Z",
        *closed(),
        claim("C2", "2004-01-15", "30000"),
        resolve("C2", "2004-03-01", "27500"),
    )
    assert book.state("2004-03-31").escrow.surrendered_shares == 2750
    surrendered = position_of(book, "SharesSurrendered", claim_id="C2")
    with pytest.raises(RuleViolation, match="is derived; retract the ClaimResolved"):
        book.apply(retract(surrendered))
    recorded(book, "2026-03-01T00:00:00Z", retract(position_of(book, "ClaimResolved", claim_id="C2")))
    escrow = book.state("2004-03-31").escrow
    assert (escrow.surrendered_shares, escrow.balance_shares, escrow.reserved_shares) == (0, 25000, 3000)
    assert book.state("2004-03-31").claims[0].status == "pending"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (99, "there is no event at position 99"),
        (1, "AgreementRegistered event cannot be retracted"),
    ],
)
def test_retraction_of_a_missing_or_founding_event_is_rejected(book: OneAgreement, target: int, message: str) -> None:
    recorded(book, "2026-02-01T00:00:00Z", *closed())
    with pytest.raises(RuleViolation, match=message):
        book.apply(retract(target))


def test_a_retraction_is_final_and_happens_once(book: OneAgreement) -> None:
    """Ledger correction: a retraction cannot be retracted, nor a position retracted twice."""
    recorded(book, "2026-02-01T00:00:00Z", *closed(), claim("C2", "2004-01-15", "30000"))
    c2 = position_of(book, "ClaimAsserted", claim_id="C2")
    book.apply(retract(c2))
    with pytest.raises(RuleViolation, match="already retracted"):
        book.apply(retract(c2))
    with pytest.raises(RuleViolation, match="cannot itself be retracted"):
        book.apply(retract(book.events()[-1].position))


def test_a_retraction_that_would_break_a_later_fact_is_rejected(book: OneAgreement) -> None:
    """8.1(c): an escrow release made possible by a claim's resolution cannot survive the
    retraction of the deposit it drew on."""
    recorded(book, "2026-02-01T00:00:00Z", *closed(), fact("EscrowReleased", "2005-05-01", shares=25000))
    deposit = position_of(book, "EscrowDeposited")
    with pytest.raises(RuleViolation, match="invalidate the recorded EscrowReleased"):
        book.apply(retract(deposit))


def test_corrections_never_delete_or_update_stored_rows(settled: OneAgreement) -> None:
    """Nothing is ever deleted or updated: after a revision and a retraction every earlier
    row of stored_events is byte-for-byte what it was."""

    def rows() -> list[tuple]:
        with sqlite3.connect(settled.path) as db:
            return db.execute("SELECT originator_version, topic, state FROM stored_events ORDER BY 1").fetchall()

    before = rows()
    recorded(settled, "2026-03-01T00:00:00Z", margin("2003-09", "100000.00", on="2004-04-15"))
    recorded(settled, "2026-04-01T00:00:00Z", retract(settled.events()[-1].position))
    after = rows()
    assert after[: len(before)] == before and len(after) == len(before) + 2


R1, R2, R3, R4 = "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"


@pytest.fixture
def corrected(book: OneAgreement) -> OneAgreement:
    """R1: the reference BP Event and a buyer claim C1 (30,000, asserted 2003-11-01, pending).
    R2: GM September 2003 revised to 100,000 on 2004-04-15. R3: C1's assertion retracted.
    R4: a back-dated claim C2 (asserted 2004-01-15, resolved 2004-03-01 at 40,000)."""
    recorded(book, R1, *closed(), *reference_bp(), claim("C1", "2003-11-01", "30000"))
    recorded(book, R2, margin("2003-09", "100000.00", on="2004-04-15"))
    recorded(book, R3, retract(position_of(book, "ClaimAsserted", claim_id="C1"), reason="sent in error"))
    recorded(book, R4, claim("C2", "2004-01-15", "30000"), resolve("C2", "2004-03-01", "40000"))
    return book


@pytest.mark.parametrize(
    ("as_of", "known_at", "expected"),
    [
        # (M, reserved, surrendered) worked out by hand: reserve = floor(pending / 10) once above the
        # $25,000 Allowance (8.1(b)-(c)); surrender = floor(40,000 / 10); M from m_for().
        ("2004-03-31", R1, (m_for(ACTUAL), 3000, 0)),
        ("2004-04-30", R1, (m_for(ACTUAL), 3000, 0)),
        ("2004-03-31", R2, (m_for(ACTUAL), 3000, 0)),  # the revision is dated 2004-04-15
        ("2004-04-30", R2, (m_for(ACTUAL + 20000), 3000, 0)),
        ("2004-04-30", R3, (m_for(ACTUAL + 20000), 0, 0)),  # C1 retracted: reserves nothing
        ("2004-02-29", R3, (None, 0, 0)),  # February 2004's margin is reported 2004-03-05
        ("2004-02-29", R4, (None, 3000, 0)),  # C2 pending at 30,000 on that date
        ("2004-03-31", R4, (m_for(ACTUAL), 0, 4000)),
        ("2004-04-30", None, (m_for(ACTUAL + 20000), 0, 4000)),
    ],
)
def test_revision_retraction_and_late_claim_at_several_as_of_known_at_pairs(
    corrected: OneAgreement, as_of: str, known_at: str | None, expected: tuple
) -> None:
    """readings 9 over a history with all three kinds of correction; ``known_at`` is
    taken one second after each recording batch's clock setting (the batch is stamped +1 s)."""
    stamp = None if known_at is None else datetime.fromisoformat(known_at.replace("Z", "+00:00")) + timedelta(seconds=1)
    state = corrected.state(as_of, stamp)
    bp = state.earnout.bp_event
    assert (bp.settlement_shares, state.escrow.reserved_shares, state.escrow.surrendered_shares) == expected
