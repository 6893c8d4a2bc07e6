"""End-to-end histories under tests/scenarios/: each NAME.jsonl is replayed through the CLI
(`new`, `apply`, `state --json`) and compared key by key with NAME.expected.json, whose
figures were worked out from the agreement's text (tests/oracle.py), not by the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.expected.json"))


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every key of ``expected`` whose value differs in ``actual`` (extra keys in actual are fine)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [d for key, value in expected.items() for d in differences(value, actual.get(key), f"{where}.{key}")]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


@pytest.mark.parametrize("expected_file", SCENARIOS, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_scenario_replays_to_the_expected_figures(
    expected_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1.5(b)-(c), 8.1(b)-(c): every expected figure, at every date listed, from `state --json`."""
    expected = json.loads(expected_file.read_text())
    history = expected_file.with_name(expected_file.name.replace(".expected.json", ".jsonl"))
    store, agreement = str(tmp_path / "s.sqlite"), expected["agreement_id"]
    assert run(capsys, "--store", store, "new", agreement)[0] == 0
    code, _, err = run(capsys, "--store", store, "apply", agreement, str(history))
    assert code == 0, err
    for as_of, figures in expected["as_of"].items():
        out = run(capsys, "--store", store, "state", agreement, "--as-of", as_of, "--json")[1]
        assert differences(figures, json.loads(out)) == [], f"{history.name} as of {as_of}"
