"""`apa-ledger export` pages: an agreement split by a page boundary is recomputed once, and
the read model is the same whatever the page size (exactly-once tracking kept)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import commands.export as export_module
import commands.export_workers as export_workers
from benchmarks.portfolio import history, jsonl
from commands.export import TABLES, export
from commands.handlers import apply_facts, register_agreement
from commands.importer import parse_jsonl
from tests.ledger import claim, closed, fact, margin, new_ledger, resolve, to_jsonl


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in (*TABLES, "tracking")}


def _portfolio(tmp_path: Path) -> Any:
    ledger = new_ledger(tmp_path / "pages.sqlite")
    history = [
        *closed("2003-04-10"),
        margin("2003-01", "100000.00"),
        claim("C1", "2003-05-01", "60000.00"),
        resolve("C1", "2003-06-01", "55000.00"),
        fact("PaymentDue", "2003-07-01", payment_id="P1", amount="1000.00"),
    ]
    ledger.apply(*history)
    for other in ("APA-2", "APA-3"):
        register_agreement(ledger.store, other)
        apply_facts(ledger.store, other, parse_jsonl(to_jsonl(*history)))
    return ledger


def test_an_agreement_split_by_a_page_is_recomputed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reporting read model: with 12 notifications a page (an agreement is 9), two of the three
    runs straddle a page end; each agreement is still computed once, and the tables and the
    tracking equal a one-page export."""
    ledger = _portfolio(tmp_path)
    export(ledger.store, str(tmp_path / "whole.sqlite"))
    computed: list[str] = []
    real = export_workers.agreement_tables

    def counting(agreement_id: str, events: list[Any]) -> dict[str, Any]:
        computed.append(agreement_id)
        return real(agreement_id, events)

    monkeypatch.setattr(export_module, "PAGE", 12)
    monkeypatch.setattr(export_workers, "agreement_tables", counting)
    counts: list[int] = []
    result = export(ledger.store, str(tmp_path / "paged.sqlite"), progress=counts.append)
    assert sorted(computed) == ["APA", "APA-2", "APA-3"]
    assert result.notifications == sum(counts) == ledger.store.recorder.max_notification_id()
    assert _dump(tmp_path / "paged.sqlite") == _dump(tmp_path / "whole.sqlite")


def test_a_page_of_one_agreement_is_kept_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reporting read model: a page that is one agreement's run throughout still advances."""
    ledger = _portfolio(tmp_path)
    monkeypatch.setattr(export_module, "PAGE", 2)
    result = export(ledger.store, str(tmp_path / "tiny.sqlite"))
    assert result.position == ledger.store.recorder.max_notification_id()
    assert result.agreements == 3


def test_worker_processes_write_the_same_read_model(ledger: Any, tmp_path: Path) -> None:
    """Reporting read model, on both stores: rows worked out by two worker processes (each
    opening the store itself) are written exactly as rows worked out in the exporting process,
    pages and tracking included; a later export by either resumes where the other stopped."""
    for other, index in (("APA-2", 0), ("APA-3", 1)):
        register_agreement(ledger.store, other)
        apply_facts(ledger.store, other, parse_jsonl(jsonl(history(index))))
    ledger.apply(*closed("2003-04-10"), claim("C1", "2003-05-01", "60000.00"))
    here = export(ledger.store, str(tmp_path / "here.sqlite"), workers=0)
    there = export(ledger.store, str(tmp_path / "there.sqlite"), workers=2)
    assert (here.notifications, here.agreements, here.position) == (there.notifications, 3, there.position)
    assert _dump(tmp_path / "there.sqlite") == _dump(tmp_path / "here.sqlite")
    ledger.apply(resolve("C1", "2003-06-01", "55000.00"))
    assert export(ledger.store, str(tmp_path / "there.sqlite"), workers=0).agreements == 1
    assert export(ledger.store, str(tmp_path / "here.sqlite"), workers=2).agreements == 1
    assert _dump(tmp_path / "there.sqlite") == _dump(tmp_path / "here.sqlite")


def test_a_large_export_uses_every_core_and_a_small_one_none() -> None:
    """Starting workers pays only for a large export (``PARALLEL_FROM`` notifications)."""
    assert export_workers.worker_count(export_workers.PARALLEL_FROM - 1) == 0
    assert export_workers.worker_count(export_workers.PARALLEL_FROM) in (0, os.cpu_count())
