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


def test_the_memo_keeps_one_entry_per_part(tmp_path: Path) -> None:
    """However many dates are asked of one fold, the memo holds one result per part."""
    ledger = fold(_events(tmp_path, 0))
    for offset in range(0, 2000, 7):
        state_of(ledger, date.fromordinal(date(2003, 1, 1).toordinal() + offset))
    parts = {
        "installments",
        "bp-months",
        "bp-event",
        "release-schedule",
        "citing",
        "claims",
        "survival-bounds",
        "survival",
    }
    assert set(ledger.facts.memo) <= parts | {"as-of-free"}
