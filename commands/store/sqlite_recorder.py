"""The library's SQLite application recorder, with its append and the read the ledger runs most its own.

Selected through eventsourcing's own ``APPLICATION_RECORDER_TOPIC`` setting, so the
table, the transactions, the notification log and the conflict detection (the
primary key on agreement and position) are still the library's; no private method of the
library is overridden (eventsourcing's own recorder test cases hold it to the library's
contract: tests/test_library_recorder_cases.py).

- ``insert_events`` writes a batch and the store chain's seal rows in one of the library's
  write transactions (``datastore.transaction``), the rows with one ``executemany``: the row
  ids are the run ending at ``last_insert_rowid()``, because that transaction holds SQLite's
  only write lock, so no other row can take an id in between.
- ``select_events`` rows are plain tuples of the three columns still needed, with the one
  ``UUID`` that was asked for reused, because every row of one query has it (no
  ``sqlite3.Row`` and no UUID parsed a row); ``select_rows`` returns those tuples as they
  are, for ``LedgerStore.load``, which decodes them without a ``StoredEvent`` per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from commands.store import waiting
from commands.store.recorder_sql import select_params, select_tail
from commands.store.seals import SUFFIX, Seal, Tail, chained


def locked(exc: Exception) -> bool:
    """Whether ``exc`` is SQLite's answer to a write while another connection holds the write
    lock (its busy handler gave up after ``waiting.LOCK_POLL`` seconds)."""
    return isinstance(exc, OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _stored_id(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """``SQLiteApplicationRecorder`` with a batched insert and a lighter ``select_events``, and
    the store chain's seal rows written in each append's transaction (``commands.store.seals``)."""

    signing_key: bytes | None = None  # set by ``open_store`` from $APA_LEDGER_SIGNING_KEY
    key_id = ""
    seals_ready = False

    @property
    def seals_table(self) -> str:
        return self.events_table_name + SUFFIX

    def _create_seals(self, c: SQLiteCursor) -> None:
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {self.seals_table} (seq INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "position INTEGER NOT NULL, count INTEGER NOT NULL, hash TEXT NOT NULL, prev TEXT NOT NULL, "
            "seal TEXT NOT NULL, db_user TEXT, key_id TEXT NOT NULL)"
        )
        self.seals_ready = True

    def _has_seals(self, c: SQLiteCursor) -> bool:
        c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [self.seals_table])
        return c.fetchone() is not None

    @waiting.while_locked(locked)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The batch in one of the library's write transactions, tried again while another process
        holds the write lock (``waiting.while_locked``): SQLite's busy handler waits
        ``waiting.LOCK_POLL`` seconds at each try, so the writer can say once that it waits."""
        with self.datastore.transaction(commit=True) as c:
            return self._append(c, stored_events, **kwargs)

    def _append(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], seals: Sequence[Tail] = (), **_: Any
    ) -> Sequence[int]:
        """The rows and their seals in the write transaction ``c``; the rows' notification ids."""
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [(_stored_id(s.originator_id), s.originator_version, s.topic, s.state) for s in stored_events],
        )
        c.execute("SELECT last_insert_rowid()")
        last = c.fetchone()[0]
        if seals:  # the store chain, in this same write transaction (SQLite's one write lock)
            if not self.seals_ready:
                self._create_seals(c)
            c.execute(f"SELECT seq, seal FROM {self.seals_table} ORDER BY seq DESC LIMIT 1")
            head = c.fetchone()
            rows = chained(None if head is None else (head[0], head[1]), seals, None, self.signing_key, self.key_id)
            c.executemany(
                f"INSERT INTO {self.seals_table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.seq, r.originator_id.hex, r.position, r.count, r.hash, r.prev, r.seal, None, r.key_id)
                    for r in rows
                ],
            )
        return list(range(last - len(stored_events) + 1, last + 1))

    def select_seals(self) -> list[Seal]:
        """Every row of the store chain, in order (none in a store made before it)."""
        with self.datastore.transaction(commit=False) as c:
            if not self._has_seals(c):
                return []
            c.execute(f"SELECT * FROM {self.seals_table} ORDER BY seq")
            return [Seal(r[0], UUID(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in c.fetchall()]

    def select_sealed_hashes(self, mapper: Any) -> list[tuple[int, str]]:
        """Each seal's sequence number and the hash of the event it names, as stored now."""
        statement = (
            f"SELECT s.seq, e.originator_id, e.originator_version, e.topic, e.state FROM {self.seals_table} s "
            f"JOIN {self.events_table_name} e "
            "ON e.originator_id = s.originator_id AND e.originator_version = s.position"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement)
            rows = c.fetchall()
        return [(seq, mapper.decode_row(UUID(o), v, topic, state).hash) for seq, o, v, topic, state in rows]

    def notification_of(self, originator_id: UUID, position: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE originator_id = ? AND originator_version = ?",
                [originator_id.hex, position],
            )
            row = c.fetchone()
            return None if row is None else int(row[0])

    def select_extents(self, before: int) -> list[tuple[UUID, int, int]]:
        """Each agreement's last position and its count of events logged before notification ``before``."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, max(originator_version), sum(rowid < ?) FROM {self.events_table_name} "
                "GROUP BY originator_id",
                [before],
            )
            return [(UUID(r[0]), r[1], r[2]) for r in c.fetchall()]

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
