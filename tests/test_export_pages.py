"""`apa-ledger export` pages: an agreement is worked out once however its notifications fall
across pages or interleave with other agreements', and the read model is the same whatever the
page size (exactly-once tracking kept, an interrupted export resumed with nothing missed)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import commands.reporting.export as export_module
import commands.reporting.export_workers as export_workers
from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.reporting.export import TABLES, export
from tests.clirun import APA_LEDGER
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


def _interleaved(tmp_path: Path) -> Any:
    """Three agreements recorded in turns, a batch each at a time, as clerks record a portfolio."""
    ledger = new_ledger(tmp_path / "interleaved.sqlite")
    for other in ("APA-2", "APA-3"):
        register_agreement(ledger.store, other)
    batches = [
        list(closed("2003-04-10")),
        [margin("2003-01", "100000.00"), claim("C1", "2003-05-01", "60000.00")],
        [resolve("C1", "2003-06-01", "55000.00"), fact("PaymentDue", "2003-07-01", payment_id="P1", amount="1.00")],
    ]
    for batch in batches:
        for agreement_id in ("APA", "APA-2", "APA-3"):
            apply_facts(ledger.store, agreement_id, parse_jsonl(to_jsonl(*batch)))
    return ledger


@pytest.mark.parametrize(
    ("recorded", "page"),
    [("one agreement after another", 12), ("interleaved", 4)],
    ids=["split-by-a-page", "interleaved"],
)
def test_each_agreement_is_worked_out_once_however_its_notifications_fall(
    recorded: str, page: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reporting read model: with 12 notifications a page (an agreement is 9), two of three
    agreements recorded one after another straddle a page end; with 4 a page, three agreements
    recorded in turns are in every page. Either way each agreement is worked out once, not once
    per page, and the tables and the tracking equal a one-page export."""
    ledger = _portfolio(tmp_path) if recorded == "one agreement after another" else _interleaved(tmp_path)
    export(ledger.store, str(tmp_path / "whole.sqlite"))
    computed: list[str] = []
    real = export_workers.agreement_versions

    def counting(agreement_id: str, events: list[Any], seen: int = 0) -> Any:
        computed.append(agreement_id)
        return real(agreement_id, events, seen)

    monkeypatch.setattr(export_module, "PAGE", page)
    monkeypatch.setattr(export_workers, "agreement_versions", counting)
    counts: list[int] = []
    result = export(ledger.store, str(tmp_path / "paged.sqlite"), progress=counts.append)
    assert sorted(computed) == ["APA", "APA-2", "APA-3"]
    assert result.notifications == sum(counts) == ledger.store.recorder.max_notification_id()
    assert _dump(tmp_path / "paged.sqlite") == _dump(tmp_path / "whole.sqlite")


def test_an_interrupted_export_resumes_from_its_last_commit_and_misses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reporting read model: a first export of an interleaved log interrupted after its first
    transaction leaves no model (issue 18: old or new), only the file beside it holding the rows
    of the first agreement and, as its position, the notification before the next agreement's
    first (every notification up to it is that agreement's or earlier); the next export resumes
    there and ends with the tables of an uninterrupted one."""
    ledger = _interleaved(tmp_path)
    export(ledger.store, str(tmp_path / "whole.sqlite"))
    monkeypatch.setattr(export_module, "PAGE", 1)
    real = export_module.ReadModelView.replace_agreements
    calls: list[int] = []

    def interrupted_second(view: Any, tables: Any, tracking: Any) -> None:
        calls.append(tracking.notification_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(view, tables, tracking)

    monkeypatch.setattr(export_module.ReadModelView, "replace_agreements", interrupted_second)
    with pytest.raises(KeyboardInterrupt):
        export(ledger.store, str(tmp_path / "paged.sqlite"))
    assert not (tmp_path / "paged.sqlite").exists()
    partial = _dump(tmp_path / "paged.exporting.sqlite")
    apa_2_first = min(n for n, o in ledger.store.recorder.select_originators(0, 100) if o != _originator(ledger))
    assert [row[1] for row in partial["tracking"] if row[0] == "LedgerStore"] == [apa_2_first - 1]
    assert {row[0] for row in partial["agreements"]} == {"APA"}
    monkeypatch.setattr(export_module.ReadModelView, "replace_agreements", real)
    resumed = export(ledger.store, str(tmp_path / "paged.sqlite"))
    assert resumed.agreements == 3  # APA again (it has notifications after the position), and the others
    assert _dump(tmp_path / "paged.sqlite") == _dump(tmp_path / "whole.sqlite")
    assert not any("exporting" in p.name for p in tmp_path.iterdir())
    assert _indexes(tmp_path / "paged.sqlite") == _indexes(tmp_path / "whole.sqlite") == _INDEX_NAMES


_INDEX_NAMES = {statement.split()[5] for statement in export_module.INDEXES}


def _indexes(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    return {name for (name,) in rows} - {"tracking_pkey"}


def test_a_rebuilt_read_model_has_the_dashboards_indexes(tmp_path: Path) -> None:
    """Reporting read model: a rebuild writes its tables first and creates the indexes the
    dashboards' "as of" queries use once they are full; an incremental export keeps them."""
    ledger = _interleaved(tmp_path)
    path = str(tmp_path / "model.sqlite")
    export(ledger.store, path, rebuild=True)
    assert _indexes(Path(path)) == _INDEX_NAMES
    apply_facts(ledger.store, "APA-2", parse_jsonl(to_jsonl(claim("C2", "2003-08-01", "1000.00"))))
    assert export(ledger.store, path).agreements == 1
    assert _indexes(Path(path)) == _INDEX_NAMES


def _originator(ledger: Any) -> Any:
    return ledger.store.recorder.select_originators(0, 1)[0][1]


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


@pytest.mark.parametrize("cores", [1, 2, 8])
def test_a_large_export_uses_every_core_and_a_small_one_none(cores: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting workers pays only for a large export (``PARALLEL_FROM`` notifications) on a
    machine with more than one core; on one core the export works in its own process."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert export_workers.worker_count(export_workers.PARALLEL_FROM - 1) == 0
    assert export_workers.worker_count(export_workers.PARALLEL_FROM) == (cores if cores > 1 else 0)


def _grow(ledger: Any) -> None:
    """What the store learns after the first export: a claim on APA-2 and a new agreement."""
    apply_facts(ledger.store, "APA-2", parse_jsonl(to_jsonl(claim("C2", "2003-08-01", "1000.00"))))
    register_agreement(ledger.store, "APA-4")
    apply_facts(ledger.store, "APA-4", parse_jsonl(to_jsonl(*closed("2003-03-01"))))


def test_a_rebuild_is_swapped_in_whole_under_a_dashboards_open_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reporting read model: `export --rebuild` of an existing file writes the new model beside
    it and copies it over in one transaction, so a dashboard's connection, kept open as
    Datasette keeps it, reads the old model throughout the rebuild and the whole new one
    after it, with nothing left beside."""
    ledger = _interleaved(tmp_path)
    path = tmp_path / "model.sqlite"
    export(ledger.store, str(path))
    dashboard = sqlite3.connect(path)
    agreements = "SELECT agreement_id FROM agreements ORDER BY 1"
    assert [a for (a,) in dashboard.execute(agreements)] == ["APA", "APA-2", "APA-3"]
    _grow(ledger)
    real_swap = export_module.swap_in
    seen_during: list[list[str]] = []

    def watched(source: Path, target: Path) -> None:
        seen_during.append([a for (a,) in dashboard.execute(agreements)])
        assert source.name == "model.rebuilding.sqlite" and source.exists()
        real_swap(source, target)

    monkeypatch.setattr(export_module, "swap_in", watched)
    result = export(ledger.store, str(path), rebuild=True)
    assert (result.path, result.agreements) == (str(path), 4)
    assert seen_during == [["APA", "APA-2", "APA-3"]]
    assert [a for (a,) in dashboard.execute(agreements)] == ["APA", "APA-2", "APA-3", "APA-4"]
    assert dashboard.execute("SELECT count(*) FROM claims WHERE claim_id = 'C2'").fetchone() == (1,)
    dashboard.close()
    export(ledger.store, str(tmp_path / "fresh.sqlite"))
    assert _dump(path) == _dump(tmp_path / "fresh.sqlite")
    assert _indexes(path) == _INDEX_NAMES
    assert not any("rebuilding" in p.name for p in tmp_path.iterdir())


def test_a_rebuild_cut_off_leaves_the_old_read_model_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reporting read model: a rebuild that fails part-way (here: the disk fills on its first
    transaction) leaves the existing model and its position untouched; the next rebuild
    replaces it."""
    ledger = _interleaved(tmp_path)
    path = tmp_path / "model.sqlite"
    export(ledger.store, str(path))
    before = _dump(path)
    _grow(ledger)

    def full_disk(view: Any, tables: Any, tracking: Any) -> None:
        raise OSError("disk full")

    real = export_module.ReadModelView.replace_agreements
    monkeypatch.setattr(export_module.ReadModelView, "replace_agreements", full_disk)
    with pytest.raises(OSError):
        export(ledger.store, str(path), rebuild=True)
    assert _dump(path) == before
    assert not any("rebuilding" in p.name for p in tmp_path.iterdir())  # the half-built model is gone
    monkeypatch.setattr(export_module.ReadModelView, "replace_agreements", real)
    assert export(ledger.store, str(path), rebuild=True).agreements == 4
    export(ledger.store, str(tmp_path / "fresh.sqlite"))
    assert _dump(path) == _dump(tmp_path / "fresh.sqlite")


def test_a_rebuild_replaces_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    """Reporting read model: a damaged file (not SQLite at all) is what `--rebuild` is for: it
    is replaced by the whole model."""
    ledger = _interleaved(tmp_path)
    path = tmp_path / "model.sqlite"
    path.write_bytes(b"this is not a database, it was overwritten by mistake\n" * 200)
    assert export(ledger.store, str(path), rebuild=True).agreements == 3
    export(ledger.store, str(tmp_path / "fresh.sqlite"))
    assert _dump(path) == _dump(tmp_path / "fresh.sqlite")


def test_a_second_export_of_one_read_model_waits_for_the_first(tmp_path: Path) -> None:
    """Reporting read model: while an export holds the read model (here: this test, through the
    same lock), an `apa-ledger export` process says it is waiting and writes nothing; once the
    first lets go, it exports, exit 0 (two at once used to end in the tracking table's
    IntegrityError)."""
    ledger = _interleaved(tmp_path)
    path = tmp_path / "model.sqlite"
    command = [APA_LEDGER, "--store", str(ledger.path), "export", "--to", str(path), "--workers", "0"]
    with export_module.one_export_at_a_time(path):
        second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert second.stderr is not None
        assert second.stderr.readline() == f"waiting for another export of {path} to finish ...\n"
        time.sleep(0.2)
        assert second.poll() is None and not path.exists()  # still waiting, nothing written
    out, err = second.communicate(timeout=60)
    events = ledger.store.recorder.max_notification_id()
    assert second.returncode == 0 and err == ""
    assert out == f"exported {events} new events (3 agreements recomputed) to {path}, position {events}\n"
    export(ledger.store, str(tmp_path / "alone.sqlite"))
    assert _dump(path) == _dump(tmp_path / "alone.sqlite")


def test_an_incremental_export_cut_off_after_its_first_page_leaves_the_model_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reporting read model (issue 18, old or new): an export into an existing model writes all
    its pages in one transaction, so one that fails on its second page leaves the model and its
    position as they were; the next export brings it up to date."""
    ledger = _interleaved(tmp_path)
    path = tmp_path / "model.sqlite"
    export(ledger.store, str(path))
    before = _dump(path)
    _grow(ledger)
    monkeypatch.setattr(export_module, "PAGE", 1)
    real = export_module.write_rows
    calls: list[int] = []

    def failing_second(db: Any, tables: Any) -> None:
        calls.append(len(tables))
        if len(calls) == 2:
            raise OSError("disk full")
        real(db, tables)

    monkeypatch.setattr(export_module, "write_rows", failing_second)
    with pytest.raises(OSError):
        export(ledger.store, str(path))
    assert _dump(path) == before
    monkeypatch.setattr(export_module, "write_rows", real)
    assert export(ledger.store, str(path)).agreements == 2
    export(ledger.store, str(tmp_path / "fresh.sqlite"))
    assert _dump(path)["agreements"] == _dump(tmp_path / "fresh.sqlite")["agreements"]
