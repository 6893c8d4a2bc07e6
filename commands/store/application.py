"""The event store: an eventsourcing Application on SQLite (default) or PostgreSQL.

Events are pydantic models, stored through a small mapper (as in the library's
``aggregate7`` example) that applies the library's compressor and AES cipher
when ``APA_LEDGER_CIPHER_KEY`` is set. ``recorded_at`` comes from ``clock``,
the only clock the ledger reads besides the CLI's defaults.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, PersistenceError, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from commands.store.decode import key_orders, trusted_decoder, usual_decoder, usual_order
from commands.store.postgres import (
    check_postgres,
    construct_postgres,
    describe_postgres,
    is_postgres,
    postgres_env,
    redact,
)
from commands.store.seals import tails
from commands.store.sqlite_recorder import LedgerSQLiteRecorder
from commands.store.waiting import LOCK_POLL
from domain.agreement import Agreement, agreement_uuid, project_agreement
from domain.chain import Sealed
from domain.errors import StoreError, UnknownAgreement
from domain.event_json import stored_json
from domain.events import EVENT_TYPES, AgreementRegistered, LedgerEvent

DEFAULT_STORE = "apa-ledger.sqlite"
STORE_ENV = "APA_LEDGER_STORE"
CIPHER_ENV = "APA_LEDGER_CIPHER_KEY"
TOPIC_PREFIX = "domain.events:"
TOPICS = {TOPIC_PREFIX + name: cls for name, cls in EVENT_TYPES.items()}  # stored topic -> event class
Reader = tuple[tuple[str, ...], Callable[..., Any], frozenset[tuple[str, ...]], Callable[..., Any]]
READERS: dict[str, Reader] = {}
"""Stored topic -> its rows' usual key order and their decoder, all their key orders and the
decoder of any of them, each made the first time a row of that topic is read (a command reads
a few of the event types; a worker starts sooner)."""


def _reader(topic: str, version: int) -> Reader:
    cls = TOPICS.get(topic)
    if cls is None:
        raise NotAsStored(f"position {version}: unknown event topic {topic[:60]!r}", parsed=False)
    reader = READERS[topic] = (usual_order(cls), usual_decoder(cls), key_orders(cls), trusted_decoder(cls))
    return reader


class PydanticMapper(Mapper[UUID]):
    """Maps pydantic ledger events to stored events: JSON, then compress, then encrypt."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event: LedgerEvent = domain_event
        return self.stored_event(event, stored_json(event))  # the ledger's one form of a stored event

    def stored_event(self, event: LedgerEvent, data: bytes) -> StoredEvent:
        """The stored event of ``event`` whose JSON is ``data``, its ``stored_json`` (as sealing
        wrote it: ``domain.chain.seal_row``), compressed, then encrypted."""
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        # StoredEvent(...) with its fields written to its __dict__ as its frozen dataclass's
        # __init__ writes them, less its four object.__setattr__ calls (one row an event).
        stored = _new(StoredEvent)
        fields = stored.__dict__
        fields["originator_id"] = event.originator_id
        fields["originator_version"] = event.originator_version
        fields["topic"] = get_topic(type(event))
        fields["state"] = data
        return stored

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Decode trusted stored data fast (commands.store.decode); ``validated`` re-checks every field."""
        s = stored_event
        return self.decode_row(s.originator_id, s.originator_version, s.topic, s.state)  # type: ignore[arg-type]

    def decode_rows(self, originator_id: UUID, rows: list[tuple[int, str, bytes]]) -> list[LedgerEvent]:
        """``to_domain_event`` for each of an aggregate's stored rows given as their columns
        (``LedgerStore.load``), in one loop rather than a call a row, because a replay reads them all.

        An event is read only if the stored bytes are exactly ``stored_json`` of it, the one
        form the ledger writes (``verify`` requires the same): a record edited behind the
        ledger's back is refused with its position, never read as something else. The loop
        takes a plaintext row with its class's usual keys (none omitted at its default present),
        the same bytes when written again, whose values its decoder takes; ``_read_other`` the rest."""
        events, loads, dumps, readers = [], orjson.loads, orjson.dumps, READERS
        plain = not (self.cipher or self.compressor)
        for version, topic, data in rows:
            reader = readers.get(topic)
            event = None
            if plain and reader is not None and type(data) is bytes:
                try:
                    state = loads(data)
                except orjson.JSONDecodeError:
                    state = None
                if type(state) is dict and tuple(state) == reader[0] and dumps(state) == data:
                    event = reader[1](state, originator_id, version)
            events.append(self._read_other(originator_id, version, topic, data) if event is None else event)
        return events

    def decode_row(self, originator_id: UUID, version: int, topic: str, data: bytes) -> LedgerEvent:
        """``decode_rows`` of one row."""
        return self.decode_rows(originator_id, [(version, topic, data)])[0]

    def _read_other(self, originator_id: UUID, version: int, topic: str, data: bytes) -> LedgerEvent:
        """A row ``decode_rows`` does not read in its loop: encrypted or compressed, with a field
        omitted at its default present, or not as the ledger writes it (then refused)."""
        usual, decode_usual, key_orders_of_topic, decode = READERS.get(topic) or _reader(topic, version)
        if self.cipher or self.compressor or type(data) is not bytes:
            data = self._plain(data)
        try:
            state = orjson.loads(data)  # as OrjsonTranscoder.decode reads it (once a row)
        except orjson.JSONDecodeError:
            raise NotAsStored(f"position {version}: the stored record is not JSON", parsed=False) from None
        if type(state) is not dict:
            raise NotAsStored(f"position {version}: the stored record is not a JSON object", parsed=False)
        # The converters check every value's text; what is left of the form is the spacing,
        # escapes and key order: the same bytes again, the keys in an order stored_json writes.
        # A row with the usual keys (none omitted at its default present) is read with the envelope
        # as arguments and without asking which keys it has.
        keys = tuple(state)
        usual_keys = keys == usual
        as_written = (usual_keys or keys in key_orders_of_topic) and orjson.dumps(state) == data
        if as_written and usual_keys:
            event = decode_usual(state, originator_id, version)
            if event is not None:
                return event
        state["originator_id"] = originator_id
        state["originator_version"] = version
        if as_written and not usual_keys:
            event = decode(state, _not_taken)
            if event is not None:
                return event
        try:  # not as the fast path takes it: is it the ledger's form all the same?
            event = TOPICS[topic].model_validate(state)
        except ValueError as exc:  # pydantic's ValidationError: a value the event refuses
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise NotAsStored(f"position {version}: the stored event cannot be read ({reason})") from None
        if stored_json(event) != data:
            raise NotAsStored(
                f"position {version}: the stored record is not in the form the ledger writes "
                "(edited outside the ledger?)"
            )
        return event

    def _plain(self, data: bytes | str) -> bytes:
        if type(data) is str:  # SQLite's replace() on the column turns it into TEXT
            data = data.encode()
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return data

    def validated(self, stored_event: StoredEvent) -> Any:
        """Decode with full pydantic validation (verify: nothing stored is taken on trust)."""
        cls, state = self._decode(stored_event)
        return cls.model_validate(state)

    def stored_bytes(self, stored_event: StoredEvent) -> bytes:
        """The stored JSON of ``stored_event`` as the ledger wrote it (decrypted, decompressed)."""
        return self._plain(stored_event.state)

    def _decode(self, stored_event: StoredEvent) -> tuple[type[LedgerEvent], dict[str, Any]]:
        cls = TOPICS.get(stored_event.topic)
        if cls is None:
            raise ValueError(f"unknown event topic {stored_event.topic!r}")
        s = stored_event
        return cls, self._state(s.originator_id, s.originator_version, s.state)  # type: ignore[arg-type]

    def _state(self, originator_id: UUID, version: int, data: bytes) -> dict[str, Any]:
        """The stored JSON (decrypted, decompressed, parsed) with the envelope the row holds."""
        state: dict[str, Any] = self.transcoder.decode(self._plain(data))
        state["originator_id"] = originator_id
        state["originator_version"] = version
        return state


_new = object.__new__


def _not_taken(state: dict[str, Any]) -> None:
    return None


class NotAsStored(StoreError):
    """A stored record the ledger cannot read as it wrote it: edited, or not the ledger's."""

    def __init__(self, message: str, parsed: bool = True) -> None:
        super().__init__(message, "tamper evidence")
        self.parsed = parsed  # the record is a JSON object (so a cipher key, if any, is right)


class OrjsonTranscoder(Transcoder):
    """JSON bytes via orjson; the events are already JSON-ready (pydantic ``mode="json"``)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


def utc_now() -> datetime:
    return datetime.now(UTC)


class LedgerStore(Application[UUID]):
    """The ledger's event store (the eventsourcing Application)."""

    env: ClassVar[dict[str, str]] = {
        "MAPPER_TOPIC": get_topic(PydanticMapper),
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
    }
    clock: Callable[[], datetime] = staticmethod(utc_now)

    def load(self, agreement_id: str) -> Agreement:
        """All events of one agreement, read by its id (no scan of the store)."""
        try:
            events = self.events_of(agreement_uuid(agreement_id))
        except NotAsStored as exc:
            raise StoreError(
                f"cannot read the events of {agreement_id!r}: {exc.message}; `apa-ledger verify` names every break",
                "tamper evidence",
            ) from None
        except StoreError:
            raise  # already one line (a store that stayed locked ...)
        except Exception as exc:
            hint = (
                "wrong or missing APA_LEDGER_CIPHER_KEY?" if "MAC" in str(exc) or "decode" in str(exc).lower() else ""
            )
            raise StoreError(
                f"cannot read the events of {agreement_id!r}: {type(exc).__name__} {hint}".rstrip(), "store"
            ) from None
        agreement = project_agreement(None, events)
        if agreement is None:
            raise UnknownAgreement(f"no agreement {agreement_id!r} in this store (create it with `apa-ledger new`)")
        return agreement

    def events_of(self, ident: UUID) -> list[LedgerEvent]:
        """The events of the aggregate ``ident``: the library's ``self.events.get(ident)``, without
        a StoredEvent per row (see commands/store/sqlite_recorder.py): the recorder's rows, decoded by
        the store's mapper."""
        return self.mapper.decode_rows(ident, self.recorder.select_rows(ident))  # type: ignore[attr-defined]

    def save(self, *objs: Sealed | LedgerEvent | None, **kwargs: Any) -> Any:
        """Map ledger events to stored events and insert them through the recorder, in one transaction.

        The ledger saves pydantic events, never aggregates, so the library's generic
        collect step (a runtime Protocol check per event) is skipped, and so are the ``Recording`` objects
        ``EventStore.put`` builds for the application's notification hooks, which the
        ledger does not use. An event sealed with its stored JSON (``domain.chain.Sealed``, what
        the handlers plan) is stored as those bytes, not written again. Returns the notification
        ids the recorder gives."""
        to_stored = self.mapper.stored_event  # type: ignore[attr-defined]
        rows = [obj if type(obj) is Sealed else Sealed(obj, stored_json(obj)) for obj in objs if obj is not None]  # type: ignore[arg-type]
        events = [event for event, _ in rows]
        stored = [to_stored(event, data) for event, data in rows]
        try:  # with the store chain's seal of each agreement appended to (commands.store.seals)
            return self.recorder.insert_events(stored, seals=tails(events), **kwargs)
        except IntegrityError:
            raise  # another writer appended first: the handlers re-read and retry
        except PersistenceError as exc:  # a full disk, a read-only file, a lost connection ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot append to the store: {reason}; nothing was appended", "store") from None

    def exists(self, agreement_id: str) -> bool:
        return bool(self.recorder.select_events(agreement_uuid(agreement_id), limit=1))

    def agreement_ids(self, *, as_written: bool = True) -> list[str]:
        """Every agreement in the store, from the notification log's AgreementRegistered records
        (read as ``to_domain_event`` reads them; ``verify`` passes ``as_written=False`` to list
        them through full validation, so that an edited registration is its break to name)."""
        read = self.mapper.to_domain_event if as_written else self.mapper.validated  # type: ignore[attr-defined]
        topic = get_topic(AgreementRegistered)
        ids, start = [], None
        while True:
            page = self.recorder.select_notifications(start, 500, topics=[topic], inclusive_of_start=start is None)
            for notification in page:
                ids.append(read(notification).agreement_id)
            if len(page) < 500:
                return ids
            start = page[-1].id

    def iter_stored(self, agreement_id: str) -> Iterator[StoredEvent]:
        yield from self.recorder.select_events(agreement_uuid(agreement_id))


def describe_store(url: str) -> str:
    """The store's location for messages, never with a password."""
    return describe_postgres(url) if is_postgres(url) else url


def store_url(explicit: str | None) -> str:
    """--store, else APA_LEDGER_STORE, else ./apa-ledger.sqlite."""
    return explicit or os.environ.get(STORE_ENV) or DEFAULT_STORE


def open_store(
    url: str | None = None,
    *,
    create: bool = True,
    clock: Callable[[], datetime] | None = None,
    cipher_key: str | None = None,
) -> LedgerStore:
    """Open (and by default create) the store named by ``url``; encrypted with ``cipher_key``
    (default: APA_LEDGER_CIPHER_KEY), whose fit with the stored events is checked at once."""
    from commands.store.cipher import check_readable, cipher_env

    url = store_url(url)
    if is_postgres(url):
        env = postgres_env(url)
        check_postgres(url, env, create, events_table=f"{LedgerStore.name.lower()}_events")
    else:
        path, made = sqlite_path(url, create)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": get_topic(LedgerSQLiteRecorder),
            "SQLITE_DBNAME": str(path),
            # the recorder waits for the write lock itself, a try of this long at a time
            "SQLITE_LOCK_TIMEOUT": str(LOCK_POLL),
        }
        if made and not create:  # a reader runs no DDL: it may not be allowed to write the file
            env["CREATE_TABLE"] = "n"
    key = os.environ.get(CIPHER_ENV) if cipher_key is None else cipher_key
    if key:
        env.update(cipher_env(key))
    try:
        store = construct_postgres(LedgerStore, env) if is_postgres(url) else LedgerStore(env=env)
    except Exception as exc:  # connection refused, unwritable file ...
        raise StoreError(f"cannot open the store {describe_store(url)}: {_redact(str(exc), url)}", "store") from exc
    check_readable(store, describe_store(url))
    sign_seals(store)
    if clock is not None:
        store.clock = clock  # type: ignore[method-assign]
    return store


def sign_seals(store: LedgerStore) -> None:
    """Sign the store chain's seals with the key $APA_LEDGER_SIGNING_KEY names, if it names one."""
    from commands.checkpoint import key_id, read_key

    key = read_key(None)
    if key is not None:
        store.recorder.signing_key = key  # type: ignore[attr-defined]
        store.recorder.key_id = key_id(key)  # type: ignore[attr-defined]


EVENT_COLUMNS = ["originator_id", "originator_version", "topic", "state"]
"""The library's events table, as ``SQLiteApplicationRecorder`` creates it."""


def sqlite_path(url: str, create: bool) -> tuple[Path, bool]:
    """The file of a SQLite store, checked before the library touches it: a file that would
    not be kept (``:memory:``, a ``file:`` URI, a device), an empty file opened for reading,
    or a database with other tables (a read model, another program's file) is refused with
    a StoreError and left as it is. Only a missing or empty file, or an empty database, is
    made a store, and only when ``create``. Returns the path and whether the store's tables
    are there already."""
    if ":memory:" in url or "mode=memory" in url or url.startswith("file:"):
        raise StoreError(f"{url[:200]!r} cannot be a store: nothing written there is kept (give a file path)", "store")
    path = Path(url)
    try:
        exists = path.exists()
        if not create and not exists:
            raise StoreError(f"no store at {url}", "store")
        if path.parent and not path.parent.exists():
            raise StoreError(f"directory {path.parent} does not exist for the store {url}", "store")
        if exists and not path.is_file():
            raise StoreError(f"{url} cannot be a store: it is not a regular file", "store")
        size = path.stat().st_size if exists else 0
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long ...
        raise StoreError(f"cannot open the store {url[:200]!r}: not a usable file name", "store") from exc
    if exists and size == 0 and not create:
        raise StoreError(f"no store at {url} (the file is empty)", "store")
    if size:
        tables = _sqlite_tables(path, url)
        if not tables and not create:
            raise StoreError(f"no store at {url} (an empty SQLite database)", "store")
        if tables and tables.get("stored_events") != EVENT_COLUMNS:
            kind = "a read model (`apa-ledger export`)" if "state_timeline" in tables else "another SQLite database"
            raise StoreError(f"{url} is not an apa-ledger store: it is {kind}; left as it is", "store")
        return path, bool(tables)
    return path, False


def _sqlite_tables(path: Path, url: str) -> dict[str, list[str]]:
    """Each table of the SQLite file and its columns, read without writing to it."""
    # Read through SQLite itself, never a plain open(): closing any other descriptor of the file
    # drops every POSIX lock this process holds on it, so a store this process already has open
    # would look unused to other processes (one would then delete the WAL it still reads).
    if not os.access(path, os.R_OK):
        raise StoreError(f"cannot read the store {url}: Permission denied", "store")
    try:
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=LOCK_POLL)
        try:
            names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            columns = "SELECT name FROM pragma_table_info(?)"
            return {name: [row[0] for row in db.execute(columns, (name,))] for name in names}
        finally:
            db.close()
    except sqlite3.Error as exc:
        if "not a database" in str(exc):
            what = "it is not a SQLite database; left as it is"
            raise StoreError(f"{url} is not an apa-ledger store: {what}", "store") from None
        hint = (
            " (this user may not write the store's directory, which SQLite needs)"
            if "readonly" in str(exc)
            else " (is the disk full? SQLite needs room beside the store even to read it)"
            if "disk I/O" in str(exc)
            else ""
        )
        raise StoreError(f"cannot read the store {url}: {exc}{hint}", "store") from None


def _redact(message: str, url: str) -> str:
    return redact(message, url)
