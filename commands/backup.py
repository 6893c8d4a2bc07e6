"""Backups that prove themselves: a copy of the store, verified against the source's heads.

SQLite: one read transaction on the source file takes the source's checkpoint (every
agreement's count of events and last hash, ``commands.checkpoint``) and then SQLite's online
backup (``sqlite3.Connection.backup``) from that same connection, so both see the same
snapshot while writers go on appending. The copy is then opened as a store and verified as
``verify`` verifies (every record, chain, replay and derived event, the whole log), and its
heads must be exactly the checkpoint's: a backup that says it is good is the store as it was.

PostgreSQL: the checkpoint is taken first, then every event is copied, in notification order,
into a new SQLite file (``commands.store.copy``), which is verified and must extend the
checkpoint (writers may have appended meanwhile). ``pg_dump`` is the database's own backup;
docs/reliability.md says how to restore either and check the restored store.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from commands.audit import verify_store
from commands.checkpoint import extends, take, written
from commands.store.application import LedgerStore, open_store
from commands.store.postgres import is_postgres
from domain.errors import InvalidInput, StoreError
from domain.events import AgreementRegistered

CLAUSE = "backup"
REGISTERED = "domain.events:AgreementRegistered"


@dataclass(frozen=True)
class Backup:
    """What ``backup`` did: ``ok`` when the copy verified and holds the checkpoint's heads."""

    ok: bool
    message: str
    checkpoint: dict[str, Any]


def backup(
    store: LedgerStore, url: str, to: str, now: datetime, key: bytes | None, cipher_key: str | None = None
) -> Backup:
    """Back ``store`` (at ``url``) up to the new file ``to`` ("-": stdout), then prove the copy."""
    if is_postgres(to):
        raise InvalidInput("--to: a backup is a SQLite file (to fill a PostgreSQL store, use `copy`)", CLAUSE)
    if to != "-" and Path(to).exists():
        raise InvalidInput(f"{to} exists: a backup is written to a new file", CLAUSE)
    if to == "-":
        with tempfile.TemporaryDirectory(prefix="apa-ledger-backup-") as directory:
            copy = str(Path(directory) / "backup.sqlite")
            done = _backup(store, url, copy, now, key, cipher_key, "stdout")
            if done.ok:
                with open(copy, "rb") as file:
                    while chunk := file.read(1 << 20):
                        sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
            return done
    return _backup(store, url, to, now, key, cipher_key, to)


def _backup(
    store: LedgerStore, url: str, to: str, now: datetime, key: bytes | None, cipher_key: str | None, shown: str
) -> Backup:
    if is_postgres(url):
        body = take(store, url, now, key)
        from commands.store.copy import read_all

        with closing(open_store(to, cipher_key=cipher_key)) as target:
            events = read_all(store)
            if events:
                target.save(*events)
    else:
        body = _sqlite_backup(store, Path(url), to, now, key)
    with closing(open_store(to, create=False, cipher_key=cipher_key)) as copy:
        ok, message = verify_store(copy)
        if not ok:
            return Backup(False, f"backup written to {shown}, but the copy does not verify: {message}", body)
        problem = extends(copy, "of the source", body, key, same_store=not is_postgres(url))
        if problem is None and not is_postgres(url):
            problem = _same_heads(take(copy, to, now, None), body)
    if problem is not None:
        return Backup(False, f"backup written to {shown}, but it is not the source as read: {problem}", body)
    n, events = body["agreements"], body["events"]
    held = "extends" if is_postgres(url) else "holds exactly"
    return Backup(
        True,
        f"backed up {n} agreement{'s' if n != 1 else ''}, {events} events to {shown}; the copy verifies "
        f"({message.removeprefix('verified ')}) and {held} the source's checkpoint taken at {body['taken_at']}",
        body,
    )


def _sqlite_backup(store: LedgerStore, path: Path, to: str, now: datetime, key: bytes | None) -> dict[str, Any]:
    """The source's checkpoint and its online backup to ``to``, in one read transaction."""
    try:
        source = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, isolation_level=None)
        target = sqlite3.connect(to)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot back up to {to}: {exc}", "store") from None
    try:
        source.execute("BEGIN")  # one snapshot for the heads and the pages copied
        body = written(_heads(store, source), str(path), now, key, _store_head(source))
        source.backup(target)
        source.execute("COMMIT")
    except sqlite3.Error as exc:
        target.close()
        Path(to).unlink(missing_ok=True)
        raise StoreError(f"cannot back up to {to}: {exc}", "store") from None
    finally:
        source.close()
    target.close()
    return body


def _heads(store: LedgerStore, db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every registered agreement's count of events and last hash, read on ``db``'s snapshot
    (each row decoded by the store's mapper: decrypted, and refused if not as written)."""
    decode = store.mapper.decode_row  # type: ignore[attr-defined]
    last = {
        row[0]: row[1]
        for row in db.execute("SELECT originator_id, max(originator_version) FROM stored_events GROUP BY originator_id")
    }
    heads: dict[str, dict[str, Any]] = {}
    rows = db.execute(
        "SELECT originator_id, topic, state FROM stored_events WHERE topic = ? ORDER BY rowid", [REGISTERED]
    )
    for originator, topic, state in rows.fetchall():
        registered = decode(UUID(originator), 1, topic, state)
        assert isinstance(registered, AgreementRegistered)
        count = last[originator]
        row = db.execute(
            "SELECT topic, state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            [originator, count],
        ).fetchone()
        heads[registered.agreement_id] = {"events": count, "head": decode(UUID(originator), count, *row).hash}
    return heads


def _store_head(db: sqlite3.Connection) -> tuple[int, str] | None:
    """The store chain's last seal on ``db``'s snapshot (None: a store made before it)."""
    try:
        row = db.execute("SELECT seq, seal FROM stored_events_seals ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:  # no such table
        return None
    return None if row is None else (row[0], row[1])


def _same_heads(copy: dict[str, Any], body: dict[str, Any]) -> str | None:
    for agreement_id, head in copy["heads"].items():
        if body["heads"].get(agreement_id) != head:
            return f"agreement {agreement_id} has {head['events']} events in the copy, not as read from the source"
    if len(copy["heads"]) != len(body["heads"]):
        return f"the copy has {len(copy['heads'])} agreements, the source {len(body['heads'])}"
    return None
