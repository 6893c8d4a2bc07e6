"""The ledger's recorders are the library's, with a batched insert and lighter reads: same rows, same answers.

``commands/store/sqlite_recorder.py`` and ``commands/store/postgres_recorder.py`` are chosen through
eventsourcing's APPLICATION_RECORDER_TOPIC. These tests hold them to the library's own
recorder on the same table: every ``select_events`` filter gives the same stored events,
and the notification ids a batched insert reports are the rows' ids in the log.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from commands.store.application import open_store
from commands.store.sqlite_recorder import LedgerSQLiteRecorder
from domain.agreement import agreement_uuid
from domain.event_json import stored_json
from domain.terms import Terms
from tests.ledger import OneAgreement, claim, closed, margin, new_ledger, resolve


def _history(ledger: OneAgreement) -> None:
    ledger.apply(*closed(), margin("2003-01", "100000"), claim("C1", "2003-05-01", "60000"))
    ledger.apply(resolve("C1", "2003-06-01", "60000"))


def _library_recorder(ledger: OneAgreement) -> object:
    recorder = ledger.store.recorder
    if isinstance(recorder, LedgerSQLiteRecorder):
        return SQLiteApplicationRecorder(recorder.datastore, recorder.events_table_name)
    from eventsourcing.postgres import PostgresApplicationRecorder

    return PostgresApplicationRecorder(recorder.datastore, events_table_name=recorder.events_table_name)


def test_select_events_answers_as_the_library_recorder_does(ledger: OneAgreement) -> None:
    """Store (readings 21): every combination of the library's filters
    (gt, lte, desc, limit) returns the same stored events, in the same order, on both stores."""
    _history(ledger)
    ours, theirs = ledger.store.recorder, _library_recorder(ledger)
    assert type(ours).__name__ in {"LedgerSQLiteRecorder", "LedgerPostgresRecorder"}
    agreement = agreement_uuid(ledger.agreement_id)
    for gt, lte, desc, limit in itertools.product((None, 2, 5), (None, 4, 9), (False, True), (None, 1, 3)):
        mine = ours.select_events(agreement, gt=gt, lte=lte, desc=desc, limit=limit)
        library = theirs.select_events(agreement, gt=gt, lte=lte, desc=desc, limit=limit)  # type: ignore[attr-defined]
        assert mine == library, (gt, lte, desc, limit)
    assert len(ours.select_events(agreement)) == len(ledger.events()) >= 8
    assert ours.select_events(agreement_uuid("nobody")) == []


def test_select_events_takes_a_string_id_as_the_library_does(ledger: OneAgreement) -> None:
    """The library's recorders accept the originator id as a UUID or its text."""
    _history(ledger)
    agreement = agreement_uuid(ledger.agreement_id)
    by_text = ledger.store.recorder.select_events(str(agreement) if "postgres" in ledger.url else agreement.hex)
    assert [s.originator_version for s in by_text] == list(range(1, len(ledger.events()) + 1))
    assert all(s.originator_id == agreement for s in by_text)


def test_a_batched_insert_reports_the_ids_its_rows_have_in_the_notification_log(tmp_path: Path) -> None:
    """One executemany per batch: the ids it reports are exactly the rows' rowids, in order,
    as the notification log numbers them (SQLite holds one writer per transaction)."""
    ledger = new_ledger(tmp_path / "ids.sqlite")
    ledger.apply(*closed())
    stored = [ledger.store.mapper.to_stored_event(e) for e in ledger.store.load(ledger.agreement_id).events]
    other = open_store(str(tmp_path / "copy.sqlite"))
    ids = other.recorder.insert_events(stored)
    log = other.recorder.select_notifications(None, 100)
    assert ids == [n.id for n in log] == list(range(1, len(stored) + 1))
    assert other.recorder.insert_events([]) == []


def test_the_store_writes_the_ledgers_one_form_of_each_event(ledger: OneAgreement) -> None:
    """Chain: each stored row is ``stored_json`` of its sealed event (no cache between the seal
    and the store), which is byte for byte what dumping the event with pydantic gives."""
    _history(ledger)
    for event in ledger.events():
        again = event.model_dump(mode="json", exclude={"originator_id", "originator_version"}, by_alias=True)
        assert ledger.store.mapper.to_stored_event(event).state == stored_json(event) == orjson.dumps(again)


def test_the_mappers_stored_event_is_the_librarys_of_the_same_fields(ledger: OneAgreement) -> None:
    """Store: the stored event the mapper builds (its fields written to its ``__dict__``, not
    through the frozen dataclass's ``__init__``) is the library's ``StoredEvent`` of the same
    fields, and each row an append stored is those fields (the sealed bytes as they are)."""
    _history(ledger)
    rows = {s.originator_version: s for s in ledger.store.iter_stored(ledger.agreement_id)}
    for event in ledger.events():
        made = ledger.store.mapper.to_stored_event(event)
        expected = StoredEvent(
            event.originator_id, event.originator_version, get_topic(type(event)), stored_json(event)
        )
        assert made == expected
        assert vars(made) == vars(expected)
        row = rows[event.originator_version]
        assert (row.originator_id, row.topic, bytes(row.state)) == (event.originator_id, made.topic, made.state)


def test_decoded_terms_are_one_shared_value_per_distinct_terms(tmp_path: Path) -> None:
    """Preamble: agreements on the same terms decode to one (frozen) Terms; other terms,
    or the same terms listed in another order, stay their own value."""
    first = new_ledger(tmp_path / "terms.sqlite")
    store = first.store
    from commands.handlers import register_agreement

    register_agreement(store, "APA-2")
    reordered = Terms().model_copy(update={"representations": dict(reversed(list(Terms().representations.items())))})
    register_agreement(store, "APA-3", reordered)
    one, two, three = (store.load(a).terms for a in (first.agreement_id, "APA-2", "APA-3"))
    assert one is two and one == Terms()
    assert three is not one and list(three.representations) == list(reordered.representations)
