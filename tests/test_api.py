"""The Python API (commands/api.py): the CLI's thin layer underneath, with the CLI's models and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from commands.api import Ledger
from domain.errors import RuleViolation, StoreError
from tests.clirun import run_cli, stored_count
from tests.ledger import claim, closed, fact, reference_bp, resolve, to_jsonl

ROOT = Path(__file__).resolve().parent.parent
HISTORY = [
    *closed(),
    *reference_bp(),
    claim("C1", "2004-01-15", "40000", ["2.14"]),
    resolve("C1", "2004-02-20", "30000"),
]


@pytest.fixture
def opened(tmp_path: Path) -> Ledger:
    ledger = Ledger.open(tmp_path / "api.sqlite")
    ledger.register("APA")
    ledger.apply("APA", HISTORY)
    return ledger


def test_the_example_script_runs_and_prints_the_state(tmp_path: Path) -> None:
    """examples/python_api.py, as a user runs it: state, explanation, a refusal, verify."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python_api.py"), str(tmp_path / "example.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "closed 4000 40000.00",
        "8.1(c), readings 5",
        "refused: line 1: ClaimResolved on 2004-03-01: no claim C9 has been asserted by this date (8.3)",
        "verified 1 agreement, 5 events: hash chains intact, replay clean",
    ]


def test_opening_for_reading_creates_no_store(tmp_path: Path) -> None:
    """Reading a store that is not there says so and leaves nothing behind."""
    path = tmp_path / "absent.sqlite"
    ledger = Ledger.open(path)
    for read in (lambda: ledger.state("APA"), ledger.agreement_ids, ledger.verify, lambda: ledger.history("APA")):
        with pytest.raises(StoreError, match="no store at"):
            read()
    assert not path.exists()


def test_state_is_the_model_state_json_prints(opened: Ledger, tmp_path: Path, capsys) -> None:
    """1.5(b), 8.1(c): the API's state and `state --json` are one model, figure for figure."""
    shown = run_cli(capsys, "--store", str(tmp_path / "api.sqlite"), "state", "APA", "--as-of", "2004-03-31", "--json")
    assert json.loads(shown.out) == opened.state("APA", as_of="2004-03-31").model_dump(mode="json")


def test_a_rejected_batch_raises_the_cli_error_and_appends_nothing(opened: Ledger, tmp_path: Path, capsys) -> None:
    """8.3: a claim resolved that was never asserted; the API and `apply` give the same line."""
    bad = [fact("EscrowReleased", "2004-05-01", shares=100), resolve("C9", "2004-05-02", "1")]
    before = stored_count(tmp_path / "api.sqlite")
    with pytest.raises(RuleViolation) as refused:
        opened.apply("APA", bad)
    (tmp_path / "bad.jsonl").write_bytes(to_jsonl(*bad))
    shown = run_cli(capsys, "--store", str(tmp_path / "api.sqlite"), "apply", "APA", str(tmp_path / "bad.jsonl"))
    assert shown.err == f"apa-ledger: {refused.value}\n"
    assert "line 2:" in str(refused.value) and stored_count(tmp_path / "api.sqlite") == before


def test_facts_may_be_events_from_another_ledgers_history(opened: Ledger, tmp_path: Path) -> None:
    """A copy made from the events' facts states the same figures (derived events derived again)."""
    copy = Ledger.open(tmp_path / "copy.sqlite")
    copy.register("APA")
    facts = [e for e in opened.history("APA")[1:] if not e.derived]
    copy.apply("APA", facts)
    assert copy.state("APA", "2005-01-01") == opened.state("APA", "2005-01-01").model_copy()


def test_history_bounds_both_times(opened: Ledger) -> None:
    """readings 9: as_of bounds occurred_on, known_at bounds recorded_at."""
    events = opened.history("APA")
    assert [e.position for e in opened.history("APA", as_of="2003-04-09")] == [1, 2, 3, 5]  # Closing the 10th
    assert [e.position for e in opened.history("APA", as_of="2003-04-10")] == [1, 2, 3, 4, 5]
    assert opened.history("APA", known_at=events[0].recorded_at) == [events[0]]


def test_applying_the_same_facts_again_appends_nothing(opened: Ledger) -> None:
    again = opened.apply("APA", HISTORY)
    assert again.appended == () and again.already_applied == (2, len(opened.events("APA")))


def test_verify_explain_diff_and_export(opened: Ledger, tmp_path: Path) -> None:
    assert opened.verify().ok
    assert opened.explain("APA", "escrow.surrendered_shares", as_of="2004-03-01").clause.startswith("8.1(c)")
    known = opened.events("APA")[-1].recorded_at
    opened.apply("APA", [claim("C2", "2004-02-25", "5000", ["2.7"])])  # recorded later, back-dated
    impact = opened.diff("APA", known, as_of="2004-03-01")
    assert [c.position for c in impact.causes] == [len(opened.events("APA"))]
    assert "indemnity.buyer.pending_losses" in [c.figure for c in impact.changes]
    assert opened.export(str(tmp_path / "model.sqlite")).agreements == 1
