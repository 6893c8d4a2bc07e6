"""The whole store chained (issue 17, items 2-3): one seal row per agreement per append, in the
same transaction, signed with HMAC-SHA-256 when a signing key is configured.

Attacks are made as an attacker with write access would, with sqlite3 and (when a server is
there) psql-like statements through psycopg: a deleted agreement, a deleted seal, an event
appended outside the ledger, a store chain sealed again without the key, and on PostgreSQL
whitespace inside stored JSON and orphan rows. Stores made before the store chain keep
verifying and say where it begins.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from pathlib import Path

import pytest

from commands.api import Ledger
from commands.audit import verify_store
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.store.application import open_store
from domain.agreement import agreement_uuid
from domain.chain import canonical_json
from tests.ledger import OneAgreement, claim, closed, new_ledger, to_jsonl
from tests.postgres import fresh_schema, require_postgres


def two_agreements(book: OneAgreement) -> OneAgreement:
    book.apply(*closed())
    register_agreement(book.store, "APA-2")
    apply_facts(book.store, "APA-2", parse_jsonl(to_jsonl(*closed())))
    return book


def sql(path: Path, statement: str, *params: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(statement, params)


def test_every_append_seals_each_agreement_it_touches_in_order(book: OneAgreement) -> None:
    """Store chain: registration, batch, registration, batch: four seals, each naming its
    agreement's last position and count of events, chained from the genesis."""
    two_agreements(book)
    seals = book.store.recorder.select_seals()
    assert [(s.seq, s.position, s.count) for s in seals] == [(1, 1, 1), (2, 4, 3), (3, 1, 1), (4, 4, 3)]
    assert seals[0].prev == "0" * 64 and all(b.prev == a.seal for a, b in itertools.pairwise(seals))
    assert verify_store(book.store) == (True, "verified 2 agreements, 8 events: hash chains intact, replay clean")


def test_a_deleted_agreement_is_named_without_a_checkpoint(book: OneAgreement) -> None:
    """Store chain: every row of APA-2 deleted (what is left is a valid log): its seals name it."""
    two_agreements(book)
    sql(book.path, "DELETE FROM stored_events WHERE originator_id = ?", agreement_uuid("APA-2").hex)
    ok, message = verify_store(book.store)
    assert not ok and "store seal 3: agreement" in message and "not in the store" in message


def test_a_deleted_seal_or_a_batch_sealed_by_nobody_is_named(book: OneAgreement) -> None:
    """Store chain: a seal row deleted breaks the link of the next; an event appended with a
    valid hash but no seal (outside the ledger) is covered by no seal."""
    two_agreements(book)
    sql(book.path, "DELETE FROM stored_events_seals WHERE seq = 2")
    ok, message = verify_store(book.store)
    assert not ok and "store seal 3: it does not follow the seal before it" in message


def test_events_appended_outside_the_ledger_are_covered_by_no_seal(book: OneAgreement, tmp_path: Path) -> None:
    """Store chain: a batch written by a program that writes events but no seals (the library
    alone, an attacker's script) verifies as chains but is named as unsealed."""
    book.apply(*closed())
    store = book.store
    events = apply_facts(store, "APA", parse_jsonl(to_jsonl(claim("C1", "2003-06-02", "1000"))), dry_run=True).appended
    store.recorder.insert_events([store.mapper.to_stored_event(e) for e in events])  # no seals
    ok, message = verify_store(store)
    assert not ok and "agreement APA: positions 5-5 are covered by no store seal" in message


def test_a_store_chain_sealed_again_without_the_key_is_named(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keyed seals (17.3): with $APA_LEDGER_SIGNING_KEY every seal is HMAC-SHA-256; a seal
    recomputed without the key (plain SHA-256), whether it keeps its key id or drops it, is a
    break verify names when given the key; without the key verify says it did not check them."""
    from commands.checkpoint import new_key

    key = tmp_path / "signing.key"
    new_key(key)
    monkeypatch.setenv("APA_LEDGER_SIGNING_KEY", str(key))
    ledger = Ledger.open(book.path)
    ledger.apply("APA", closed()[:2])
    ledger.apply("APA", closed()[2:])
    assert ledger.verify().ok and "store chain signed with key" in ledger.verify().message
    with sqlite3.connect(book.path) as db:
        seq, origin, position, count, last, prev = db.execute(
            "SELECT seq, originator_id, position, count, hash, prev FROM stored_events_seals ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        body = {"seq": seq, "agreement": origin, "position": position, "count": count, "hash": last, "prev": prev}
        forged = hashlib.sha256(canonical_json({**body, "db_user": None})).hexdigest()
        db.execute("UPDATE stored_events_seals SET seal = ? WHERE seq = ?", [forged, seq])
    ok, message = Ledger.open(book.path).verify()
    assert not ok and f"store seal {seq} does not match what it seals" in message
    sql(book.path, "UPDATE stored_events_seals SET key_id = '' WHERE seq = ?", seq)
    ok, message = Ledger.open(book.path).verify()
    assert not ok and "not signed, after signed seals: the store chain was sealed again without the key" in message
    monkeypatch.delenv("APA_LEDGER_SIGNING_KEY")
    sql(book.path, "UPDATE stored_events_seals SET key_id = (SELECT key_id FROM stored_events_seals WHERE seq = 2)")
    ok, message = Ledger.open(book.path).verify()
    assert ok and "signatures not checked: no signing key given" in message


def test_a_store_made_before_the_store_chain_keeps_verifying_and_says_where_it_begins(book: OneAgreement) -> None:
    """Stores made before the store chain: with no seals at all, verify passes and says there is
    no store chain; appends after it are sealed and verify says from which notification."""
    book.apply(*closed())
    sql(book.path, "DROP TABLE stored_events_seals")  # as a store made before the store chain
    store = open_store(str(book.path))
    assert verify_store(store)[1].endswith(
        "; no store chain (a store made before it: every event is before its first seal)"
    )
    apply_facts(store, "APA", parse_jsonl(to_jsonl(claim("C1", "2003-06-02", "1000"))))
    ok, message = verify_store(store)
    assert ok and message.endswith("; no store chain before notification 5 (4 events recorded before it)")


@pytest.mark.postgres
def test_attacks_on_a_postgresql_store_are_named(tmp_path: Path) -> None:
    """Attacks through the database, as psql would make them: whitespace inside a stored JSON
    record, an orphan row, a deleted agreement, a deleted seal; each named by verify. The
    seals hold the server's current_user, written by the server."""
    admin = require_postgres()
    with fresh_schema() as url:
        book = new_ledger(tmp_path / "unused.sqlite", url=url)
        two_agreements(book)
        schema = url.rsplit("schema=", 1)[1]
        table, seals = f'"{schema}".ledgerstore_events', f'"{schema}".ledgerstore_events_seals'
        assert {s.db_user for s in book.store.recorder.select_seals()} == {"postgres"}
        assert verify_store(book.store)[0]

        def named(statement: str, params: tuple[object, ...], expected: str) -> None:
            admin.execute(statement, params)
            ok, message = verify_store(book.store)
            assert not ok and expected in message, message

        apa, apa2 = agreement_uuid("APA"), agreement_uuid("APA-2")
        spaced = f"UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'), %s, %s), 'UTF8') "
        where = "WHERE originator_id = %s AND originator_version = 3"
        named(
            spaced + where,
            ('"shares":25000', '"shares": 25000', apa),
            "position 3: the stored record is not in the form",
        )
        admin.execute(spaced + where, ('"shares": 25000', '"shares":25000', apa))
        orphan = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            f"SELECT gen_random_uuid(), 1, topic, state FROM {table} "
            "WHERE originator_id = %s AND originator_version = 2"
        )
        named(orphan, (apa,), "which no registered agreement has (an orphan row")
        admin.execute(f"DELETE FROM {table} WHERE originator_id NOT IN (%s, %s)", (apa, apa2))
        kept = admin.execute(f"SELECT * FROM {seals} WHERE seq = 2").fetchone()
        named(f"DELETE FROM {seals} WHERE seq = 2", (), "store seal 3: it does not follow the seal before it")
        admin.execute(f"INSERT INTO {seals} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", kept)
        assert verify_store(book.store)[0]
        ids = dict(
            admin.execute(
                f"SELECT originator_version, notification_id FROM {table} WHERE originator_id = %s", (apa,)
            ).fetchall()
        )
        swap = f"UPDATE {table} SET notification_id = %s WHERE originator_id = %s AND originator_version = %s"
        admin.execute(swap, (-1, apa, 2))
        admin.execute(swap, (ids[2], apa, 3))
        named(swap, (ids[3], apa, 2), "is logged after its position 3 (the log was reordered)")
        admin.execute(swap, (-1, apa, 2))
        admin.execute(swap, (ids[3], apa, 3))
        admin.execute(swap, (ids[2], apa, 2))
        assert verify_store(book.store)[0]
        named(f"DELETE FROM {table} WHERE originator_id = %s", (apa2,), "not in the store")
        book.store.close()


@pytest.mark.postgres
def test_a_postgresql_store_chain_sealed_again_without_the_key_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keyed seals on PostgreSQL: a seal rewritten as plain SHA-256 through the database, and
    then marked unsigned, are each named by verify given the key."""
    from commands.checkpoint import new_key, read_key

    admin = require_postgres()
    new_key(tmp_path / "signing.key")
    monkeypatch.setenv("APA_LEDGER_SIGNING_KEY", str(tmp_path / "signing.key"))
    with fresh_schema() as url:
        book = new_ledger(tmp_path / "unused.sqlite", url=url)
        two_agreements(book)
        key = read_key(None)
        assert verify_store(book.store, key=key)[0]
        seals = f'"{url.rsplit("schema=", 1)[1]}".ledgerstore_events_seals'
        row = admin.execute(f"SELECT seq, originator_id, position, count, hash, prev FROM {seals} WHERE seq = 4")
        seq, origin, position, count, last, prev = row.fetchone()
        body = {"seq": seq, "agreement": origin.hex, "position": position, "count": count, "hash": last, "prev": prev}
        forged = hashlib.sha256(canonical_json({**body, "db_user": "postgres"})).hexdigest()
        admin.execute(f"UPDATE {seals} SET seal = %s WHERE seq = 4", (forged,))
        ok, message = verify_store(book.store, key=key)
        assert not ok and "store seal 4 does not match what it seals" in message
        admin.execute(f"UPDATE {seals} SET key_id = '' WHERE seq = 4")
        ok, message = verify_store(book.store, key=key)
        assert not ok and "store seal 4 is not signed, after signed seals" in message
        book.store.close()


def test_a_store_chain_sealed_again_is_named_against_a_checkpoint(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What an unsigned store chain cannot show of itself - sealed again from scratch in another
    order, every agreement's events untouched - the checkpoint shows: it records the store head
    (the last seal), which must still be there."""
    from domain.chain import GENESIS, store_seal
    from tests.clirun import run_cli

    two_agreements(book)
    path = tmp_path / "c.json"
    assert run_cli(capsys, "--store", str(book.path), "checkpoint", "--out", str(path)).code == 0
    assert '"store_chain"' in path.read_text()
    with sqlite3.connect(book.path) as db:
        rows = db.execute(
            "SELECT originator_id, position, count, hash FROM stored_events_seals ORDER BY seq"
        ).fetchall()
        rows[2], rows[3] = rows[3], rows[2]
        db.execute("DELETE FROM stored_events_seals")
        prev = GENESIS
        for seq, (origin, position, count, last) in enumerate(rows, start=1):
            seal = store_seal(seq, origin, position, count, last, prev, None, None)
            db.execute(
                "INSERT INTO stored_events_seals VALUES (?, ?, ?, ?, ?, ?, ?, NULL, '')",
                [seq, origin, position, count, last, prev, seal],
            )
            prev = seal
    assert verify_store(book.store)[0]  # a valid store chain, sealed again
    done = run_cli(capsys, "--store", str(book.path), "verify", "--checkpoint", str(path))
    assert done.code == 1 and "store seal 4 of checkpoint" in done.err and "sealed again" in done.err


@pytest.mark.postgres
def test_history_on_postgresql_shows_the_role_the_server_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Provenance on PostgreSQL (17.4): history --json gives each event's db_user, the server's
    current_user that the insert wrote into its seal (not the client's --recorded-by), and the
    text history shows it beside the recorder."""
    import json

    from tests.clirun import run_cli

    require_postgres()
    with fresh_schema() as url:
        book = new_ledger(tmp_path / "unused.sqlite", url=url)
        Ledger.open(url).apply("APA", closed(), recorded_by="not-the-server")
        rows = json.loads(run_cli(capsys, "--store", url, "history", "APA", "--json").out)
        assert [(r["recorded_by"], r["db_user"]) for r in rows][1:] == [("not-the-server", "postgres")] * 3
        text = run_cli(capsys, "--store", url, "history", "APA").out.splitlines()
        assert text[-1].endswith("by not-the-server (database role postgres)")
        book.store.close()
