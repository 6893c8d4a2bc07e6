"""The ledger's side of each benchmark: append, replay, point-in-time, whole-process CLI."""

from __future__ import annotations

import compileall
import statistics
import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from commands.handlers import apply_facts, register_agreement
from commands.idempotency import read_batch
from commands.store.application import LedgerStore
from projections.ledger import fold
from projections.state import project

AS_OF = date(2004, 6, 30)


def append(store: LedgerStore, batches: Sequence[tuple[str, bytes]]) -> tuple[float, int]:
    """`apa-ledger apply ID FILE` in process, one JSON Lines batch per agreement: read it (strict
    parse, batch id), check every fact against the rules, derive, seal the hash chain and
    append in one transaction (``read_batch`` and ``apply_facts``, what the command runs).

    The issue measures "events/s through `apply` batches": each agreement is registered
    first (`apa-ledger new`, its own command and transaction), outside the timing, and
    only the events the batches append are counted. (seconds, events appended)"""
    elapsed, events = 0.0, 0
    for agreement_id, data in batches:
        register_agreement(store, agreement_id)
        start = time.perf_counter()
        drafts, batch = read_batch(data)
        outcome = apply_facts(store, agreement_id, drafts, batch=batch)
        elapsed += time.perf_counter() - start
        events += len(outcome.appended)
    return elapsed, events


def import_portfolio(store: LedgerStore, directory: Path, workers: int) -> tuple[float, int]:
    """`apa-ledger import DIR --workers N` in process: the same batches, one file per agreement,
    applied by ``workers`` processes at once (each its own connection and transactions), as
    several clerks or a bulk load on every core apply them. The agreements are registered
    first, outside the timing, as for ``append``; the workers' start is timed.
    (seconds, events appended)"""
    from commands.portfolio.import_files import agreement_files, import_files

    files = agreement_files([str(directory)])
    for file in files:
        register_agreement(store, file.agreement_id)
    start = time.perf_counter()
    outcomes = import_files(store, files, workers=workers)
    elapsed = time.perf_counter() - start
    if any(outcome.error for outcome in outcomes):
        raise RuntimeError(next(outcome.error for outcome in outcomes if outcome.error))
    return elapsed, sum(outcome.appended for outcome in outcomes)


def replay(store: LedgerStore) -> tuple[float, int, int]:
    """Rebuild every agreement from the store, as a read model rebuild does: the agreements from
    the notification log, then each one's events read by its id, decoded through the store's
    mapper and folded (the checked fold of projections.ledger). (seconds, events, anomalies).

    Agreement by agreement keeps memory bounded: holding all 150,000 decoded events at once
    made the garbage collector's full passes cost a third of the time (profiled)."""
    start = time.perf_counter()
    count = anomalies = 0
    for agreement_id in store.agreement_ids():
        events = store.load(agreement_id).events
        count += len(events)
        anomalies += len(fold(events, remember=False).anomalies)
    return time.perf_counter() - start, count, anomalies


def rebuild_read_model(store: LedgerStore, path: Path, workers: int | None) -> tuple[float, int, int, int]:
    """`apa-ledger export --to PATH --rebuild` in process: the reporting read model rebuilt from
    scratch (every agreement's state timeline, claims, survival, obligations, schedule, escrow
    movements and events written to SQLite), by ``workers`` processes (None: as `export`
    chooses, 0: in this one). (seconds, notifications, agreements, workers used)."""
    from commands.reporting.export import export
    from commands.reporting.export_workers import worker_count

    used = worker_count(store.recorder.max_notification_id() or 0) if workers is None else workers
    start = time.perf_counter()
    result = export(store, str(path), rebuild=True, workers=used)
    return time.perf_counter() - start, result.notifications, result.agreements, used


LATE_BATCH = (
    b'{"type": "GrossMarginReported", "occurred_on": "2005-06-01", "month": "2004-02", "amount": "101000.00"}\n'
)
"""One late revision of a month's Gross Margin (1.5(b)): a batch any portfolio agreement accepts."""


def incremental_export(store: LedgerStore, path: Path, agreement_id: str, runs: int) -> dict[str, float]:
    """`apa-ledger apply` of one small batch to one agreement, then `apa-ledger export --to PATH`
    into the existing read model (ms of the export only): the agreement's new version worked out,
    the rows it changed ended and its new rows inserted, the position advanced, in one
    transaction. Each run appends one more batch (a new revision each time, so none is
    recognised as applied before)."""
    from commands.reporting.export import export

    times = []
    for run in range(runs):
        drafts, batch = read_batch(LATE_BATCH.replace(b"101000.00", f"{101000 + run}.00".encode()))
        apply_facts(store, agreement_id, drafts, batch=batch)
        start = time.perf_counter()
        result = export(store, str(path), workers=0)
        times.append((time.perf_counter() - start) * 1000)
        if result.agreements != 1:
            raise RuntimeError(f"an export of one batch worked out {result.agreements} agreements")
    return summary(times)


def rows_by_recordings(facts: Sequence[dict[str, object]], sizes: Sequence[int], runs: int) -> dict[str, object]:
    """One agreement's read model rows (``projections.versions.agreement_versions``, what a rebuild
    works out for it) when its facts were recorded in one batch and in batches of each of
    ``sizes`` facts, in order (so each recording changes the rows from its own dates on): ms
    (p50) and the recordings, in memory, checked by the ledger's planner as `apply` checks them."""
    from commands.handlers import plan
    from commands.parsing import draft_from_mapping
    from domain.agreement import Agreement, register
    from domain.terms import Terms
    from projections.versions import agreement_versions

    out: dict[str, object] = {}
    for size in (len(facts), *sizes):
        event = register("APA", Terms(), datetime(2026, 1, 1, tzinfo=UTC))
        agreement = Agreement(id=event.originator_id, agreement_id="APA", events=(event,))
        for start in range(0, len(facts), size):
            drafts = [draft_from_mapping(f) for f in facts[start : start + size]]
            events = plan(agreement, drafts, agreement.events[-1].timestamp)
            agreement = agreement.model_copy(update={"events": (*agreement.events, *events)})
        history = list(agreement.events)
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            agreement_versions("APA", history)
            times.append((time.perf_counter() - begin) * 1000)
        recordings = len({e.timestamp for e in history})
        out[f"{size}_a_batch"] = {"events": len(history), "recordings": recordings, **summary(times)}
    return out


def point_in_time(store: LedgerStore, agreement_id: str, runs: int, as_of: date = AS_OF) -> dict[str, float]:
    """`state` in process: read one agreement's events and project them as of a date (ms)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        project(store.load(agreement_id).events, as_of)
        times.append((time.perf_counter() - start) * 1000)
    return summary(times)


def point_in_time_by_size(
    stores: dict[int, LedgerStore], agreement_id: str, runs: int, as_of: date = AS_OF
) -> dict[str, dict[str, float]]:
    """``point_in_time`` of one agreement in stores of different sizes (agreements -> store), the
    runs taken in turn, so that the machine's drift over minutes weighs on every size alike."""
    times: dict[int, list[float]] = {size: [] for size in stores}
    for _ in range(runs):
        for size, store in stores.items():
            start = time.perf_counter()
            project(store.load(agreement_id).events, as_of)
            times[size].append((time.perf_counter() - start) * 1000)
    return {f"{size}_agreements": summary(ms) for size, ms in times.items()}


def summary(times_ms: list[float]) -> dict[str, float]:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3), "runs": len(ordered)}


def cli_state(store_url: str, agreement_id: str, runs: int) -> dict[str, float]:
    """Whole-process time of `apa-ledger state ID --json` (median of ``runs``), with the project's
    modules compiled first, as pip compiles an installed package's: under PYTHONDONTWRITEBYTECODE
    (set on this project's machines) an editable install compiles them from source every run."""
    root = Path(__file__).resolve().parent.parent
    for package in ("domain", "projections", "commands"):
        compileall.compile_dir(root / package, quiet=1)
    exe = Path(__import__("sys").executable).with_name("apa-ledger")
    command = [str(exe), "--store", store_url, "state", agreement_id, "--as-of", AS_OF.isoformat(), "--json"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3), "runs": runs}


def follow_lag(store: LedgerStore, store_url: str, path: Path, agreement_id: str, runs: int) -> dict[str, float]:
    """`apa-ledger export --to PATH --follow` running in its own process while this one applies
    one small batch at a time: ms from ``apply_facts`` returning to the agreement's new event
    row being visible to a reader of the model (the lag a dashboard sees). The follow polls a
    SQLite store every 0.2 s (its default) and wakes on NOTIFY from a PostgreSQL one."""
    import signal
    import sqlite3

    exe = Path(__import__("sys").executable).with_name("apa-ledger")
    command = [str(exe), "--store", store_url, "export", "--to", str(path), "--follow", "--workers", "0"]
    follower = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    times = []
    try:
        assert follower.stderr is not None
        line = follower.stderr.readline()  # the model is current and the follow is waiting
        if not line.startswith("following: "):
            raise RuntimeError(f"export --follow did not start: {line.strip()}")
        model = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        count = "SELECT count(*) FROM events WHERE agreement_id = ?"
        for run in range(runs):
            seen = model.execute(count, [agreement_id]).fetchone()[0]
            drafts, batch = read_batch(LATE_BATCH.replace(b"101000.00", f"{102000 + run}.00".encode()))
            apply_facts(store, agreement_id, drafts, batch=batch)
            start = time.perf_counter()
            while model.execute(count, [agreement_id]).fetchone()[0] <= seen:
                if time.perf_counter() - start > 30:
                    raise RuntimeError("export --follow did not export a batch within 30 s")
                time.sleep(0.002)
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05 * (run % 4))  # batches at different moments of the follow's poll
        model.close()
    finally:
        follower.send_signal(signal.SIGINT)
        follower.communicate(timeout=60)
    return summary(times)
