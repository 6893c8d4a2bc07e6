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
"""

from __future__ import annotations

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
from psycopg.sql import SQL, Composed, Identifier

from commands.store import waiting
from commands.store.recorder_sql import select_params, select_tail


def insert_function_name(events_table: str) -> str:
    """The server-side insert of ``events_table``, versioned: a new body gets a new name (v2:
    a ``lock_timeout`` of ``waiting.LOCK_POLL``, where v1 waited for the lock for ever)."""
    return f"{events_table}_insert_v2"


def insert_function_sql(datastore: PostgresDatastore, events_table: str) -> Composed:
    """``CREATE OR REPLACE FUNCTION`` of the one-statement insert: lock the table (EXCLUSIVE,
    as the library's ``_lock_table``: readers of the notification log never pass over ids
    that commit later), NOTIFY its channel, insert the columns' arrays, return the ids."""
    id_type = Identifier(datastore.originator_id_type)
    return SQL(
        "CREATE OR REPLACE FUNCTION {schema}.{function}("
        "ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
        "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
        "BEGIN "
        "SET LOCAL lock_timeout = '{lock_timeout}s'; "
        "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
        "NOTIFY {channel}; "
        "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
        "END; $BODY$"
    ).format(
        schema=Identifier(datastore.schema),
        function=Identifier(insert_function_name(events_table)),
        id_type=id_type,
        lock_timeout=datastore.lock_timeout,
        table=Identifier(events_table),
        channel=Identifier(events_table.replace(".", "_")),
    )


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` whose ``select_events`` returns tuples with one shared UUID,
    and whose insert sends a batch as binary arrays, one per column, to one server-side call."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.append(insert_function_sql(datastore, events_table_name))
        self.insert_call = SQL(
            "SELECT * FROM {schema}.{function}(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[])"
        ).format(
            schema=Identifier(datastore.schema),
            function=Identifier(insert_function_name(events_table_name)),
            id_type=Identifier(datastore.originator_id_type),
        )
        self.insert_query: bytes | None = None
        self.has_insert_function = True  # until the server says otherwise (a store made before it)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    @waiting.while_locked(lambda exc: isinstance(exc.__cause__, LockNotAvailable))  # inside: never 10 waits
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """One autocommit call of the server-side insert (see the module's docstring); the
        library's transaction where the function does not exist yet. A duplicate position is
        the library's ``IntegrityError`` either way (``PostgresDatastore.get_connection``)."""
        if not stored_events or not self.has_insert_function:
            return super().insert_events(stored_events, **kwargs)
        try:
            return self._call_insert_function(stored_events)
        except ProgrammingError as exc:
            if not isinstance(exc.__cause__, UndefinedFunction):
                raise
        self.has_insert_function = self._create_insert_function()  # a store made before it
        if not self.has_insert_function:
            return super().insert_events(stored_events, **kwargs)
        return self._call_insert_function(stored_events)

    def _call_insert_function(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            if self.insert_query is None:  # rendered once a connection, not once a save
                self.insert_query = self.insert_call.as_bytes(conn)
            curs.execute(self.insert_query, _columns(stored_events), prepare=True)
            return [row[0] for row in curs.fetchall()]

    def _create_insert_function(self) -> bool:
        """Create the insert function in a store made before it existed; False if this role may
        not, or another process is creating it at this moment (this recorder then keeps to the
        library's transaction; the next process finds the function)."""
        statement = insert_function_sql(self.datastore, self.events_table_name)
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement)
        except DatabaseError:
            return False
        return True

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        curs.row_factory = tuple_row  # type: ignore[assignment]  # the ids as plain tuples (below)
        curs.execute(statement, _columns(stored_events), prepare=True)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[Any], stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        """The library's reading of the inserted notification ids, from tuple rows (no
        ``dict_row`` built per id)."""
        assert curs.statusmessage and curs.statusmessage.startswith("INSERT"), curs.statusmessage
        try:
            return [row[0] for row in curs.fetchall()]
        except psycopg.ProgrammingError as exc:
            raise ProgrammingError(f"Couldn't get all notification IDs (expected {len(stored_events)})") from exc

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


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], list[int], list[str], list[bytes]]:
    """A batch as one list per column (psycopg sends each as a binary array)."""
    return (
        [s.originator_id for s in stored_events],
        [s.originator_version for s in stored_events],
        [s.topic for s in stored_events],
        [s.state for s in stored_events],
    )
