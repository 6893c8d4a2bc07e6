"""Tamper evidence of the whole store (issue 17, items 2-3): the notification log and checkpoints.

`verify` of the whole store accounts for every row of the log: a row of no registered agreement
(an orphan, or one whose registration was deleted) and a row logged before an earlier position
of its agreement (a reordered log) are breaks. What a valid chain cannot show - a whole agreement
deleted, last events deleted, the file rolled back to an older copy - is caught against a
checkpoint kept elsewhere (`apa-ledger checkpoint`, `verify --checkpoint`), signed with a key made
by `keygen --signing` so that it cannot be forged or altered without the key.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.store.application import open_store
from domain.agreement import agreement_uuid
from tests.clirun import run_cli
from tests.ledger import OneAgreement, claim, closed, to_jsonl


@pytest.fixture
def store(book: OneAgreement) -> Path:
    """Two agreements: APA and APA-2, each registered and closed (4 events)."""
    book.apply(*closed())
    register_agreement(book.store, "APA-2")
    apply_facts(book.store, "APA-2", parse_jsonl(to_jsonl(*closed())))
    return book.path


def sql(path: Path, statement: str, *params: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(statement, params)


def cli(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str]:
    run = run_cli(capsys, "--store", str(path), *args)
    return run.code, run.out + run.err


def test_a_checkpoint_of_an_untouched_store_is_extended(store: Path, capsys, tmp_path: Path) -> None:
    """checkpoint, then verify --checkpoint: exit 0 and the summary says how many checkpoints."""
    assert cli(capsys, store, "checkpoint", "--out", str(tmp_path / "c.json"))[0] == 0
    code, text = cli(capsys, store, "verify", "--checkpoint", str(tmp_path / "c.json"))
    assert code == 0 and "verified 2 agreements, 8 events" in text and "extends 1 checkpoint" in text


def test_a_deleted_agreement_is_named_against_a_checkpoint(store: Path, capsys, tmp_path: Path) -> None:
    """Every row of APA-2 deleted: the store chain names it (tests/test_store_chain.py); with the
    store chain dropped as well the rest looks like a store made before it, and only the
    checkpoint shows the agreement is gone."""
    cli(capsys, store, "checkpoint", "--out", str(tmp_path / "c.json"))
    sql(store, "DELETE FROM stored_events WHERE originator_id = ?", agreement_uuid("APA-2").hex)
    code, text = cli(capsys, store, "verify")
    assert code == 1 and "not in the store (the agreement or its registration was deleted)" in text
    sql(store, "DROP TABLE stored_events_seals")
    code, text = cli(capsys, store, "verify")
    assert code == 0 and "no store chain" in text  # what is left looks like a valid store
    code, text = cli(capsys, store, "verify", "--checkpoint", str(tmp_path / "c.json"))
    assert code == 1 and "agreement APA-2 of checkpoint" in text and "is gone" in text


def test_a_deleted_registration_leaves_orphan_rows_that_verify_names(store: Path, capsys) -> None:
    sql(
        store,
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 1",
        agreement_uuid("APA-2").hex,
    )
    code, text = cli(capsys, store, "verify")
    assert code == 1 and "which no registered agreement has" in text and str(agreement_uuid("APA-2")) in text


def test_an_orphan_row_is_named(store: Path, capsys) -> None:
    """A row copied under an agreement id that was never registered."""
    sql(
        store,
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
        "SELECT ?, originator_version, topic, state FROM stored_events WHERE originator_version = 2 LIMIT 1",
        agreement_uuid("APA-GHOST").hex,
    )
    code, text = cli(capsys, store, "verify")
    assert code == 1 and f"position 2 of {agreement_uuid('APA-GHOST')}" in text and "orphan" in text


def test_a_reordered_log_is_named(store: Path, capsys) -> None:
    """APA's positions 2 and 3 swap places in the notification log (their rowids exchanged)."""
    with sqlite3.connect(store) as db:
        where = "WHERE originator_id = ? AND originator_version = ?"
        ident = agreement_uuid("APA").hex
        (r2,), (r3,) = (db.execute(f"SELECT rowid FROM stored_events {where}", (ident, v)).fetchone() for v in (2, 3))
        db.execute("UPDATE stored_events SET rowid = -1 WHERE rowid = ?", (r2,))
        db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (r2, r3))
        db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = -1", (r3,))
    code, text = cli(capsys, store, "verify")
    assert code == 1 and "agreement APA position" in text and "the log was reordered" in text


def test_truncation_and_a_rolled_back_file_are_named_against_a_checkpoint(
    store: Path, capsys, book: OneAgreement, tmp_path: Path
) -> None:
    """An older copy of the file put back after more facts: every chain holds, the checkpoint does not."""
    older = tmp_path / "older.sqlite"
    with sqlite3.connect(store) as db, sqlite3.connect(older) as copy:
        db.backup(copy)
    book.apply(claim("C1", "2004-01-15", "30000"))
    cli(capsys, store, "checkpoint", "--out", str(tmp_path / "c.json"))
    with sqlite3.connect(older) as db, sqlite3.connect(store) as restored:
        db.backup(restored)  # the older copy put back, as a restore from backup would
    assert cli(capsys, store, "verify")[0] == 0
    code, text = cli(capsys, store, "verify", "--checkpoint", str(tmp_path / "c.json"))
    assert code == 1 and "agreement APA has 4 events, checkpoint" in text and "recorded 5" in text


def test_a_rewritten_chain_is_named_against_a_checkpoint(
    store: Path, capsys, book: OneAgreement, tmp_path: Path
) -> None:
    """The checkpoint's head replaced by another event at the same position: the store chain's
    seal of it names it, and without the store chain the checkpoint does."""
    cli(capsys, store, "checkpoint", "--out", str(tmp_path / "c.json"))
    sql(
        store, "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 4", agreement_uuid("APA").hex
    )
    book.store = open_store(str(store))
    book.apply(closed("2003-04-11")[-1])
    code, text = cli(capsys, store, "verify")
    assert code == 1 and "agreement APA position 4 is not the event sealed" in text
    sql(store, "DROP TABLE stored_events_seals")
    code, text = cli(capsys, store, "verify", "--checkpoint", str(tmp_path / "c.json"))
    assert code == 1 and "agreement APA, position 4: not the event checkpoint" in text


def test_a_signed_checkpoint_needs_its_key_and_cannot_be_altered(
    store: Path, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keygen --signing; a checkpoint signed with it verifies with it, not without it (exit 2), not
    with another key, and not once a figure in it is changed."""
    key, other = tmp_path / "signing.key", tmp_path / "other.key"
    assert cli(capsys, store, "keygen", "--signing", str(key))[0] == 0
    assert cli(capsys, store, "keygen", "--signing", str(other))[0] == 0
    assert cli(capsys, store, "keygen", "--signing", str(key))[0] == 2  # never overwritten
    monkeypatch.setenv("APA_LEDGER_SIGNING_KEY", str(key))
    path = tmp_path / "c.json"
    assert "signed with key" in cli(capsys, store, "checkpoint", "--out", str(path))[1]
    assert cli(capsys, store, "verify", "--checkpoint", str(path))[0] == 0
    monkeypatch.delenv("APA_LEDGER_SIGNING_KEY")
    assert cli(capsys, store, "verify", "--checkpoint", str(path))[0] == 2
    code, text = cli(capsys, store, "verify", "--checkpoint", str(path), "--key", str(other))
    assert code == 1 and "was signed with key" in text
    path.write_text(path.read_text().replace('"events": 4', '"events": 3', 1))
    code, text = cli(capsys, store, "verify", "--checkpoint", str(path), "--key", str(key))
    assert code == 1 and "the signature does not verify" in text


def test_a_checkpoint_file_that_is_not_one_is_a_user_error(store: Path, capsys, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[1]")
    code, text = cli(capsys, store, "verify", "--checkpoint", str(tmp_path / "x.json"))
    assert code == 2 and text.count("\n") == 1
