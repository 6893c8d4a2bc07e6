"""The library's PostgreSQL application recorder, with a lighter ``select_events``.

Selected through eventsourcing's ``APPLICATION_RECORDER_TOPIC`` (only when the store
is PostgreSQL, so psycopg stays an optional extra). The library builds each row as a
``dict_row``; every row of one query has the originator id that was asked for, so
that ``UUID`` is reused and the rows are plain tuples of the three columns still
needed (profiled on the benchmark portfolio's replay); ``select_rows`` returns those
tuples as they are, for ``LedgerStore.load``. Inserts are the library's
own: one ``unnest`` of the whole batch per transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from commands.recorder_sql import select_params, select_tail


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` whose ``select_events`` returns tuples with one shared UUID."""

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
