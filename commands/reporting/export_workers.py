"""Working out the read model's rows of many agreements on every core (``apa-ledger export``).

An agreement's rows depend on its own events only, so a rebuild of a portfolio is
parallel by nature: worker processes each open the store themselves (SQLite readers,
or their own PostgreSQL connections), read an agreement's events by its id, work out
its rows (``projections.read_model``) and send them back as tuples in the read model's
column order. The exporting process only reads the notification log and writes: it
keeps the order of the pages and writes each page with its tracking position in one
transaction, exactly as when it works the rows out itself. Workers run a few pages
ahead of the writer, so neither waits for the other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from uuid import UUID

from commands import workers as pool_of
from commands.store.application import LedgerStore
from projections.versions import Versions, agreement_versions

Columns = dict[str, list[str]]
TupleRows = dict[str, list[tuple[Any, ...]]]

PARALLEL_FROM = 20_000
"""Notifications to export before working on more than one core pays for starting the workers."""
LOOKAHEAD = 4
"""Pages the workers may be ahead of the writer (bounds the rows held in memory)."""


@dataclass(frozen=True)
class Page:
    """The notifications of one transaction of the read model: its last id and its agreements
    (store ids, in order of first notification) with how many notifications each has here."""

    last_id: int
    agreements: dict[UUID, int]


def tuple_rows(tables: dict[str, list[dict[str, Any]]], columns: Columns) -> TupleRows:
    """Each table's rows as tuples in the table's column order (what ``executemany`` takes)."""
    return {table: list(map(itemgetter(*names), tables[table])) for table, names in columns.items() if table in tables}


def rows_of(
    store: LedgerStore, originator: UUID, columns: Columns, new: int | None = None, seen: int | None = None
) -> tuple[str, Versions]:
    """One agreement's new read model rows, read from the store by its id: ``seen`` of its events
    held by the model, or (by default) all but its ``new`` last ones (all: none held)."""
    events = store.events_of(originator)
    agreement_id = events[0].agreement_id
    if seen is None:
        seen = 0 if new is None else max(0, len(events) - new)
    versions = agreement_versions(agreement_id, events, seen)
    versions.tables = tuple_rows(versions.tables, columns)
    return agreement_id, versions


def worker_count(pending: int) -> int:
    """Every core for a large export; none (work in the exporting process) for a small one."""
    return pool_of.worker_count(pending, PARALLEL_FROM)


def in_process(store: LedgerStore, columns: Columns, pages: Iterable[Page]) -> Iterator[tuple[Page, list[Any]]]:
    """Each page with its agreements' rows, worked out here."""
    for page in pages:
        yield page, [rows_of(store, originator, columns, new) for originator, new in page.agreements.items()]


def in_workers(
    store: LedgerStore, columns: Columns, pages: Iterable[Page], workers: int
) -> Iterator[tuple[Page, list[Any]]]:
    """Each page with its agreements' rows, worked out by ``workers`` processes, in page order."""
    with pool_of.store_pool(store, workers, columns=columns) as pool:
        ahead: deque[tuple[Page, list[Future[Any]]]] = deque()
        for page in pages:
            ahead.append((page, [pool.submit(_rows, originator, new) for originator, new in page.agreements.items()]))
            if len(ahead) > LOOKAHEAD:
                done, futures = ahead.popleft()
                yield done, [future.result() for future in futures]
        while ahead:
            done, futures = ahead.popleft()
            yield done, [future.result() for future in futures]


def _rows(originator: UUID, new: int) -> tuple[str, Versions]:
    state = pool_of.worker_state()
    return rows_of(state["store"], originator, state["columns"], new)
