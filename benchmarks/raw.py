"""The baselines: the same stored JSON rows written and read with no ledger in between."""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any

import orjson

Row = tuple[Any, int, str, bytes]

RUNS = 3
"""Timings of each baseline; its median is the one reported. This machine's disk drifts: two
inserts of the same portfolio's rows minutes apart took 0.66 s and 1.10 s, and a ratio's
verdict should not hang on one draw of its denominator."""


def median_seconds(timed: Callable[[], float | tuple[float, int]], runs: int = RUNS) -> float:
    """The median of the seconds ``runs`` calls of ``timed`` measured (a scan's first value)."""
    measured = [timed() for _ in range(runs)]
    return statistics.median(m[0] if isinstance(m, tuple) else m for m in measured)


def sqlite_rows(path: str) -> list[Row]:
    """The rows the ledger stored (originator_id, position, topic, JSON state)."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()


def sqlite_insert(rows: list[Row], path: Path, per_batch: bool = False) -> float:
    """Seconds to insert ``rows`` into an events table like the library's, in one transaction
    (or, ``per_batch``, one committed transaction per agreement's run of rows, as appends are)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
        "PRIMARY KEY (originator_id, originator_version))"
    )
    start = time.perf_counter()
    for batch in _batches(rows) if per_batch else [rows]:
        with conn:
            conn.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", batch)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _batches(rows: list[Row]) -> list[list[Row]]:
    """The rows in runs of one agreement (notification order keeps each batch together)."""
    return [list(run) for _, run in groupby(rows, key=lambda row: row[0])]


DECODERS = {"json": json.loads, "orjson": orjson.loads}


def sqlite_scan(path: Path, decoder: str = "json") -> tuple[float, int]:
    """Seconds to SELECT every row and decode its JSON (stdlib json, or orjson); the number of rows."""
    loads = DECODERS[decoder]
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    count = 0
    for (state,) in conn.execute("SELECT state FROM stored_events ORDER BY rowid"):
        loads(state)
        count += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, count


def postgres_rows(conn: Any, schema: str) -> list[Row]:
    cur = conn.execute(
        f'SELECT originator_id, originator_version, topic, state FROM "{schema}".ledgerstore_events '
        "ORDER BY notification_id"
    )
    return [tuple(r) for r in cur.fetchall()]


def postgres_insert(conn: Any, schema: str, rows: list[Row], per_batch: bool = False) -> float:
    """As ``sqlite_insert``, into a table like the library's in the benchmark's schema."""
    conn.execute(f'DROP TABLE IF EXISTS "{schema}".raw_events')
    conn.execute(
        f'CREATE TABLE "{schema}".raw_events (originator_id uuid, originator_version bigint, topic text, '
        "state bytea, PRIMARY KEY (originator_id, originator_version))"
    )
    start = time.perf_counter()
    for batch in _batches(rows) if per_batch else [rows]:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(f'INSERT INTO "{schema}".raw_events VALUES (%s, %s, %s, %s)', batch)
    return time.perf_counter() - start


def postgres_scan(conn: Any, schema: str, decoder: str = "json") -> tuple[float, int]:
    loads = DECODERS[decoder]
    start = time.perf_counter()
    count = 0
    with conn.cursor() as cur:
        cur.execute(f'SELECT state FROM "{schema}".raw_events')
        for (state,) in cur:
            loads(state)
            count += 1
    return time.perf_counter() - start, count


def read_model_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a rebuilt read model, table by table."""
    from commands.reporting.export import TABLES

    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}


def read_model_insert(rows: dict[str, list[tuple[Any, ...]]], path: Path) -> float:
    """Seconds to insert ``rows`` into an empty copy of the read model's schema (its tables, the
    same pragmas) with one bare ``executemany`` per table, then create its indexes, in one
    transaction: the least any rebuild of this read model can spend writing it."""
    from commands.reporting.export import DDL, INDEXES

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-65536")
    for statement in DDL:
        conn.execute(statement)
    start = time.perf_counter()
    conn.execute("BEGIN")
    for table, values in rows.items():
        if values:
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
    for statement in INDEXES:
        conn.execute(statement)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed
