"""`apa-ledger export --follow`: the read model kept current while any writer appends.

A loop over the incremental export (``commands.reporting.export``): wait for new
notifications, export them, wait again. Each round is a whole export, so everything the
export promises holds for every round: the library's tracking table advances in the same
transaction as the rows (exactly once), the model is always the old one or the new one, and a
follow that is interrupted or killed leaves a model the next export (or follow) resumes.

Waiting: on PostgreSQL the library's insert NOTIFYs the events table's channel as it commits
(``commands.store.postgres_recorder``), so a follow LISTENs on that channel and wakes as the
append commits; the interval only bounds the wait in case a notification is lost with a
connection. SQLite has no notifications across processes, so a follow polls the log's head
every ``interval`` seconds: one indexed ``max()`` query, cheap enough to run five times a second.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from commands.reporting.export import ExportResult, export
from commands.store.application import LedgerStore

INTERVAL = 0.2
"""Seconds between looks at a SQLite store's log (a PostgreSQL follow wakes on NOTIFY)."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: the follow ends, its last committed export kept."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Interrupted`` (the first one; later ones are ignored while it
    unwinds, so that a second Ctrl-C cannot cut the rollback short). An export cut off this way
    rolls its transaction back: the model stays as its last commit left it."""

    def stop(number: int, _frame: FrameType | None) -> None:
        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_IGN)
        raise Interrupted(signal.Signals(number).name)

    previous = {each: signal.signal(each, stop) for each in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


@contextmanager
def new_notifications(store: LedgerStore, interval: float) -> Iterator[Callable[[], None]]:
    """A ``wait()`` that returns when new notifications may have been appended: on PostgreSQL
    when the channel is notified (or after ``interval`` at the latest), on SQLite after
    ``interval``. Listening starts before the first look at the head, so an append between
    that look and the wait still wakes it."""
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder
    except ImportError:  # psycopg not installed: no PostgreSQL store either
        PostgresApplicationRecorder = None  # type: ignore[assignment,misc]
    recorder = store.recorder
    if PostgresApplicationRecorder is None or not isinstance(recorder, PostgresApplicationRecorder):
        yield lambda: time.sleep(interval)
        return
    from psycopg.sql import SQL, Identifier

    with recorder.datastore.get_connection() as conn:
        conn.execute(SQL("LISTEN {0}").format(Identifier(recorder.channel_name)))

        def wait() -> None:
            for _ in conn.notifies(timeout=interval, stop_after=1):
                pass

        try:
            yield wait
        finally:
            conn.execute(SQL("UNLISTEN {0}").format(Identifier(recorder.channel_name)))


def follow(
    store: LedgerStore,
    path: str,
    exported: Callable[[ExportResult], None],
    *,
    interval: float = INTERVAL,
    workers: int | None = None,
    waiting: Callable[[], None] | None = None,
) -> None:
    """Export each new batch of ``store``'s notifications into the read model at ``path`` as it
    is appended, until ``Interrupted`` (``stopped_by_signals``) or a fault; ``exported(result)``
    is told of each round that exported something. Runs alongside other exports of the model
    (each round takes the model's lock, ``one_export_at_a_time``)."""
    with new_notifications(store, interval) as wait:
        position = 0
        while True:
            head = store.recorder.max_notification_id() or 0
            if head <= position:
                wait()
                continue
            result = export(store, path, workers=workers, waiting=waiting)
            if result.notifications:
                exported(result)
            # Every notification up to ``head`` was committed before this round began (SQLite's
            # one writer; PostgreSQL's table lock commits ids in order), so this round or an
            # earlier export accounted for it, and ids the log skips cannot wake it again.
            position = max(result.position, head)
