"""Backups that prove themselves (issue 17, item 5), and the restore drill of docs/reliability.md.

`apa-ledger backup --to FILE|-` copies the store (SQLite's online backup, in the same read
transaction as a checkpoint of the source), verifies the copy and requires its heads to be
exactly the checkpoint's; on PostgreSQL every event is copied into a SQLite file, which must
verify and extend the checkpoint taken first.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from commands.api import Ledger
from tests.clirun import run_cli
from tests.ledger import OneAgreement, claim, closed, new_ledger, resolve
from tests.postgres import fresh_schema, require_postgres


def cli(capsys: pytest.CaptureFixture[str], store: str | Path, *args: str) -> tuple[int, str, str]:
    done = run_cli(capsys, "--store", str(store), *args)
    return done.code, done.out, done.err


@pytest.fixture
def book_with_claims(book: OneAgreement) -> OneAgreement:
    book.apply(*closed(), claim("C1", "2003-06-02", "60000.00"), resolve("C1", "2003-07-01", "60000.00"))
    return book


def test_a_backup_is_the_store_and_proves_it(
    book_with_claims: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """backup --to FILE: the copy verifies, holds exactly the source's checkpoint (said in
    the summary) and reads event for event as the source."""
    copy = tmp_path / "backup.sqlite"
    code, out, err = cli(capsys, book_with_claims.path, "backup", "--to", str(copy))
    assert code == 0, err
    assert "backed up 1 agreement, 7 events" in out and "holds exactly the source's checkpoint" in out
    source = cli(capsys, book_with_claims.path, "history", "APA", "--json")[1]
    assert cli(capsys, copy, "history", "APA", "--json")[1] == source
    assert cli(capsys, copy, "verify")[0] == 0


def test_a_backup_to_stdout_is_the_same_file_proved_before_it_is_written(
    book_with_claims: OneAgreement, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    """backup --to -: the proved copy's bytes on stdout, the summary on stderr."""
    from commands.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--store", str(book_with_claims.path), "backup", "--to", "-"])
    assert exit_.value.code == 0
    captured = capfdbinary.readouterr()
    assert captured.out.startswith(b"SQLite format 3\x00") and b"holds exactly" in captured.err
    copy = tmp_path / "from-stdout.sqlite"
    copy.write_bytes(captured.out)
    assert Ledger.open(copy).verify().ok


def test_a_backup_never_overwrites_a_file(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Faults are one line and exit 2: --to an existing file is refused and the file left as it is."""
    kept = tmp_path / "kept.sqlite"
    kept.write_bytes(b"yesterday's backup")
    code, _, err = cli(capsys, book.path, "backup", "--to", str(kept))
    assert code == 2 and "exists" in err and len(err.splitlines()) == 1
    assert kept.read_bytes() == b"yesterday's backup"


def test_a_backup_of_a_tampered_store_does_not_prove_itself(
    book_with_claims: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup copies what is there: of a store edited behind the ledger's back (a space in
    a stored value), the copy fails its verify and backup exits 1 naming the break."""
    with sqlite3.connect(book_with_claims.path) as db:
        db.execute("UPDATE stored_events SET state = replace(state, '\"C1\"', '\"C1 \"') WHERE originator_version = 5")
    code, _, err = cli(capsys, book_with_claims.path, "backup", "--to", str(tmp_path / "b.sqlite"))
    assert code == 1
    assert "the copy does not verify" in err and "position 5" in err


def test_the_restore_drill_a_restored_backup_verifies_against_the_checkpoints_it_holds(
    book_with_claims: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The restore drill (docs/reliability.md): checkpoint, back up, go on recording and
    checkpoint again; the store is lost; the backup put back in its place verifies against the
    checkpoint taken with it, and against the later one it is named as rolled back - what the
    restore lost, to be recorded again."""
    store = book_with_claims.path
    with_backup, later = tmp_path / "with-backup.json", tmp_path / "later.json"
    assert cli(capsys, store, "checkpoint", "--out", str(with_backup))[0] == 0
    assert cli(capsys, store, "backup", "--to", str(tmp_path / "backup.sqlite"))[0] == 0
    book_with_claims.apply(claim("C2", "2003-08-01", "5000.00"))
    assert cli(capsys, store, "checkpoint", "--out", str(later))[0] == 0
    book_with_claims.store.close()
    for lost in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):  # a stale -wal would be replayed
        lost.unlink(missing_ok=True)
    shutil.copyfile(tmp_path / "backup.sqlite", store)
    code, _, err = cli(capsys, store, "verify", "--checkpoint", str(with_backup))
    assert code == 0, err
    code, _, err = cli(capsys, store, "verify", "--checkpoint", str(later))
    assert code == 1 and "agreement APA has 7 events" in err and "recorded 8" in err
    assert json.loads(later.read_text())["events"] == 8


@pytest.mark.postgres
def test_a_postgresql_store_is_backed_up_into_a_sqlite_file_that_proves_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """backup of a PostgreSQL store: every event copied into a new SQLite file, which verifies
    and extends the checkpoint taken first; the copy reads as the source."""
    require_postgres()
    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    with fresh_schema() as url:
        source = new_ledger(tmp_path / "unused.sqlite", url=url)
        source.apply(*closed(), claim("C1", "2003-06-02", "60000.00"), resolve("C1", "2003-07-01", "60000.00"))
        copy = tmp_path / "pg-backup.sqlite"
        code, out, err = cli(capsys, url, "backup", "--to", str(copy))
        assert code == 0, err
        assert "backed up 1 agreement, 7 events" in out and "extends the source's checkpoint" in out
        on_postgres = json.loads(cli(capsys, url, "history", "APA", "--json")[1])
        assert {row.pop("db_user") for row in on_postgres} == {"postgres"}  # the server's role, kept there
        assert json.loads(cli(capsys, copy, "history", "APA", "--json")[1]) == on_postgres
        source.store.close()
