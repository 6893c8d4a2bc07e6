"""The library's SQLite application recorder, with the two statements the ledger runs most made cheaper.

Selected through eventsourcing's own ``APPLICATION_RECORDER_TOPIC`` setting, so the
table, the transactions, the notification log and the conflict detection (the
primary key on agreement and position) are still the library's.

- ``_insert_events`` writes a batch with one ``executemany`` instead of one ``execute``
  an event: the row ids are the run ending at ``last_insert_rowid()``, because the batch
  is written inside one write transaction, which holds SQLite's only write lock, so no
  other row can take an id in between.
- ``select_events`` rows are plain tuples of the three columns still needed, with the one
  ``UUID`` that was asked for reused, because every row of one query has it (no
  ``sqlite3.Row`` and no UUID parsed a row); ``select_rows`` returns those tuples as they
  are, for ``LedgerStore.load``, which decodes them without a ``StoredEvent`` per row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from commands.store import waiting
from commands.store.recorder_sql import select_params, select_tail
from domain.errors import StoreError


def _stored_id(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """``SQLiteApplicationRecorder`` with a batched insert and a lighter ``select_events``."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert (one transaction), tried again while another process holds the
        write lock, up to ``waiting.write_timeout()``: SQLite's busy handler waits
        ``waiting.LOCK_POLL`` seconds at each try, so the writer can say once that it waits."""
        deadline = timeout = None
        while True:
            try:
                return super().insert_events(stored_events, **kwargs)
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            if deadline is None or timeout is None:
                timeout = waiting.write_timeout()
                deadline = time.monotonic() + timeout - waiting.LOCK_POLL
                waiting.notice(f"the store is locked by another process; waiting up to {timeout:g} s")
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"the store stayed locked by another process for {timeout:g} s "
                    f"(${waiting.WRITE_TIMEOUT_ENV}); nothing was appended",
                    "store",
                )

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [(_stored_id(s.originator_id), s.originator_version, s.topic, s.state) for s in stored_events],
        )
        c.execute("SELECT last_insert_rowid()")
        last = c.fetchone()[0]
        return list(range(last - len(stored_events) + 1, last + 1))

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        ident = originator_id if isinstance(originator_id, UUID) else self.convert_originator_id(originator_id)
        rows = self.select_rows(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return [StoredEvent(ident, version, topic, state) for version, topic, state in rows]

    def select_originators(self, start: int, limit: int) -> list[tuple[int, UUID]]:
        """The notification log after ``start``: each notification's id and originator, nothing
        more (``select_notifications`` without the stored state; the read model's paging)."""
        statement = f"SELECT rowid, originator_id FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?"
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [start, limit])
            return [(row[0], UUID(row[1])) for row in c.fetchall()]

    def select_positions(self, start: int, limit: int) -> list[tuple[int, UUID, int]]:
        """The notification log after ``start``: each notification's id, originator and position
        (``verify``'s check of the whole log: no row of an unregistered agreement, none out of order)."""
        statement = (
            f"SELECT rowid, originator_id, originator_version FROM {self.events_table_name} "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [start, limit])
            return [(row[0], UUID(row[1]), row[2]) for row in c.fetchall()]

    def select_rows(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[tuple[int, str, bytes]]:
        """``select_events`` as (position, topic, state) rows: what ``LedgerStore.load`` decodes."""
        statement = (
            f"SELECT originator_version, topic, state FROM {self.events_table_name} WHERE originator_id=?"
            + select_tail(gt, lte, desc, limit, "?")
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, select_params(_stored_id(originator_id), gt, lte, limit))
            return c.fetchall()  # type: ignore[no-any-return]
