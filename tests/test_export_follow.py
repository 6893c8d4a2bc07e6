"""`apa-ledger export --follow` (issue 16.3): the read model kept current while another process
appends, on SQLite (a poll of the log's head) and PostgreSQL (the library's LISTEN/NOTIFY),
until SIGINT or SIGTERM ends it with one line and exit 0; what it leaves is the model a
rebuild writes, and a follow killed outright leaves a model the next export resumes."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from commands.reporting.export import TABLES
from tests.clirun import APA_LEDGER, run_process, write_jsonl
from tests.ledger import claim, closed

SECONDS = 5.0
"""How long a row may take to appear (the goal is under one; the machine is shared)."""


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table but the tracking table (a model exported in rounds pages it differently)."""
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def _claim_cents(db: Path, claim_id: str) -> int | None:
    """The claim's amount in the model as known now, or None while it is not there."""
    if not db.exists():
        return None
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT amount_cents FROM claims WHERE claim_id = ? AND recorded_to IS NULL AND valid_to IS NULL",
            [claim_id],
        ).fetchone()
    return None if row is None else int(row[0])


def _start(store: str, model: Path, *extra: str) -> subprocess.Popen[str]:
    command = [APA_LEDGER, "--store", store, "export", "--to", str(model), "--follow", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()  # once the model is exported and the signals are handled
    assert line.startswith("following: "), (line, process.communicate())
    return process


def _wait_for(db: Path, claim_id: str) -> tuple[int, float]:
    """(the claim's cents, seconds it took to appear); fails after ``SECONDS``."""
    started = time.monotonic()
    while (cents := _claim_cents(db, claim_id)) is None:
        assert time.monotonic() - started < SECONDS, f"{claim_id} not in the model after {SECONDS} s"
        time.sleep(0.02)
    return cents, time.monotonic() - started


def _state_cents(store: str, claim_id: str) -> int:
    shown = run_process("--store", store, "state", "APA", "--as-of", "2003-12-31", "--json")
    assert shown.code == 0, shown.err
    amount = next(c["amount"] for c in json.loads(shown.out)["claims"] if c["claim_id"] == claim_id)
    return int(Decimal(amount) * 100)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_follow_exports_each_batch_another_process_applies_and_stops_on_a_signal_with_one_line(
    empty_store_url: str, tmp_path: Path, stop: signal.Signals
) -> None:
    """8.3 claims, as applied by another process while `export --follow` runs: each appears in
    the model within seconds with the figure `state --json` shows; SIGINT or SIGTERM ends the
    follow with exit 0 and one line, and the model is the one a rebuild writes."""
    store = empty_store_url
    assert run_process("--store", store, "new", "APA").code == 0
    assert run_process("--store", store, "apply", "APA", write_jsonl(tmp_path / "c.jsonl", closed())).code == 0
    model = tmp_path / "live.sqlite"
    process = _start(store, model)
    try:
        for claim_id, on, amount in [("C1", "2003-06-02", "60000.00"), ("C2", "2003-07-01", "1234.56")]:
            facts = write_jsonl(tmp_path / f"{claim_id}.jsonl", [claim(claim_id, on, amount)])
            applied = run_process("--store", store, "apply", "APA", facts)
            assert applied.code == 0, applied.err
            cents, _ = _wait_for(model, claim_id)
            assert cents == _state_cents(store, claim_id) == int(Decimal(amount) * 100)
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.splitlines()[-1].startswith(f"stopped following on {stop.name}: ") and "Traceback" not in err
    assert out.splitlines()[-1].endswith("is whole at position 6; run again to resume")
    rebuilt = tmp_path / "rebuilt.sqlite"
    assert run_process("--store", store, "export", "--to", str(rebuilt)).code == 0
    assert _dump(model) == _dump(rebuilt)
    again = run_process("--store", store, "export", "--to", str(model))
    assert "exported 0 new events" in again.out, again.err


@pytest.mark.sqlite_only
def test_a_killed_follow_leaves_a_model_the_next_follow_resumes(empty_store_url: str, tmp_path: Path) -> None:
    """8.3: SIGKILL, not a signal it can handle, while batches arrive: the model is still one
    whole export, and the next `export --follow` brings it to what a rebuild writes."""
    store = empty_store_url
    assert run_process("--store", store, "new", "APA").code == 0
    assert run_process("--store", store, "apply", "APA", write_jsonl(tmp_path / "c.jsonl", closed())).code == 0
    model = tmp_path / "live.sqlite"
    process = _start(store, model, "--interval", "0.05")
    for index in range(6):
        facts = write_jsonl(tmp_path / f"{index}.jsonl", [claim(f"C{index}", "2003-06-02", f"{1000 + index}.00")])
        assert run_process("--store", store, "apply", "APA", facts).code == 0
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    resumed = _start(store, model)
    try:
        _wait_for(model, "C5")
    finally:
        resumed.send_signal(signal.SIGINT)
        resumed.communicate(timeout=30)
    assert resumed.returncode == 0
    rebuilt = tmp_path / "rebuilt.sqlite"
    assert run_process("--store", store, "export", "--to", str(rebuilt)).code == 0
    assert _dump(model) == _dump(rebuilt)


def test_follow_needs_a_file_not_stdout(tmp_path: Path) -> None:
    """--follow keeps a file current: with --out - it is refused with one line, exit 2."""
    store = str(tmp_path / "store.sqlite")
    assert run_process("--store", store, "new", "APA").code == 0
    refused = run_process("--store", store, "export", "--out", "-", "--follow")
    assert refused.code == 2 and refused.out == ""
    assert refused.err.strip() == "apa-ledger: --follow keeps a read model file current; give it --out FILE, not -"


@pytest.mark.postgres
def test_a_postgresql_follow_wakes_on_notify_not_on_its_interval(tmp_path: Path) -> None:
    """8.3 claim applied to a PostgreSQL store while a follow waits with --interval 30: the row
    is in the model long before the interval ends, because the append's NOTIFY wakes it."""
    from tests.postgres import fresh_schema

    with fresh_schema() as store:
        assert run_process("--store", store, "new", "APA").code == 0
        assert run_process("--store", store, "apply", "APA", write_jsonl(tmp_path / "c.jsonl", closed())).code == 0
        model = tmp_path / "live.sqlite"
        process = _start(store, model, "--interval", "30")
        try:
            time.sleep(0.5)  # the follow is in its wait, not in the round after its first export
            facts = write_jsonl(tmp_path / "C1.jsonl", [claim("C1", "2003-06-02", "60000.00")])
            assert run_process("--store", store, "apply", "APA", facts).code == 0
            _, seconds = _wait_for(model, "C1")
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=30)
        assert process.returncode == 0 and seconds < SECONDS < 30
