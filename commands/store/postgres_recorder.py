"""The library's PostgreSQL application recorder, with a lighter ``select_events`` and insert.

Selected through eventsourcing's ``APPLICATION_RECORDER_TOPIC`` (only when the store
is PostgreSQL, so psycopg stays an optional extra). The measurements behind each point are
in docs/benchmarks.md ("Profile notes").

- ``select_events`` rows are plain tuples of the three columns still needed, with the one
  originator id that was asked for reused, because every row of one query has it;
  ``select_rows`` returns those tuples as they are, for ``LedgerStore.load``.
- The insert passes one binary array per column (``INSERT ... SELECT FROM unnest(...)
  RETURNING notification_id``), because psycopg writes the library's array of a composite
  type as text, escaping every field of every row.
- ``insert_events`` calls a server-side function (``insert_function_sql``, created with the
  library's other DDL) in one autocommit statement, because the library's transaction
  takes three round trips a batch: the same ``EXCLUSIVE`` table lock held to the commit, so
  notification ids still commit in order, the same NOTIFY, the same ``lock_timeout``
  (``waiting.LOCK_POLL``, through ``postgres_env``: a lock another session holds is waited for
  in short tries, so the writer can say that it waits and give up in time). The library's own
  ``ENABLE_DB_FUNCTIONS`` function takes the composite-type array and takes no table
  lock, so it is not used. A store made before the function existed gets it at its
  first append; where the role may not create functions, appends take the library's
  transaction as before.
- Every connection of the pool starts with the session's ``lock_timeout`` set to the same
  ``waiting.LOCK_POLL`` (libpq's ``options``, no round trip), and every read is
  ``waiting.while_locked``: a read waits for a lock as an append does (another session's
  ``LOCK TABLE ... ACCESS EXCLUSIVE`` blocks even a SELECT, which would otherwise wait for
  ever), announced once, then one line. No ``statement_timeout`` is set: a lock wait is all
  a statement here can be held up by, and an append is one statement as long as its batch
  (``copy`` writes a whole store in one), which a time limit would refuse.

Of the library's private methods, only the ones that transaction reaches stay: its
``_insert_stored_events`` is overridden to write the seal rows under the table lock
(``_lock_table`` and ``_notify_channel`` are the library's own), and its ``insert_events``
is taken without its retry (``_LibraryInsertTriedOnce``), as are its ``select_notifications`` and
``max_notification_id`` (each under ``reads_wait_for_locks``); the reading of the inserted ids
is the library's (tuple rows saved little, on a path few appends take). pyproject pins
eventsourcing exactly for these, and tests/test_library_recorder_cases.py runs the
library's own recorder test cases against this recorder, both ways of appending.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import DatabaseError, InterfaceError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.errors import LockNotAvailable, UndefinedFunction
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from commands.store import waiting
from commands.store.recorder_sql import select_params, select_tail
from commands.store.seals import SUFFIX, Seal, Tail, chained
from domain.chain import GENESIS

HEAD_MOVED = "apa-ledger: the store head moved"


def lock_not_available(exc: Exception) -> bool:
    """Whether ``exc`` is the library's error for a statement that gave up waiting for a lock
    (``lock_timeout``): another session holds it, so the statement is tried again."""
    return isinstance(exc.__cause__, LockNotAvailable)


waits_for_locks = waiting.while_locked(lock_not_available)
"""An append that waits for another session's lock as announced, then gives up in one line."""

reads_wait_for_locks = waiting.while_locked(lock_not_available, outcome="the store was not changed")
"""A read that waits for another session's lock as announced, then gives up in one line."""


def session_options(datastore: PostgresDatastore) -> str:
    """libpq's ``options`` for every connection of the store's pool: ``$PGOPTIONS`` (which an
    explicit ``options`` would otherwise replace) and the session's ``lock_timeout``, so that no
    statement, a read's included, waits for a lock longer than one try (``waiting.LOCK_POLL``)."""
    own = f"-c lock_timeout={int(datastore.lock_timeout * 1000)}ms"
    return f"{os.environ.get('PGOPTIONS', '').strip()} {own}".strip()


def insert_function_name(events_table: str) -> str:
    """The server-side insert of ``events_table``, versioned: a new body gets a new name (v2:
    a ``lock_timeout`` of ``waiting.LOCK_POLL``, where v1 waited for the lock for ever; v3: the
    store chain's seal rows, ``commands.store.seals``)."""
    return f"{events_table}_insert_v3"


def seals_table_sql(datastore: PostgresDatastore, events_table: str) -> Composed:
    """The store chain's table; ``db_user`` is the server's ``current_user``, never the client's word."""
    return SQL(
        "CREATE TABLE IF NOT EXISTS {schema}.{seals} (seq bigint PRIMARY KEY, originator_id {id_type} NOT NULL, "
        "position bigint NOT NULL, count bigint NOT NULL, hash text NOT NULL, prev text NOT NULL, "
        "seal text NOT NULL, db_user text NOT NULL DEFAULT current_user, key_id text NOT NULL)"
    ).format(
        schema=Identifier(datastore.schema),
        seals=Identifier(events_table + SUFFIX),
        id_type=Identifier(datastore.originator_id_type),
    )


def insert_function_sql(datastore: PostgresDatastore, events_table: str) -> Composed:
    """``CREATE OR REPLACE FUNCTION`` of the one-statement insert: lock the table (EXCLUSIVE,
    as the library's ``_lock_table``: readers of the notification log never pass over ids
    that commit later), NOTIFY its channel, insert the columns' arrays, return the ids."""
    id_type = Identifier(datastore.originator_id_type)
    return SQL(
        "CREATE OR REPLACE FUNCTION {schema}.{function}("
        "ids {id_type}[], versions bigint[], topics text[], states bytea[], "
        "seqs bigint[], seal_ids {id_type}[], positions bigint[], counts bigint[], hashes text[], "
        "prevs text[], seals text[], key_ids text[]) "
        "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
        "BEGIN "
        "SET LOCAL lock_timeout = '{lock_timeout}s'; "
        "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
        "IF coalesce((SELECT seal FROM {schema}.{seals_table} ORDER BY seq DESC LIMIT 1), {genesis}) <> prevs[1] "
        "THEN RAISE EXCEPTION {moved}; END IF; "
        "NOTIFY {channel}; "
        "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
        "INSERT INTO {schema}.{seals_table} (seq, originator_id, position, count, hash, prev, seal, key_id) "
        "SELECT * FROM unnest(seqs, seal_ids, positions, counts, hashes, prevs, seals, key_ids); "
        "END; $BODY$"
    ).format(
        schema=Identifier(datastore.schema),
        function=Identifier(insert_function_name(events_table)),
        id_type=id_type,
        lock_timeout=datastore.lock_timeout,
        table=Identifier(events_table),
        seals_table=Identifier(events_table + SUFFIX),
        genesis=Literal(GENESIS),
        moved=Literal(HEAD_MOVED),
        channel=Identifier(events_table.replace(".", "_")),
    )


class _LibraryInsertTriedOnce(PostgresApplicationRecorder):
    """The library's insert without its own retry: ``LedgerPostgresRecorder.insert_events``
    retries it, and a lock is waited for by ``waiting.while_locked`` (the library's ten tries
    of ``lock_timeout`` each would make the wait ten times the one announced)."""

    insert_events = PostgresApplicationRecorder.insert_events.__wrapped__  # type: ignore[attr-defined]


class LedgerPostgresRecorder(_LibraryInsertTriedOnce):
    """``PostgresApplicationRecorder`` whose ``select_events`` returns tuples with one shared UUID,
    and whose insert sends a batch as binary arrays, one per column, to one server-side call."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        datastore.pool.kwargs["options"] = session_options(datastore)  # before the pool's first connection
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.append(seals_table_sql(datastore, events_table_name))
        self.sql_create_statements.append(insert_function_sql(datastore, events_table_name))
        self.seals = Identifier(events_table_name + SUFFIX)
        self.head: tuple[int, str] | None = None  # the store head after this recorder's last append
        self.head_known = False
        self.db_user: str | None = None  # the server's current_user on this store's connections
        self.signing_key: bytes | None = None  # set by ``open_store`` from $APA_LEDGER_SIGNING_KEY
        self.key_id = ""
        self.insert_call = SQL(
            "SELECT * FROM {schema}.{function}(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[], "
            "%b::bigint[], %b::{id_type}[], %b::bigint[], %b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[])"
        ).format(
            schema=Identifier(datastore.schema),
            function=Identifier(insert_function_name(events_table_name)),
            id_type=Identifier(datastore.originator_id_type),
        )
        self.insert_query: bytes | None = None
        self.has_insert_function = True  # until the server says otherwise (a store made before it)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    @waits_for_locks  # inside the retry: a lock is never waited for 10 times
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """One autocommit call of the server-side insert (see the module's docstring); the
        library's transaction where the function does not exist yet. A duplicate position is
        the library's ``IntegrityError`` either way (``PostgresDatastore.get_connection``)."""
        seals: Sequence[Tail] = kwargs.pop("seals", ())
        if not stored_events or not self.has_insert_function:
            return super().insert_events(stored_events, seals=seals, **kwargs)
        try:
            return self._call_insert_function(stored_events, seals)
        except ProgrammingError as exc:
            if not isinstance(exc.__cause__, UndefinedFunction):
                raise
        self.has_insert_function = self._create_insert_function()  # a store made before it
        if not self.has_insert_function:
            return super().insert_events(stored_events, seals=seals, **kwargs)
        return self._call_insert_function(stored_events, seals)

    def _call_insert_function(self, stored_events: Sequence[StoredEvent], seals: Sequence[Tail]) -> list[int]:
        """One call; its seal rows chained on the head this recorder last saw, and again on the
        head read afresh when another process appended since (the function refuses a stale head)."""
        for _attempt in range(100):
            with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
                if self.insert_query is None:  # rendered once a connection, not once a save
                    self.insert_query = self.insert_call.as_bytes(conn)
                if not self.head_known or self.db_user is None:
                    self._read_head(curs)
                rows = chained(self.head, seals, self.db_user, self.signing_key, self.key_id)
                try:
                    curs.execute(self.insert_query, (*_columns(stored_events), *_seal_columns(rows)), prepare=True)
                except psycopg.errors.RaiseException as exc:  # raised inside the connection's context
                    if HEAD_MOVED not in str(exc):
                        raise
                    self.head_known = False
                    continue
                ids = [row[0] for row in curs.fetchall()]
            self.head = (rows[-1].seq, rows[-1].seal) if rows else self.head
            return ids
        raise OperationalError("the store head kept moving under 100 attempts")  # pragma: no cover

    def _read_head(self, curs: Cursor[Any]) -> None:
        curs.execute(SQL("SELECT current_user"))
        self.db_user = curs.fetchone()[0]
        curs.execute(
            SQL("SELECT seq, seal FROM {schema}.{seals} ORDER BY seq DESC LIMIT 1").format(
                schema=Identifier(self.datastore.schema), seals=self.seals
            )
        )
        row = curs.fetchone()
        self.head = None if row is None else (row[0], row[1])
        self.head_known = True

    def _create_insert_function(self) -> bool:
        """Create the insert function (and the seals table) in a store made before them; False if
        this role may not, or another process is creating it at this moment (this recorder then
        keeps to the library's transaction; the next process finds the function)."""
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(seals_table_sql(self.datastore, self.events_table_name))
                curs.execute(insert_function_sql(self.datastore, self.events_table_name))
        except DatabaseError:
            return False
        return True

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], seals: Sequence[Tail] = (), **_: Any
    ) -> None:
        """The library's transaction's insert (a role that may not create the insert function),
        overridden because the seal rows must be written under its table lock and the library
        gives no public step there; its columns as binary arrays (see the module's docstring)."""
        self._lock_table(curs)
        library_rows = curs.row_factory  # the library reads the inserted ids by column name
        curs.row_factory = tuple_row  # type: ignore[assignment]  # the head as a plain tuple
        if seals:  # under the table lock: the head cannot move before this transaction commits
            self._read_head(curs)
            rows = chained(self.head, seals, self.db_user, self.signing_key, self.key_id)
            curs.execute(
                SQL(
                    "INSERT INTO {schema}.{seals} (seq, originator_id, position, count, hash, prev, seal, key_id) "
                    "SELECT * FROM unnest(%b::bigint[], %b::{id_type}[], %b::bigint[], %b::bigint[], %b::text[], "
                    "%b::text[], %b::text[], %b::text[])"
                ).format(
                    schema=Identifier(self.datastore.schema),
                    seals=self.seals,
                    id_type=Identifier(self.datastore.originator_id_type),
                ),
                _seal_columns(rows),
            )
            self.head_known = False
        self._notify_channel(curs)
        statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        curs.row_factory = library_rows
        curs.execute(statement, _columns(stored_events), prepare=True)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    @reads_wait_for_locks  # inside the library's retry, as the insert's
    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        """The library's ``select_notifications``, its lock waits bounded (``reads_wait_for_locks``)."""
        return PostgresApplicationRecorder.select_notifications.__wrapped__(self, *args, **kwargs)  # type: ignore[attr-defined]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    @reads_wait_for_locks
    def max_notification_id(self) -> int | None:
        """The library's ``max_notification_id``, its lock waits bounded (``reads_wait_for_locks``)."""
        return PostgresApplicationRecorder.max_notification_id.__wrapped__(self)  # type: ignore[attr-defined,no-any-return]

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        ident = (
            UUID(originator_id)
            if isinstance(originator_id, str) and self.datastore.originator_id_type == "uuid"
            else originator_id
        )  # what the library's rows hold: a UUID for a uuid column
        rows = self.select_rows(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return [StoredEvent(ident, version, topic, state) for version, topic, state in rows]

    @reads_wait_for_locks
    def select_originators(self, start: int, limit: int) -> list[tuple[int, UUID | str]]:
        """The notification log after ``start``: each notification's id and originator, nothing
        more (``select_notifications`` without the stored state; the read model's paging)."""
        statement = SQL(
            "SELECT notification_id, originator_id FROM {schema}.{table} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, [start, limit], prepare=True)
            return curs.fetchall()

    @reads_wait_for_locks
    def select_positions(self, start: int, limit: int) -> list[tuple[int, UUID | str, int]]:
        """The notification log after ``start``: each notification's id, originator and position
        (``verify``'s check of the whole log: no row of an unregistered agreement, none out of order)."""
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version FROM {schema}.{table} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, [start, limit], prepare=True)
            return curs.fetchall()

    def _table(self, statement: str) -> Composed:
        return SQL(statement).format(  # type: ignore[arg-type]
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name), seals=self.seals
        )

    @reads_wait_for_locks
    def _rows(self, statement: Composed, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, params)
            return curs.fetchall()

    def select_seals(self) -> list[Seal]:
        """Every row of the store chain, in order (none in a store made before it)."""
        exists = self._rows(
            SQL("SELECT to_regclass(%s)"), [f"{self.datastore.schema}.{self.events_table_name}{SUFFIX}"]
        )
        if exists[0][0] is None:
            return []
        rows = self._rows(
            self._table(
                "SELECT seq, originator_id, position, count, hash, prev, seal, db_user, key_id "
                "FROM {schema}.{seals} ORDER BY seq"
            )
        )
        return [Seal(r[0], r[1] if isinstance(r[1], UUID) else UUID(str(r[1])), *r[2:]) for r in rows]

    def select_sealed_hashes(self, mapper: Any) -> list[tuple[int, str]]:
        """Each seal's sequence number and the hash of the event it names, as stored now."""
        rows = self._rows(
            self._table(
                "SELECT s.seq, e.originator_id, e.originator_version, e.topic, e.state FROM {schema}.{seals} s "
                "JOIN {schema}.{table} e ON e.originator_id = s.originator_id AND e.originator_version = s.position"
            )
        )
        return [(seq, mapper.decode_row(o, v, topic, bytes(state)).hash) for seq, o, v, topic, state in rows]

    def notification_of(self, originator_id: UUID, position: int) -> int | None:
        rows = self._rows(
            self._table(
                "SELECT notification_id FROM {schema}.{table} WHERE originator_id = %s AND originator_version = %s"
            ),
            [originator_id, position],
        )
        return int(rows[0][0]) if rows else None

    def select_extents(self, before: int) -> list[tuple[UUID, int, int]]:
        """Each agreement's last position and its count of events logged before notification ``before``."""
        return [
            (o, last, int(count))
            for o, last, count in self._rows(
                self._table(
                    "SELECT originator_id, max(originator_version), count(*) FILTER (WHERE notification_id < %s) "
                    "FROM {schema}.{table} GROUP BY originator_id"
                ),
                [before],
            )
        ]

    @reads_wait_for_locks
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
        head = SQL("SELECT originator_version, topic, state FROM {schema}.{table} WHERE originator_id = %s")
        statement = head.format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name)
        ) + SQL(select_tail(gt, lte, desc, limit, "%s"))  # type: ignore[arg-type]
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, select_params(originator_id, gt, lte, limit), prepare=True)
            return [(version, topic, bytes(state)) for version, topic, state in curs.fetchall()]


def _seal_columns(rows: Sequence[Seal]) -> tuple[list[Any], ...]:
    """The seal rows as one list per column but ``db_user`` (the server writes its own)."""
    return (
        [r.seq for r in rows],
        [r.originator_id for r in rows],
        [r.position for r in rows],
        [r.count for r in rows],
        [r.hash for r in rows],
        [r.prev for r in rows],
        [r.seal for r in rows],
        [r.key_id for r in rows],
    )


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], list[int], list[str], list[bytes]]:
    """A batch as one list per column (psycopg sends each as a binary array)."""
    return (
        [s.originator_id for s in stored_events],
        [s.originator_version for s in stored_events],
        [s.topic for s in stored_events],
        [s.state for s in stored_events],
    )
