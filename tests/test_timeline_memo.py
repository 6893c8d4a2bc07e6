"""The state reuses its unchanged parts between change points (``Facts.recall``): the figures
must be exactly those of a fresh projection, and the memo must stay bounded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from projections.ledger import fold
from projections.state import project, state_of
from projections.timeline import change_points
from tests.ledger import new_ledger


def _events(tmp_path: Path, index: int) -> list:
    ledger = new_ledger(tmp_path / f"memo-{index}.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(jsonl(history(index))))
    return ledger.events()


def test_every_change_point_of_a_rich_history_is_a_fresh_projection(tmp_path: Path) -> None:
    """1.5(b)-(c), 7.3, 8.1-8.6: with a BP Event (index 0) and without (index 1), 20 claims
    revised and resolved or withdrawn, surrenders, payments, releases and a retraction, the
    state at each change point equals ``project(events, day)`` computed from scratch."""
    for index in (0, 1):
        events = _events(tmp_path, index)
        points = list(change_points(events))
        assert len(points) > 100
        for day, state in points:
            assert state == project(events, day)


def test_the_memo_keeps_one_entry_per_part_and_reuses_it(tmp_path: Path) -> None:
    """However many dates are asked of one fold, the memo holds one result per part; and a
    part whose inputs did not change between two dates is the result computed before (the
    same object), not worked out again."""
    ledger = fold(_events(tmp_path, 0))
    states = [state_of(ledger, date.fromordinal(date(2003, 1, 1).toordinal() + n)) for n in range(0, 2000, 7)]
    parts = {
        "installments",
        "bp-months",
        "bp-event",
        "release-schedule",
        "citing",
        "claims",
        "survival-bounds",
        "survival",
        "as-of-free",
    }
    assert set(ledger.facts.memo) == parts
    before, after = states[-2], states[-1]  # 2008: nothing changes between these two dates
    assert after.earnout.bp_event is before.earnout.bp_event
    assert after.earnout.schedule[0] is before.earnout.schedule[0]
    assert (after.escrow, after.indemnity, after.offset) == (before.escrow, before.indemnity, before.offset)
    assert after.escrow is before.escrow and after.indemnity is before.indemnity and after.offset is before.offset
    assert all(a is b for a, b in zip(after.claims, before.claims, strict=True))
    assert all(a is b for a, b in zip(after.survival, before.survival, strict=True))
