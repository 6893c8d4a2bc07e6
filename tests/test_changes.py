"""The read model's timeline, worked out part by part (``projections.changes``), gives exactly the
rows of the whole state built at every change point (``tests/reference_read_model.py``).

DESIGN "Two times" and issue 4: every table of the read model, on the benchmark portfolio's
rich histories (a BP Event, 20 claims, deliveries, payments, a retraction), on the oracle's
histories, on the JSONL scenarios and on random histories (issue 6's strategies).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts
from commands.importer import parse_jsonl
from projections.read_model import agreement_tables
from tests.histories import HISTORIES, History
from tests.ledger import new_ledger
from tests.reference_read_model import reference_tables
from tests.strategies import candidate_facts, valid_history

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.jsonl"))


def _same_tables(events: list) -> None:
    fast, reference = agreement_tables("A", events), reference_tables("A", events)
    for table in reference:
        assert fast[table] == reference[table], table


@pytest.mark.parametrize("index", range(6))
def test_the_tables_of_a_portfolio_history_match_the_whole_state_at_every_point(tmp_path: Path, index: int) -> None:
    """1.5(b)-(c), 7.3, 8.1-8.6: with a BP Event (0, 3) and without, 20 claims, surrenders,
    deliveries tracked against the schedule, payments and a retraction."""
    ledger = new_ledger(tmp_path / "p.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(jsonl(history(index))))
    _same_tables(ledger.events())


@pytest.mark.parametrize("case", HISTORIES, ids=[h.name for h in HISTORIES])
def test_the_tables_of_each_oracle_history_match(tmp_path: Path, case: History) -> None:
    """Closing before and after 2003, BP Events (a)-(c), Deemed Events, claims both ways, 2.11."""
    ledger = new_ledger(tmp_path / "h.sqlite")
    ledger.apply(*case.facts)
    _same_tables(ledger.events())


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_tables_of_each_scenario_match(tmp_path: Path, path: Path) -> None:
    ledger = new_ledger(tmp_path / "s.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(path.read_bytes()))
    _same_tables(ledger.events())


@given(candidates=candidate_facts())
def test_the_tables_of_random_histories_match(candidates) -> None:
    """Back-dated arrivals, terminations, deemed events, retractions, 8.6 payments, 4.7 and
    8.3(b) reimbursements: whatever the history, the same rows."""
    _same_tables(list(valid_history(candidates).agreement.events))
