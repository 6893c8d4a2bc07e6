"""The library's own recorder test cases, run against the ledger's recorders (issue 15.5).

``commands/store/sqlite_recorder.py`` and ``commands/store/postgres_recorder.py`` subclass
eventsourcing 9.5.6's application recorders and override some of their private methods
(pyproject pins the library exactly for that). The test cases the installed package ships
(``eventsourcing.tests.persistence``'s ``ApplicationRecorderTestCase``: inserts and selects
by every filter, conflicts, notifications and their ids, concurrent writers; and
``NonInterleavingNotificationIDsBaseCase``; the aggregate recorder's cases expect an insert
that reports no notification ids, which no application recorder is) hold them to the library's
contract as any recorder of that version must keep it, so that a change of the library or
of an override that breaks it fails here. The ledger's own tests hold them to the ledger's
needs (tests/test_recorders.py, tests/test_store_chain.py).

The library's timed cases (``test_performance``, ``test_concurrent_throughput``) only print a
rate and assert nothing but that no write failed; they run too, so that the concurrent path is
exercised, and no figure of theirs is a test. PostgreSQL runs at ``$APA_LEDGER_TEST_POSTGRES``
(default 127.0.0.1:5432, database ``test``), each case in a schema of its own; without a server
those cases skip, as the other PostgreSQL tests do (tests/postgres.py).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.tests import persistence as library

from commands.store.application import open_store
from commands.store.sqlite_recorder import LedgerSQLiteRecorder
from tests.postgres import require_postgres


class _ClosesAfterItsThreads:
    """Closes the stores a case opened only once the threads it started have ended: the library's
    concurrent case stops its reader threads without joining them, and a connection closed under
    a reader still in a query crashes the interpreter."""

    def setUp(self) -> None:
        self.threads_before = set(threading.enumerate())
        self.stores: list[Any] = []
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for thread in set(threading.enumerate()) - self.threads_before:
            if not thread.daemon:  # the case's own threads (a connection pool's are daemons)
                thread.join(timeout=30)
        for store in self.stores:
            store.close()


class _SQLiteFile(_ClosesAfterItsThreads):
    """A file database per case, in a directory removed afterwards (the ledger's stores are files)."""

    def setUp(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="apa-library-case-"))
        self.db_name = str(self.directory / "store.sqlite")
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        shutil.rmtree(self.directory, ignore_errors=True)

    def create_recorder(self) -> LedgerSQLiteRecorder:
        """The recorder of a store as ``open_store`` makes it (the ledger's factory and settings)."""
        store = open_store(self.db_name)
        self.stores.append(store)
        assert isinstance(store.recorder, LedgerSQLiteRecorder)
        return store.recorder


class TestLedgerSQLiteRecorderAsApplicationRecorder(_SQLiteFile, library.ApplicationRecorderTestCase):
    """The library's application recorder cases: notifications, their contiguous ids, topics,
    concurrent writers without conflicts."""


class TestLedgerSQLiteRecorderNonInterleaving(_SQLiteFile, library.NonInterleavingNotificationIDsBaseCase):
    """Two writers racing: each batch's notification ids are one run, not interleaved."""


class _PostgresSchema(_ClosesAfterItsThreads):
    """A fresh schema per case on the test server, dropped afterwards (tests/postgres.py)."""

    def setUp(self) -> None:
        from psycopg import sql

        self.admin = require_postgres()
        self.schema = f"apa_lib_{uuid.uuid4().hex[:16]}"
        self.admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        super().setUp()

    def tearDown(self) -> None:
        from psycopg import sql

        super().tearDown()
        self.admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))

    def create_recorder(self) -> Any:
        """The recorder of a store as ``open_store`` makes it (the ledger's factory and settings)."""
        from commands.store.postgres_recorder import LedgerPostgresRecorder
        from tests.postgres import url_for

        store = open_store(url_for(self.schema))
        self.stores.append(store)
        assert isinstance(store.recorder, LedgerPostgresRecorder)
        return store.recorder


@pytest.mark.postgres
class TestLedgerPostgresRecorderAsApplicationRecorder(_PostgresSchema, library.ApplicationRecorderTestCase):
    """The library's application recorder cases on PostgreSQL."""


@pytest.mark.postgres
class TestLedgerPostgresRecorderNonInterleaving(_PostgresSchema, library.NonInterleavingNotificationIDsBaseCase):
    """Two writers racing on PostgreSQL: each batch's notification ids are one run."""


class _LibraryTransaction(_PostgresSchema):
    """The recorder as it appends where the role may not create the insert function: through
    the library's transaction, with the overridden ``_insert_stored_events``."""

    def create_recorder(self) -> Any:
        recorder = super().create_recorder()
        recorder.has_insert_function = False
        return recorder


@pytest.mark.postgres
class TestLedgerPostgresRecorderInTheLibrarysTransaction(_LibraryTransaction, library.ApplicationRecorderTestCase):
    """The library's application recorder cases on PostgreSQL, through the library's transaction."""


@pytest.mark.postgres
class TestLedgerPostgresRecorderInTheLibrarysTransactionNonInterleaving(
    _LibraryTransaction, library.NonInterleavingNotificationIDsBaseCase
):
    """Two writers racing through the library's transaction: each batch's ids are one run."""
