"""`apa-ledger export`: the reporting read model, a SQLite file a dashboard queries with plain SQL.

The view is an eventsourcing ``SQLiteTrackingRecorder``: its tracking table holds
the last notification id exported, written in the same SQLite transaction as the
rows it accounts for. A run polls the store's notification log after that id
(SQLite applications cannot ``subscribe``), recomputes every agreement the new
events touch (each once, however its events interleave with others'), replaces its
rows and advances the position, a few thousand notifications' agreements per
transaction. So an interrupted export resumes from its last committed position with
nothing missed, and a replayed position is refused by the tracking upsert (exactly once).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]

import sqlite_utils
from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteFactory, SQLiteTrackingRecorder

from commands.reporting.export_workers import Columns, Page, in_process, in_workers, rows_of, worker_count
from commands.reporting.plaintext import mark_encrypted_source
from commands.store.application import LedgerStore
from domain.errors import StoreError
from projections.headline import HEADLINE_COLUMNS, MONEY_COLUMNS
from projections.versions import TIMELINE, Versions

PAGE = 10_000
"""Notifications per transaction (whole agreements: a transaction may hold more). Every commit
writes each B-tree page its rows touched to the WAL once, so fewer, larger transactions write
less (docs/benchmarks.md, "Profile notes")."""
WINDOW = 1_000_000
"""Notifications whose agreements are gathered before their rows are worked out: each agreement
is worked out once per window (memory: one entry per agreement notified in it)."""
SCAN = 50_000
"""Notification ids and agreements read from the log per query while a window is gathered."""

_HEADLINE_DDL = ", ".join(f"{c} TEXT NOT NULL" if c == "status" else f"{c} INTEGER NOT NULL" for c in HEADLINE_COLUMNS)
_FK = "agreement_id TEXT NOT NULL REFERENCES agreements(agreement_id)"

_RECORDED = "recorded_from TEXT NOT NULL, recorded_to TEXT"

DDL = [
    "CREATE TABLE IF NOT EXISTS agreements (agreement_id TEXT PRIMARY KEY, originator_id TEXT NOT NULL, "
    "registered_at TEXT NOT NULL, effective_date TEXT, closing_date TEXT, status TEXT NOT NULL, "
    "event_count INTEGER NOT NULL, last_position INTEGER NOT NULL, last_recorded_at TEXT NOT NULL, "
    "last_hash TEXT NOT NULL, terms TEXT NOT NULL) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS events ({_FK}, position INTEGER NOT NULL, type TEXT NOT NULL, "
    "clause TEXT NOT NULL, occurred_on TEXT NOT NULL, recorded_at TEXT NOT NULL, payload TEXT NOT NULL, "
    "retracted_by INTEGER, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, recorded_by TEXT, evidence TEXT NOT NULL, "
    "PRIMARY KEY (agreement_id, position)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS recordings ({_FK}, recorded_at TEXT NOT NULL, first_position INTEGER NOT NULL, "
    "last_position INTEGER NOT NULL, events INTEGER NOT NULL, "
    "PRIMARY KEY (agreement_id, recorded_at)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS state_timeline ({_FK}, valid_from TEXT NOT NULL, valid_to TEXT, {_RECORDED}, "
    f"{_HEADLINE_DDL}, PRIMARY KEY (agreement_id, valid_from, recorded_from)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS earnout_schedule ({_FK}, seq INTEGER NOT NULL, {_RECORDED}, due_on TEXT NOT NULL, "
    "kind TEXT NOT NULL, shares INTEGER NOT NULL, cumulative_released INTEGER NOT NULL, "
    "PRIMARY KEY (agreement_id, seq, recorded_from)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS escrow_movements ({_FK}, seq INTEGER NOT NULL, {_RECORDED}, moved_on TEXT NOT NULL, "
    "kind TEXT NOT NULL, shares INTEGER NOT NULL, claim_id TEXT, position INTEGER NOT NULL, "
    "balance_after INTEGER NOT NULL, PRIMARY KEY (agreement_id, seq, recorded_from)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS claims ({_FK}, claim_id TEXT NOT NULL, valid_from TEXT NOT NULL, "
    f"valid_to TEXT, {_RECORDED}, claimant TEXT NOT NULL, sections TEXT NOT NULL, basis TEXT NOT NULL, "
    "asserted_on TEXT NOT NULL, status TEXT NOT NULL, amount_cents INTEGER NOT NULL, resolved_amount_cents INTEGER, "
    "resolved_on TEXT, surrendered_shares INTEGER NOT NULL, "
    "PRIMARY KEY (agreement_id, claim_id, valid_from, recorded_from)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS survival ({_FK}, section TEXT NOT NULL, valid_from TEXT NOT NULL, "
    f"valid_to TEXT, {_RECORDED}, title TEXT NOT NULL, expires_on TEXT, status TEXT NOT NULL, note TEXT, "
    "PRIMARY KEY (agreement_id, section, valid_from, recorded_from)) STRICT, WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS obligations ({_FK}, ref TEXT NOT NULL, valid_from TEXT NOT NULL, "
    f"valid_to TEXT, {_RECORDED}, clause TEXT NOT NULL, description TEXT NOT NULL, due_on TEXT NOT NULL, "
    "status TEXT NOT NULL, PRIMARY KEY (agreement_id, ref, valid_from, recorded_from)) STRICT, WITHOUT ROWID",
]
SCHEMA_VERSION = 5
"""The tables' layout (``PRAGMA user_version``): 2 holds money in whole cents, 3 each event's
recorded_by and evidence, 4 the Buyer's offset and shares due outside the escrow, 5 system time
(``recorded_from`` / ``recorded_to``, ``projections.versions``). An export finds a read model of
another layout and rebuilds it (beside it, then swapped in)."""


def _dollars(column: str) -> str:
    """A ``_cents`` column as the two-place text people read ("-1234.50"), in integer arithmetic."""
    return (
        f"CASE WHEN {column} < 0 THEN '-' ELSE '' END || (abs({column}) / 100) || '.' || "
        f"substr('0' || (abs({column}) % 100), -2) AS {column.removesuffix('_cents')}"
    )


def _in_dollars(table: str, money: list[str]) -> str:
    return f"CREATE VIEW IF NOT EXISTS {table}_in_dollars AS SELECT *, {', '.join(map(_dollars, money))} FROM {table}"


VIEWS = [
    _in_dollars("state_timeline", [c for c in HEADLINE_COLUMNS if c in MONEY_COLUMNS]),
    _in_dollars("claims", ["amount_cents", "resolved_amount_cents"]),
    f"PRAGMA user_version = {SCHEMA_VERSION}",
]
"""Each table with money, with each ``_cents`` column beside it as two-place text (for reading;
SQL compares, sorts and sums the cents)."""
INDEXES = [  # "as known now" is recorded_to = NULL; "as known at T" is recorded_to > T or NULL (readings 9)
    "CREATE INDEX IF NOT EXISTS events_occurred_on ON events (agreement_id, occurred_on)",
    "CREATE INDEX IF NOT EXISTS events_type ON events (type)",
    "CREATE INDEX IF NOT EXISTS events_recorded_by ON events (recorded_by)",
    "CREATE INDEX IF NOT EXISTS state_timeline_known ON state_timeline (recorded_to, valid_from)",
    "CREATE INDEX IF NOT EXISTS claims_known ON claims (agreement_id, recorded_to, valid_from)",
    "CREATE INDEX IF NOT EXISTS survival_known ON survival (agreement_id, recorded_to, valid_from)",
    "CREATE INDEX IF NOT EXISTS obligations_known ON obligations (agreement_id, recorded_to, valid_from)",
    "CREATE INDEX IF NOT EXISTS obligations_due_on ON obligations (due_on)",
]

TABLES = ("agreements", "events", "recordings", "state_timeline", "earnout_schedule", "escrow_movements", "claims")
TABLES += ("survival", "obligations")
"""Every table of the read model, parents first."""


class ReadModelView(SQLiteTrackingRecorder):
    """The read model's tables plus eventsourcing's ``tracking`` table, in one SQLite file."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *DDL, *VIEWS, *INDEXES]

    def create_indexes(self) -> None:
        """The dashboards' indexes, once a fresh file's tables are full (``FreshReadModelView``)."""
        with self.datastore.transaction(commit=True) as cursor:
            for statement in INDEXES:
                cursor.execute(statement)

    def replace_agreements(self, tables: dict[str, Versions], tracking: Tracking) -> None:
        """Replace every row of these agreements and record ``tracking``, in one transaction.

        The read model is derived data that records how far it got in the same transaction as
        its rows, so ``synchronous=NORMAL`` is enough: a commit lost to a power cut leaves rows
        and position consistent (WAL), and the next run recomputes from that position. A larger
        page cache keeps the indexes in memory while a rebuild writes thousands of rows a page."""
        with self.datastore.get_connection(commit=True) as connection:
            pragmas = connection.cursor()
            pragmas.execute("PRAGMA synchronous=NORMAL")  # outside the transaction, as SQLite requires
            pragmas.execute("PRAGMA cache_size=-65536")  # KiB
            with connection.transaction(commit=True) as cursor:
                write_rows(_database(cursor), tables)
                self._insert_tracking(cursor, tracking)  # IntegrityError (and rollback) unless it advances

    def replace_all(self, updates: Iterable[tuple[dict[str, Versions], Tracking]]) -> None:
        """``replace_agreements`` for each of ``updates`` (pages), all in one transaction: an
        export of an existing model that is cut off at any moment leaves it as it was."""
        with self.datastore.get_connection(commit=True) as connection:
            pragmas = connection.cursor()
            pragmas.execute("PRAGMA synchronous=NORMAL")
            pragmas.execute("PRAGMA cache_size=-65536")  # KiB
            with connection.transaction(commit=True) as cursor:
                db = _database(cursor)
                for tables, tracking in updates:
                    write_rows(db, tables)
                    self._insert_tracking(cursor, tracking)

    def columns(self) -> Columns:
        """Each table's columns, in order (``sqlite-utils`` reads them from the schema)."""
        with self.datastore.transaction(commit=False) as cursor:
            db = _database(cursor)
            return {table: [column.name for column in db[table].columns] for table in TABLES}


class FreshReadModelView(ReadModelView):
    """A read model written from scratch: its tables first, its indexes once they are full.

    Sorting a full table into an index once costs less than keeping the index in order row by
    row (docs/benchmarks.md, "Profile notes"). ``export`` creates them after its last transaction; if it is cut off
    before, the next export opens the file as a ``ReadModelView``, which creates them."""

    def construct_create_table_statements(self) -> list[str]:
        return [*SQLiteTrackingRecorder.construct_create_table_statements(self), *DDL, *VIEWS]


def _database(cursor: SQLiteCursor) -> sqlite_utils.Database:
    return sqlite_utils.Database(cursor.sqlite_cursor.connection, execute_plugins=False)


def write_rows(db: sqlite_utils.Database, tables: dict[str, Versions]) -> None:
    """Write these agreements' new rows (``projections.versions``), one statement per table and
    kind of change for the whole page.

    An agreement worked out afresh (``seen`` 0) has its rows deleted (children first) and all
    of them inserted; for the others the rows the model holds and the new events ended are
    closed (their ``recorded_to`` set, before any new row with the same key is inserted), the
    events newly retracted marked, and the new rows inserted; every agreement's row is replaced.
    Each row is a tuple in the table's column order, because every value here is already a
    plain str, int or None, which ``Table.insert_all``'s per-value JSON check and per-chunk
    statements would only check again."""
    agreements = sorted(tables)
    afresh = [a for a in agreements if tables[a].seen == 0]
    for table in reversed(TABLES[1:]):
        _delete(db, table, afresh)
    _delete(db, "agreements", [a for a in agreements if tables[a].tables.get("agreements")])
    for table, key in TIMELINE.items():
        ended = [row for a in agreements for row in tables[a].ended.get(table, ())]
        if ended:
            where = " AND ".join(f"{column} = ?" for column in ("agreement_id", *key))
            db.conn.executemany(f"UPDATE {table} SET recorded_to = ? WHERE {where} AND recorded_to IS NULL", ended)
    retracted = [row for a in agreements for row in tables[a].retracted]
    if retracted:
        db.conn.executemany("UPDATE events SET retracted_by = ? WHERE agreement_id = ? AND position = ?", retracted)
    for table in TABLES:
        values = [row for a in agreements for row in tables[a].tables.get(table, ())]
        if values:
            marks = ", ".join("?" * len(values[0]))
            db.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", values)


def _delete(db: sqlite_utils.Database, table: str, agreements: list[str]) -> None:
    for start in range(0, len(agreements), 500):  # SQLite's limit on bound parameters
        chunk = agreements[start : start + 500]
        db.execute(f"DELETE FROM {table} WHERE agreement_id IN ({', '.join('?' * len(chunk))})", chunk)


@dataclass(frozen=True)
class ExportResult:
    path: str
    notifications: int
    agreements: int
    position: int


def open_view(path: str, fresh: bool = False) -> ReadModelView:
    """The read model at ``path``; ``fresh``: a new file, its indexes created by ``create_indexes``."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": "30"}
    kind = FreshReadModelView if fresh else ReadModelView
    return SQLiteFactory(env).tracking_recorder(kind)  # type: ignore[arg-type]


def remove_database(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


def export(
    store: LedgerStore,
    path: str,
    *,
    rebuild: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    waiting: Callable[[], None] | None = None,
) -> ExportResult:
    """Bring the read model at ``path`` up to date with ``store`` (from scratch if ``rebuild``).

    ``progress(n)`` is told how many new notifications each recomputed agreement accounted for.
    ``workers``: processes that work the rows out (``commands.reporting.export_workers``); 0 works them
    out here; by default every core once there are ``PARALLEL_FROM`` notifications to export.
    ``waiting()`` is told if another export of this read model must end first.
    """
    target = read_model_path(store, path)
    with one_export_at_a_time(target, waiting):
        if target.exists() and not rebuild:
            rebuild = schema_version(target) not in (SCHEMA_VERSION, None)
        if rebuild and target.exists():
            return _rebuild_beside(store, target, progress, workers)
        if not target.exists():
            return _first_beside(store, target, progress, workers)
        return _export(store, target, progress, workers)


@contextmanager
def one_export_at_a_time(target: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """The exports of one read model, one after another: each holds an exclusive ``flock`` on
    ``FILE.lock`` beside it (``reporting.sqlite.lock``) for its whole run (the system releases
    it if the process dies).

    Two at once (a scheduled export and a manual one) would work out the same agreements and
    the second's tracking upsert would refuse its first page: an IntegrityError. Now the second
    waits (``waiting()`` is told, once) and then exports what is left, usually nothing. Not
    reentrant: inside it, this process works through ``_export``, never ``export`` again."""
    if fcntl is None:  # not POSIX: no lock; the tracking upsert still refuses a duplicate page
        yield
        return
    with open(target.with_name(target.name + ".lock"), "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _export(
    store: LedgerStore, target: Path, progress: Callable[[int], None] | None, workers: int | None
) -> ExportResult:
    """The export itself, once it holds the read model (``export``)."""
    path = str(target)
    view = open_view(path, fresh=not target.exists())
    if store.mapper.cipher is not None:  # before any row: no silent plaintext (commands.reporting.plaintext)
        mark_encrypted_source(view)
    columns = view.columns()
    app = store.name
    position = view.max_tracking_id(app) or 0
    if workers is None:
        workers = worker_count((store.recorder.max_notification_id() or 0) - position)
    pages = _pages(store, position)
    done, touched = 0, set()
    held = None if isinstance(view, FreshReadModelView) else sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    written: dict[str, int] = {}  # agreement -> its events the rows written in this run hold

    def checked(page: Page, results: list[tuple[str, Versions]]) -> dict[str, Versions]:
        """Each agreement's rows, worked out again in the rare case they were worked out against
        other events than the model holds (a page's count of new notifications tells a worker how
        many of the events it read are new; events appended since the page was read, or rows
        already written from more events than the position says, make that count wrong)."""
        before = _held_positions(held, [a for a, _ in results if a not in written]) if held else {}
        tables = {}
        for (agreement_id, versions), originator in zip(results, page.agreements, strict=True):
            holds = written.get(agreement_id, before.get(agreement_id, 0))
            if versions.seen not in (0, holds):
                agreement_id, versions = rows_of(store, originator, columns, seen=holds)
            written[agreement_id] = versions.count
            tables[agreement_id] = versions
        return tables

    def updates() -> Iterator[tuple[dict[str, Versions], Tracking]]:
        nonlocal done, position
        source = in_workers(store, columns, pages, workers) if workers > 1 else in_process(store, columns, pages)
        for page, results in source:
            tables = checked(page, results)
            if progress is not None:
                for count in page.agreements.values():
                    progress(count)
            yield tables, Tracking(app, page.last_id)
            position = page.last_id
            done += sum(page.agreements.values())
            touched.update(tables)

    try:
        if isinstance(view, FreshReadModelView):  # a file no reader sees until it is whole
            for tables, tracking in updates():
                view.replace_agreements(tables, tracking)
            view.create_indexes()
        else:
            view.replace_all(updates())
    finally:
        view.datastore.close()
        if held is not None:
            held.close()
    return ExportResult(path=path, notifications=done, agreements=len(touched), position=position)


def _held_positions(db: sqlite3.Connection, agreements: list[str]) -> dict[str, int]:
    """How many events of each of ``agreements`` the read model holds (its last position)."""
    found: dict[str, int] = {}
    for start in range(0, len(agreements), 500):  # SQLite's limit on bound parameters
        chunk = agreements[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT agreement_id, last_position FROM agreements WHERE agreement_id IN ({marks})"
        found.update(db.execute(query, chunk))
    return found


def schema_version(target: Path) -> int | None:
    """The layout of the read model at ``target``; None if it holds no table yet (or is no database)."""
    try:
        with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as db:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                return None
            return int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def read_model_path(store: LedgerStore, path: str) -> Path:
    """``--to PATH`` checked: a SQLite file name in an existing directory, not a directory and not
    the event store itself (StoreError, one line, otherwise)."""
    target = Path(path)
    if target.suffix.lower() not in {".sqlite", ".db", ".sqlite3"}:
        raise StoreError(f"--to {path}: the read model is a SQLite file (.sqlite, .sqlite3 or .db)", "export")
    if not target.parent.exists():
        raise StoreError(f"--to {path}: directory {target.parent} does not exist", "export")
    if target.exists() and not target.is_file():
        raise StoreError(f"--to {path} is a directory, not a read model file", "export")
    if "SQLITE_DBNAME" in store.env and Path(store.env["SQLITE_DBNAME"]).resolve() == target.resolve():
        raise StoreError(f"--to {path} is the event store itself; write the read model to another file", "export")
    return target


def _rebuild_beside(
    store: LedgerStore, target: Path, progress: Callable[[int], None] | None, workers: int | None
) -> ExportResult:
    """``--rebuild`` of an existing read model: a new one written beside it, then swapped in.

    Dashboards read the file while it is rebuilt, and Datasette keeps its connections open:
    deleting the file would leave them on the old, unlinked one until restarted, and a file
    rebuilt in place would show them its tables half written. So the new model is written to
    ``NAME.rebuilding.sqlite`` and copied over the old one with SQLite's online backup, in one
    write transaction: each reader sees the old model, then the whole new one. If the rebuild
    is cut off, the old model stays as it was."""
    beside = target.with_name(f"{target.stem}.rebuilding{target.suffix}")
    remove_database(str(beside))
    try:
        result = _export(store, beside, progress, workers)  # under the target's lock
        swap_in(beside, target)
    finally:
        remove_database(str(beside))
    return ExportResult(str(target), result.notifications, result.agreements, result.position)


def _first_beside(
    store: LedgerStore, target: Path, progress: Callable[[int], None] | None, workers: int | None
) -> ExportResult:
    """The first export to ``target``: the model written beside it (``NAME.exporting.sqlite``),
    its indexes made, then renamed to ``target`` in one step. Cut off before, no ``target``
    exists: an interrupted or killed export leaves the file beside it, which the next export
    resumes from its last committed page; one that failed (a full disk) removes it."""
    beside = target.with_name(f"{target.stem}.exporting{target.suffix}")
    if schema_version(beside) not in (SCHEMA_VERSION, None):
        remove_database(str(beside))
    try:
        result = _export(store, beside, progress, workers)  # under the target's lock
        with closing(sqlite3.connect(beside, timeout=30)) as db:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]  # every page in the renamed file
        if busy:
            raise StoreError(f"{beside} is still being read; export again to finish the read model", "export")
        beside.replace(target)
    except Exception:
        remove_database(str(beside))
        raise
    remove_database(str(beside))  # its -wal and -shm, if a reader left them
    return ExportResult(str(target), result.notifications, result.agreements, result.position)


def swap_in(source: Path, target: Path) -> None:
    """Copy the database ``source`` over ``target`` with SQLite's backup API (readers of
    ``target`` switch from one whole model to the other). A ``target`` that is not a database
    at all (what a rebuild may be run to mend) is deleted and written afresh."""
    with closing(sqlite3.connect(source)) as new:
        try:
            with closing(sqlite3.connect(target, timeout=30)) as old:
                new.backup(old)
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # best effort: a reader may hold it back
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc) and "malformed" not in str(exc):
                raise
            remove_database(str(target))
            with closing(sqlite3.connect(target)) as old:
                new.backup(old)


def _pages(store: LedgerStore, position: int) -> Iterator[Page]:
    """The notifications after ``position`` as the read model's transactions, each agreement in
    one of them only (per ``WINDOW``), however its notifications interleave with others'.

    A store written by many clerks over years interleaves its agreements: a page of the log
    then touches most of the portfolio, and recomputing each page's agreements would work out
    an agreement once for every page it has notifications in. So the window's log is read
    first, only each notification's id and agreement (``select_originators``), and its
    agreements are taken in order of first notification.
    A transaction's tracking position is the notification before the next agreement's first:
    every notification up to it belongs to an agreement whose rows are written by then (rows
    are worked out from all of the agreement's events), so a run resumed from any committed
    position misses nothing, and positions strictly increase."""
    head = store.recorder.max_notification_id() or 0
    while position < head:
        end = min(head, position + WINDOW)
        first, counts = _first_notifications(store, position, end)
        agreements = list(first)  # in order of first notification
        page: dict[UUID, int] = {}
        size = 0
        for index, originator in enumerate(agreements, start=1):
            page[originator] = counts[originator]
            size += counts[originator]
            if size >= PAGE or index == len(agreements):
                yield Page(first[agreements[index]] - 1 if index < len(agreements) else end, page)
                page, size = {}, 0
        position = end


def _first_notifications(store: LedgerStore, position: int, end: int) -> tuple[dict[UUID, int], Counter[UUID]]:
    """Each agreement notified in (``position``, ``end``]: its first notification id there (in
    order of it) and how many notifications it has there."""
    first: dict[UUID, int] = {}
    counts: Counter[UUID] = Counter()
    while position < end:
        rows = store.recorder.select_originators(position, min(SCAN, end - position))  # type: ignore[attr-defined]
        if not rows:
            break
        for notification_id, originator in rows:
            if notification_id > end:
                return first, counts
            first.setdefault(originator, notification_id)
            counts[originator] += 1
        position = rows[-1][0]
    return first, counts


def pending_notifications(store: LedgerStore, path: str) -> int:
    """How many notifications an export would process (for the progress bar's length)."""
    last = store.recorder.max_notification_id() or 0
    if not read_model_path(store, path).exists():
        return last
    view = open_view(path)
    try:
        return max(0, last - (view.max_tracking_id(store.name) or 0))
    finally:
        view.datastore.close()
