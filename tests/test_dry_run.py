"""What-if (issue 3.4): `apply --dry-run` validates a file and shows the resulting state,
or with --diff what it would change, and appends nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clirun import one_clear_line, run_cli, stored_count
from tests.ledger import OneAgreement, claim, closed, fact, reference_bp, resolve, to_jsonl


@pytest.fixture
def settled(book: OneAgreement) -> OneAgreement:
    book.apply(*closed(), *reference_bp())
    return book


def batch(tmp_path: Path, *facts: dict) -> str:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(to_jsonl(*facts))
    return str(path)


def test_dry_run_shows_the_state_on_the_files_latest_date_and_appends_nothing(
    settled: OneAgreement, tmp_path, capsys
) -> None:
    """8.1(c): a claim resolved at 40,000 on 2004-03-01 would surrender 4,000 escrow shares;
    the state shown is as of the file's latest occurred_on; the store is untouched."""
    before = stored_count(settled.path)
    file = batch(tmp_path, claim("C1", "2004-01-15", "40000"), resolve("C1", "2004-03-01", "40000"))
    run = run_cli(capsys, "--store", str(settled.path), "apply", "APA", file, "--dry-run", "--json")
    assert run.code == 0, run.err
    state = json.loads(run.out)
    assert state["as_of"] == "2004-03-01"
    assert (state["escrow"]["surrendered_shares"], state["escrow"]["balance_shares"]) == (4000, 21000)
    assert "would append 3 events to APA (through position 16)" in run.err
    assert stored_count(settled.path) == before


def test_dry_run_as_of_chooses_the_date_shown(settled: OneAgreement, tmp_path, capsys) -> None:
    """--as-of: the day before the resolution nothing is surrendered, 4,000 are reserved."""
    file = batch(tmp_path, claim("C1", "2004-01-15", "40000"), resolve("C1", "2004-03-01", "40000"))
    run = run_cli(capsys, "--store", str(settled.path), "apply", "APA", file, "--dry-run", "--as-of", "2004-02-29")
    assert run.code == 0, run.err
    assert "would append 3 events" in run.out
    assert "as of 2004-02-29" in run.out
    assert "reserved for pending claims" in run.out and " 4000   [8.1(c), readings 5]" in run.out


def test_dry_run_diff_lists_what_the_file_would_change(settled: OneAgreement, tmp_path, capsys) -> None:
    """A late margin revision (September 2003 to 100,000) would raise M from 28,436 to
    29,758 and cut the cancellation and the price reduction accordingly."""
    file = batch(tmp_path, fact("GrossMarginReported", "2004-04-15", month="2003-09", amount="100000.00"))
    args = ("--store", str(settled.path), "apply", "APA", file, "--dry-run", "--diff")
    text = run_cli(capsys, *args).out
    assert "State on 2004-04-15: current vs after this batch" in text
    assert "earnout.bp_event.settlement_shares" in text and "28436 -> 29758" in text
    data = json.loads(run_cli(capsys, *args, "--json").out)
    found = {c["figure"]: (c["old"], c["new"]) for c in data["changes"]}
    assert found["purchase_price.reduction"] == ("37070.00", "23850.00")
    assert found["earnout.cancelled_shares"] == (3707, 2385)
    same = run_cli(capsys, *args, "--as-of", "2004-04-14").out
    assert "no figure differs" in same


def test_dry_run_of_a_rejected_file_exits_2_and_appends_nothing(settled: OneAgreement, tmp_path, capsys) -> None:
    """7.3 / 8.3: a file with a bad line is rejected as a whole, dry run or not."""
    before = stored_count(settled.path)
    file = batch(tmp_path, claim("C1", "2004-01-15", "40000"), resolve("C9", "2004-03-01", "1"))
    run = run_cli(capsys, "--store", str(settled.path), "apply", "APA", file, "--dry-run", "--diff")
    assert one_clear_line(run) and "line 2" in run.err and "no claim C9" in run.err
    assert stored_count(settled.path) == before


@pytest.mark.parametrize("option", [("--diff",), ("--as-of", "2004-01-01"), ("--json",)])
def test_what_if_options_need_dry_run(settled: OneAgreement, tmp_path, capsys, option: tuple[str, ...]) -> None:
    before = stored_count(settled.path)
    file = batch(tmp_path, claim("C1", "2004-01-15", "40000"))
    run = run_cli(capsys, "--store", str(settled.path), "apply", "APA", file, *option)
    assert one_clear_line(run) and "--dry-run" in run.err
    assert stored_count(settled.path) == before
