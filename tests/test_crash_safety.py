"""Crash safety (issue 6; import format "all or nothing"): SIGKILL an `apa-ledger apply` of a
large batch at random moments; the store then holds all of the batch or none of it, verifies,
and the next apply works (and, thanks to idempotency, never applies the batch twice).
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from commands.audit import verify_store
from commands.store.application import open_store
from tests.clirun import APA_LEDGER, run_process, stored_count
from tests.ledger import closed, new_ledger

KILLS = 16
BASE = 4  # AgreementRegistered + closed()
MONTHS = ["2002-12", *(f"2003-{m:02d}" for m in range(1, 13)), "2004-01", "2004-02"]


def big_batch(claims: int = 800, margins: int = 2400) -> list[dict[str, object]]:
    """4,000 valid facts in date order (Gross Margin re-reports supersede; claims asserted, then withdrawn)."""
    facts: list[dict[str, object]] = [
        {"type": "GrossMarginReported", "occurred_on": "2004-03-05", "month": MONTHS[i % 15], "amount": f"{90000 + i}"}
        for i in range(margins)
    ]
    facts += [
        {"type": "ClaimAsserted", "occurred_on": "2004-03-06", "claim_id": f"K{i}", "claimant": "buyer",
         "sections": ["2.14"], "amount": "10.00"}
        for i in range(claims)
    ]  # fmt: skip
    facts += [{"type": "ClaimWithdrawn", "occurred_on": "2004-03-07", "claim_id": f"K{i}"} for i in range(claims)]
    return facts


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """(template store, batch file, events the batch appends)."""
    where = tmp_path_factory.mktemp("crash")
    template = where / "template.sqlite"
    ledger = new_ledger(template)
    ledger.apply(*closed())
    ledger.store.close()
    batch = where / "batch.jsonl"
    facts = big_batch()
    batch.write_text("\n".join(json.dumps(f) for f in facts))
    return template, batch, len(facts)


def apply_and_kill(store: str, batch: Path, delay: float) -> bool:
    """Start `apa-ledger apply`, SIGKILL it after ``delay`` seconds; True if it was still running."""
    process = subprocess.Popen(
        [APA_LEDGER, "--store", str(store), "apply", "APA", str(batch)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return alive


def test_sigkill_during_apply_leaves_all_or_nothing(scene: tuple[Path, Path, int], tmp_path: Path) -> None:
    """Import format, all or nothing: 16 SIGKILLs at random moments of a 4,000-fact apply; after each,
    the store holds 4 or 4 + 4,000 events, every chain verifies, and re-running the same apply
    completes the batch exactly once."""
    template, batch, size = scene
    started = time.monotonic()
    duration = min(_timed_apply(template, batch, tmp_path / f"timing{n}.sqlite") for n in range(2))
    rng = random.Random(20021206)
    outcomes = {"none": 0, "all": 0, "killed": 0}
    for i in range(KILLS):
        store = tmp_path / f"s{i}.sqlite"
        shutil.copy(template, store)
        killed = apply_and_kill(str(store), batch, rng.uniform(0.0, duration * 0.9))
        outcomes["killed"] += killed
        count = stored_count(store)
        assert count in (BASE, BASE + size), f"kill {i}: {count} events - a partial batch"
        outcomes["none" if count == BASE else "all"] += 1
        opened = open_store(str(store))
        ok, message = verify_store(opened)
        opened.close()
        assert ok, message
        again = run_process("--store", str(store), "apply", "APA", str(batch))
        assert again.code == 0, again.err
        assert again.out.startswith("already applied" if count > BASE else "appended"), again.out
        assert stored_count(store) == BASE + size
    last = run_process("--store", str(tmp_path / f"s{KILLS - 1}.sqlite"), "verify")
    assert last.code == 0 and "hash chains intact" in last.out
    print(f"\ncrash safety: {outcomes} in {time.monotonic() - started:.1f}s, full apply {duration:.2f}s")
    assert outcomes["killed"] >= KILLS // 2  # most kills landed while the writer was still running


def _timed_apply(template: Path, batch: Path, store: Path) -> float:
    """Seconds one whole apply takes. The kills are drawn within the quicker of two runs: a run
    slowed by a busy machine would put kills after the writer ended, which prove nothing."""
    shutil.copy(template, store)
    t0 = time.monotonic()
    assert run_process("--store", str(store), "apply", "APA", str(batch)).code == 0
    return time.monotonic() - t0


@pytest.mark.postgres
def test_sigkill_during_apply_to_postgres_leaves_all_or_nothing(scene: tuple[Path, Path, int]) -> None:
    """The same on PostgreSQL (4 kills): the server rolls back the killed client's transaction."""
    from tests.postgres import fresh_schema

    _, batch, size = scene
    rng = random.Random(2003_04_10)
    outcomes = {"none": 0, "all": 0, "killed": 0}
    for i in range(4):
        with fresh_schema() as url:
            ledger = new_ledger(Path("unused"), url=url)
            ledger.apply(*closed())
            ledger.store.close()
            outcomes["killed"] += apply_and_kill(url, batch, rng.uniform(0.3, 1.6))
            store = open_store(url)
            count = len(store.load("APA").events)
            ok, message = verify_store(store)
            store.close()
            assert count in (BASE, BASE + size), f"kill {i}: {count} events - a partial batch"
            assert ok, message
            outcomes["none" if count == BASE else "all"] += 1
            again = run_process("--store", url, "apply", "APA", str(batch))
            assert again.code == 0, again.err
            store = open_store(url)
            assert len(store.load("APA").events) == BASE + size
            store.close()
    print(f"\ncrash safety (postgres): {outcomes}")
