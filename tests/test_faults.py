"""Faults of the machine and of the store's path (issue 18 item 3, issue 19 item 5): each is one
line and exit 2, never an internal error, and nothing is appended or created.

The ledger rule pinned here is the batch's atomicity ("readings 20"): a fault
in the middle of a write leaves the store as it was, and the store still verifies.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import one_clear_line, run_cli, run_process, stored_count
from tests.ledger import fact, to_jsonl

HISTORY = to_jsonl(
    fact("EffectiveDateReached", "2002-12-06"),
    fact("ClosingOccurred", "2003-04-10"),
    *(
        fact("GrossMarginReported", f"2003-{m + 1:02d}-05", month=f"2003-{m:02d}", amount="70000.00")
        for m in range(4, 12)
    ),
)
MORE = to_jsonl(fact("GrossMarginReported", "2004-01-05", month="2003-12", amount="72000.00"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A SQLite store holding agreement APA with a short valid history."""
    path = tmp_path / "store.sqlite"
    assert run_cli(capsys, "--store", str(path), "new", "APA").code == 0
    source = tmp_path / "history.jsonl"
    source.write_bytes(HISTORY)
    assert run_cli(capsys, "--store", str(path), "apply", "APA", str(source)).code == 0
    return path


@pytest.mark.parametrize("known_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(
    "command", [["state", "APA"], ["history", "APA"], ["agreements"], ["diff", "APA", "--known-at"], ["explain", "APA"]]
)
def test_known_at_outside_the_utc_calendar_is_one_line(
    store: Path, capsys: pytest.CaptureFixture[str], command: list[str], known_at: str
) -> None:
    """readings 9. A --known-at whose UTC moment falls outside years 1-9999 is bad input
    (exit 2, one line naming the option), not an OverflowError."""
    if command[0] == "explain":
        command = [*command, "escrow.balance_shares"]
    args = [*command, known_at] if command[-1] == "--known-at" else [*command, "--known-at", known_at]
    run = run_cli(capsys, "--store", str(store), *args)
    assert one_clear_line(run), run
    assert "--known-at" in run.err and "out of range" in run.err


def test_known_at_at_the_edge_of_the_calendar_is_accepted(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """readings 9. The last representable moment (and the first) are valid times to ask about."""
    assert run_cli(capsys, "--store", str(store), "state", "APA", "--known-at", "9999-12-31T23:59:59Z").code == 0
    early = run_cli(capsys, "--store", str(store), "state", "APA", "--known-at", "0001-01-01T00:00:00Z")
    assert one_clear_line(early) and "not registered at that time" in early.err


@pytest.mark.parametrize("url", [":memory:", "file::memory:", "file:ledger?mode=memory&cache=shared", "file:x.sqlite"])
def test_a_store_that_cannot_persist_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Preamble: `new` must not say "registered" for a store that keeps nothing."""
    monkeypatch.chdir(tmp_path)
    run = run_cli(capsys, "--store", url, "new", "APA")
    assert one_clear_line(run) and "registered" not in run.out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["/dev/null", "."])
def test_a_store_path_that_is_not_a_regular_file_is_refused(capsys: pytest.CaptureFixture[str], name: str) -> None:
    """Preamble: a device or a directory cannot hold a ledger."""
    run = run_cli(capsys, "--store", name, "new", "APA")
    assert one_clear_line(run) and "not a regular file" in run.err


@pytest.mark.parametrize("command", [["agreements"], ["state", "APA"], ["history", "APA"], ["verify"], ["new", "B"]])
def test_a_read_model_is_refused_as_a_store_and_left_unchanged(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Preamble: the read model (`export`) holds no events; opening it as the store, to read or to
    write, is refused by its schema and does not add the events table to it."""
    model = tmp_path / "reporting.sqlite"
    assert run_cli(capsys, "--store", str(store), "export", "--to", str(model)).code == 0
    before = _digest(model)
    run = run_cli(capsys, "--store", str(model), *command)
    assert one_clear_line(run) and "read model" in run.err
    assert _digest(model) == before


@pytest.mark.parametrize("command", [["agreements"], ["new", "B"]])
def test_another_sqlite_database_is_refused_and_left_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Preamble: a SQLite file of another program is not a ledger, whatever the command."""
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
    db.close()
    before = _digest(other)
    run = run_cli(capsys, "--store", str(other), *command)
    assert one_clear_line(run) and "another SQLite database" in run.err
    assert _digest(other) == before


def test_a_file_that_is_not_sqlite_is_refused_and_left_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Preamble: a text file given as the store is refused, not overwritten."""
    notes = tmp_path / "notes.txt"
    notes.write_text("minutes of the closing\n")
    run = run_cli(capsys, "--store", str(notes), "new", "APA")
    assert one_clear_line(run) and "not a SQLite database" in run.err
    assert notes.read_text() == "minutes of the closing\n"


@pytest.mark.parametrize("command", [["agreements"], ["state", "APA"], ["history", "APA"], ["verify"]])
def test_a_read_leaves_a_zero_byte_file_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Preamble: a read-only command finds no store in an empty file and does not make one."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    run = run_cli(capsys, "--store", str(empty), *command)
    assert one_clear_line(run) and "no store at" in run.err
    assert empty.stat().st_size == 0


def test_new_makes_a_store_of_a_zero_byte_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Preamble: `new` may make the store in an empty file (as in a missing one)."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert run_cli(capsys, "--store", str(empty), "new", "APA").code == 0
    assert stored_count(empty) == 1


@pytest.fixture
def full_disk(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on every SQLite connection the ledger opens is capped at the pages its file
    has (``max_page_count``): the next write that needs a page fails with SQLITE_FULL, as
    on a full disk."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    with sqlite3.connect(store) as db:  # the WAL folded in: the file holds every page it has
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    create = SQLiteConnectionPool._create_connection

    def at_its_size(self: SQLiteConnectionPool) -> Any:
        connection = create(self)
        raw = connection._sqlite_conn
        raw.execute(f"PRAGMA max_page_count = {max(raw.execute('PRAGMA page_count').fetchone()[0], 1)}")
        return connection

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", at_its_size)
    monkeypatch.setenv("APA_LEDGER_WRITE_TIMEOUT", "0")


def test_a_full_disk_appends_nothing_and_the_store_still_verifies(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], full_disk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """readings 20. A batch that the disk cannot hold is refused in one line; the
    store keeps every event it had and its chains still verify."""
    big = tmp_path / "big.jsonl"
    claims = (
        fact("ClaimAsserted", "2003-06-01", claim_id=f"C{n}", claimant="buyer", sections=["2.14"], amount="1")
        for n in range(300)
    )
    big.write_bytes(to_jsonl(*claims))
    before = stored_count(store)
    run = run_cli(capsys, "--store", str(store), "apply", "APA", str(big))
    assert one_clear_line(run) and "full" in run.err and "nothing was appended" in run.err, run
    monkeypatch.undo()
    assert stored_count(store) == before
    assert run_cli(capsys, "--store", str(store), "verify").code == 0


def test_a_full_disk_under_export_is_one_line(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], full_disk: None
) -> None:
    """A read model the disk cannot hold is a fault of the machine: one line, exit 2."""
    model = tmp_path / "reporting.sqlite"
    model.touch()
    run = run_cli(capsys, "--store", str(store), "export", "--to", str(model))
    assert one_clear_line(run) and "full" in run.err, run


class _NoRoom:
    """A file opened for writing on a full disk: every write fails with ENOSPC, nothing lands."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def write(self, data: bytes) -> int:
        import errno

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)

    def __enter__(self) -> _NoRoom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def _fill(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on ``directory`` is on a disk that is full: a file opened for writing there (by
    ``open`` or ``Path.write_bytes`` alike) may be created, but every write to it fails with ENOSPC."""
    import builtins
    import io

    real_open = io.open

    def open_on_a_full_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened = real_open(file, mode, *args, **kwargs)
        writes = any(letter in mode for letter in "wxa+")
        inside = isinstance(file, str | os.PathLike) and Path(file).parent == directory
        return _NoRoom(opened) if writes and inside else opened

    monkeypatch.setattr(io, "open", open_on_a_full_disk)
    monkeypatch.setattr(builtins, "open", open_on_a_full_disk)


@pytest.mark.parametrize(
    "command",
    [
        ["calendar", "APA", "--remind", "{n}", "--out", "{out}/duties.ics"],
        ["report", "APA", "--as-of", "2004-0{n}-30", "--out", "{out}/report.html"],
        ["checkpoint", "--out", "{out}/heads.json"],
    ],
)
def test_a_full_disk_leaves_the_previous_output_file_as_it_was(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file a command writes (`calendar --out`, `report --out`, `checkpoint --out`) on a disk
    that fills up is one line and exit 2, and the file written before is neither emptied nor
    cut short: the new one is written beside it and renamed over it only once whole."""
    out = tmp_path / "out"
    out.mkdir()
    assert run_cli(capsys, "--store", str(store), *[part.format(n=3, out=out) for part in command]).code == 0
    [written] = out.iterdir()
    before = written.read_bytes()
    if command[0] == "checkpoint":  # a new checkpoint of a store that moved on
        source = tmp_path / "more.jsonl"
        source.write_bytes(MORE)
        assert run_cli(capsys, "--store", str(store), "apply", "APA", str(source)).code == 0
    _fill(out, monkeypatch)
    run = run_cli(capsys, "--store", str(store), *[part.format(n=4, out=out) for part in command])
    monkeypatch.undo()
    assert one_clear_line(run) and "No space left on device" in run.err and "is as it was" in run.err, run
    assert list(out.iterdir()) == [written]
    assert written.read_bytes() == before


def test_a_full_disk_under_a_first_calendar_leaves_no_file(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first `calendar --out` on a full disk leaves no file (an empty .ics is not a calendar)."""
    out = tmp_path / "out"
    out.mkdir()
    _fill(out, monkeypatch)
    run = run_cli(capsys, "--store", str(store), "calendar", "APA", "--out", str(out / "duties.ics"))
    monkeypatch.undo()
    assert one_clear_line(run) and "No space left on device" in run.err and "nothing was written" in run.err, run
    assert list(out.iterdir()) == []


def _hold_write_lock(path: Path, seconds: float, held: threading.Event, release: threading.Event | None = None) -> None:
    """Another process's write lock held for ``seconds``, or until ``release`` is set."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    held.set()
    (release or threading.Event()).wait(seconds)
    db.execute("ROLLBACK")
    db.close()


def test_a_locked_store_is_waited_for_within_the_timeout_then_one_line(store: Path, tmp_path: Path) -> None:
    """readings 20. While another process holds the write lock a writer says that it
    waits, gives up after $APA_LEDGER_WRITE_TIMEOUT seconds with one line, and appends nothing."""
    source = tmp_path / "more.jsonl"
    source.write_bytes(MORE)
    before = stored_count(store)
    held, released = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(store, 60, held, released))
    holder.start()
    held.wait()
    started = time.monotonic()
    run = run_process("--store", str(store), "apply", "APA", str(source), env={"APA_LEDGER_WRITE_TIMEOUT": "2"})
    waited = time.monotonic() - started
    released.set()  # the lock was held until the writer ended: it gave up, it did not land
    holder.join()
    lines = run.err.splitlines()
    assert run.code == 2 and len(lines) == 2 and "Traceback" not in run.err, run
    assert "waiting up to 2 s" in lines[0] and "stayed locked" in lines[1] and "nothing was appended" in lines[1]
    assert 2 <= waited < 15  # ten waits of the timeout (the library's retry) would be 20 s
    assert stored_count(store) == before


def test_a_writer_lands_once_the_lock_is_released(store: Path, tmp_path: Path) -> None:
    """A lock held for less than the timeout only delays the batch: the lock is released only
    after the writer has said that it waits, however slowly the writer's process starts."""
    import subprocess

    from tests.clirun import APA_LEDGER

    source = tmp_path / "more.jsonl"
    source.write_bytes(MORE)
    before = stored_count(store)
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    writer = subprocess.Popen(
        [APA_LEDGER, "--store", str(store), "apply", "APA", str(source)],
        env={**os.environ, "APA_LEDGER_WRITE_TIMEOUT": "60"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert writer.stderr is not None
    said = writer.stderr.readline().decode()
    db.execute("ROLLBACK")
    db.close()
    _, err = writer.communicate(timeout=60)
    assert "waiting up to 60 s" in said, said + err.decode()
    assert writer.returncode == 0, err.decode()
    assert stored_count(store) == before + 1


def _portfolio(tmp_path: Path, count: int = 24) -> Path:
    from tests.ledger import write_portfolio

    return write_portfolio(
        tmp_path / "portfolio", {f"A{n:02d}": [fact("EffectiveDateReached", "2002-12-06")] for n in range(count)}
    )


def test_import_workers_say_once_that_they_wait_then_give_up_together(store: Path, tmp_path: Path) -> None:
    """readings 20. The processes of one `import --workers` wait for the same lock: the user is
    told once (not once per worker), and when the wait runs out the command ends in one line,
    exit 2, nothing appended."""
    portfolio = _portfolio(tmp_path)
    before = stored_count(store)
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")  # held until every process of the import has ended
    run = run_process(
        "--store", str(store), "import", str(portfolio), "--workers", "3", env={"APA_LEDGER_WRITE_TIMEOUT": "2"}
    )
    db.execute("ROLLBACK")
    db.close()
    lines = run.err.splitlines()
    assert run.code == 2 and "Traceback" not in run.err, run
    assert [line for line in lines if "waiting up to 2 s" in line] == [lines[0]], lines
    assert len(lines) == 2 and "stayed locked" in lines[1], lines
    assert stored_count(store) == before


def test_import_workers_say_once_that_they_wait_then_all_land(store: Path, tmp_path: Path) -> None:
    """A lock released in time: the import's processes said once that they wait, and every file
    then lands, each once."""
    import subprocess

    from tests.clirun import APA_LEDGER

    portfolio = _portfolio(tmp_path)
    before = stored_count(store)
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    importer = subprocess.Popen(
        [APA_LEDGER, "--store", str(store), "import", str(portfolio), "--workers", "3"],
        env={**os.environ, "APA_LEDGER_WRITE_TIMEOUT": "60"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert importer.stderr is not None
    said = importer.stderr.readline().decode()
    time.sleep(1)  # the workers find the lock held too (they wait in silence)
    db.execute("ROLLBACK")
    db.close()
    _, err = importer.communicate(timeout=60)
    assert "waiting up to 60 s" in said and err == b"", said + err.decode()
    assert importer.returncode == 0
    assert stored_count(store) == before + 2 * 24  # each agreement registered, then its one fact


def test_processes_waiting_together_say_it_once_and_give_up_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """readings 20 (``waiting.together``). Of the processes of one command waiting for one lock
    only the first says so; one giving up ends the others' wait at their next try; a process that
    gets past the lock ends the wait, so the next is said again."""
    import multiprocessing

    from commands.store import waiting
    from domain.errors import StoreError

    said: list[str] = []
    monkeypatch.setattr(waiting, "notice", said.append)
    monkeypatch.setattr(waiting, "together", multiprocessing.get_context("spawn").Value("i", waiting.IDLE))
    monkeypatch.setattr(waiting, "LOCK_POLL", 0)
    monkeypatch.setenv("APA_LEDGER_WRITE_TIMEOUT", "3600")
    held = {"lock": True}

    @waiting.while_locked(lambda exc: isinstance(exc, TimeoutError))
    def write(tries: list[int], limit: int) -> str:
        tries.append(1)
        if held["lock"] and len(tries) < limit:
            raise TimeoutError
        return "landed"

    first: list[int] = []
    assert write(first, 3) == "landed" and len(said) == 1  # waited, said once, got past the lock
    assert waiting.together.value == waiting.IDLE
    waiting.together.value = waiting.WAITING  # another process is waiting for the lock now
    assert write([], 3) == "landed" and len(said) == 1  # waits in silence
    waiting.together.value = waiting.GAVE_UP  # ... and has given up
    tries: list[int] = []
    with pytest.raises(StoreError, match="stayed locked"):
        write(tries, 10**6)
    assert len(tries) == 1 and len(said) == 1
    held["lock"] = False
    assert write([], 1) == "landed" and waiting.together.value == waiting.IDLE  # got past: a new wait is said
    held["lock"] = True
    assert write([], 2) == "landed" and len(said) == 2


def test_a_bad_write_timeout_is_one_line(store: Path, tmp_path: Path) -> None:
    """$APA_LEDGER_WRITE_TIMEOUT must be seconds from 0 to 3600."""
    source = tmp_path / "more.jsonl"
    source.write_bytes(MORE)
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(store, 3, held))
    holder.start()
    held.wait()
    run = run_process("--store", str(store), "apply", "APA", str(source), env={"APA_LEDGER_WRITE_TIMEOUT": "soon"})
    holder.join()
    assert one_clear_line(run) and "APA_LEDGER_WRITE_TIMEOUT" in run.err, run


def _as_another_user(*args: str) -> Any:
    """`apa-ledger ARGS` as the unprivileged user 'nobody' when the tests run as root (root may
    read and write any file), through setpriv; skipped if that cannot run the ledger."""
    if os.geteuid() != 0:
        return run_process(*args)
    import shutil
    import subprocess

    from tests.clirun import APA_LEDGER, Run

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no unprivileged user to try it as")
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    if subprocess.run([*nobody, APA_LEDGER, "--help"], capture_output=True, timeout=60).returncode != 0:
        pytest.skip("the user 'nobody' cannot run this virtual environment's apa-ledger")
    done = subprocess.run([*nobody, APA_LEDGER, *args], capture_output=True, timeout=60, cwd="/")
    return Run(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user may enter (pytest's own are private to this user)."""
    directory = Path(tempfile.mkdtemp(prefix="apa-faults-"))
    directory.chmod(0o755)
    yield directory
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()


def test_a_store_the_user_may_not_write_is_one_line(
    store: Path, shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store the user may only read: reads work, an append is refused in one line, nothing appended."""
    copy = shared_dir / "store.sqlite"
    with sqlite3.connect(store) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    target.close()
    with sqlite3.connect(copy) as db:
        db.execute("PRAGMA journal_mode=DELETE")  # a reader needs no -shm file it cannot create
    db.close()
    copy.chmod(0o644)
    (shared_dir / "more.jsonl").write_bytes(MORE)
    before = stored_count(copy)
    run = _as_another_user("--store", str(copy), "apply", "APA", str(shared_dir / "more.jsonl"))
    assert one_clear_line(run), run
    assert stored_count(copy) == before


def test_a_store_the_user_may_not_read_is_one_line(store: Path, shared_dir: Path) -> None:
    """A store the user may not read at all is one line, for a read as for a write."""
    copy = shared_dir / "store.sqlite"
    copy.write_bytes(store.read_bytes())
    copy.chmod(0o600 if os.geteuid() == 0 else 0o000)
    for command in (["state", "APA"], ["new", "B"]):
        run = _as_another_user("--store", str(copy), *command)
        assert one_clear_line(run) and "cannot read the store" in run.err, run


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["agreements"], ["state", "APA"], ["history", "APA"], ["verify"]])
def test_a_read_of_an_empty_postgres_database_creates_nothing(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Issue 19 item 5: a read-only command on a schema with no ledger says so in one line and
    creates no table, function or type there."""
    from tests.postgres import fresh_schema, require_postgres

    with fresh_schema() as url:
        schema = url.rsplit("schema=", 1)[1]
        run = run_cli(capsys, "--store", url, *command)
        assert one_clear_line(run) and "no ledger in" in run.err, run
        conn = require_postgres()
        objects = conn.execute(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = %s)"
            " + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = %s)"
            " + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE nspname = %s)",
            (schema, schema, schema),
        ).fetchone()[0]
        assert objects == 0


def _hold_postgres_lock(
    url: str, statement: str, seconds: float, held: threading.Event, release: threading.Event | None = None
) -> None:
    """Another session's transaction holding ``statement``'s lock for ``seconds`` or until
    ``release`` is set (as psql's ``BEGIN; LOCK TABLE ...;`` left open), then rolled back."""
    from commands.store.postgres import connect_direct, postgres_env

    with connect_direct(postgres_env(url)) as other, other.transaction(force_rollback=True):
        other.execute(statement)
        held.set()
        (release or threading.Event()).wait(seconds)


def _postgres_count(url: str) -> int:
    """Rows in the PostgreSQL store's event table, read directly (no ledger code involved)."""
    from tests.postgres import require_postgres

    return int(require_postgres().execute(f"SELECT count(*) FROM {_postgres_table(url)}").fetchone()[0])


def _postgres_table(url: str) -> str:
    return f'"{url.rsplit("schema=", 1)[1]}".ledgerstore_events'


@pytest.fixture
def postgres_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[str]:
    """A PostgreSQL store (a fresh schema) holding agreement APA with a short valid history."""
    from tests.postgres import fresh_schema

    with fresh_schema() as url:
        assert run_cli(capsys, "--store", url, "new", "APA").code == 0
        source = tmp_path / "history.jsonl"
        source.write_bytes(HISTORY)
        assert run_cli(capsys, "--store", url, "apply", "APA", str(source)).code == 0
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize(
    "lock",
    [
        "LOCK TABLE {table} IN EXCLUSIVE MODE",  # a table lock left open in psql
        "SELECT 1 FROM {table} FOR UPDATE",  # row locks: their ROW SHARE holds the insert's table lock
    ],
)
def test_a_locked_postgres_store_is_waited_for_within_the_timeout_then_one_line(
    postgres_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], lock: str
) -> None:
    """readings 20. As on SQLite: while another session holds a lock the append needs, a writer
    says that it waits, gives up after $APA_LEDGER_WRITE_TIMEOUT seconds with one line, appends
    nothing, and the store still verifies."""
    source = tmp_path / "more.jsonl"
    source.write_bytes(MORE)
    before = _postgres_count(postgres_store)
    held, released = threading.Event(), threading.Event()
    statement = lock.format(table=_postgres_table(postgres_store))
    holder = threading.Thread(target=_hold_postgres_lock, args=(postgres_store, statement, 60, held, released))
    holder.start()
    held.wait()
    started = time.monotonic()
    run = run_process("--store", postgres_store, "apply", "APA", str(source), env={"APA_LEDGER_WRITE_TIMEOUT": "2"})
    waited = time.monotonic() - started
    released.set()  # the lock was held until the writer ended: it gave up, it did not land
    holder.join()
    lines = run.err.splitlines()
    assert run.code == 2 and len(lines) == 2 and "Traceback" not in run.err, run
    assert "waiting up to 2 s" in lines[0] and "stayed locked" in lines[1] and "nothing was appended" in lines[1]
    assert 2 <= waited < 15  # ten waits of the timeout (the library's retry) would be 20 s
    assert _postgres_count(postgres_store) == before
    assert run_cli(capsys, "--store", postgres_store, "verify").code == 0


def _run_behind_postgres_lock(store: str, mode: str, *args: str) -> tuple[str, bytes, bytes, int]:
    """``apa-ledger --store STORE ARGS`` while another session holds the events table in ``mode``,
    released once the command has said (its first line on stderr) that it waits: that line, the
    command's stdout and the rest of its stderr, and its exit code."""
    import subprocess

    from commands.store.postgres import connect_direct, postgres_env
    from tests.clirun import APA_LEDGER

    with connect_direct(postgres_env(store)) as other:
        with other.transaction(force_rollback=True):
            other.execute(f"LOCK TABLE {_postgres_table(store)} IN {mode} MODE")
            command = subprocess.Popen(
                [APA_LEDGER, "--store", store, *args],
                env={**os.environ, "APA_LEDGER_WRITE_TIMEOUT": "60"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            assert command.stderr is not None
            said = command.stderr.readline().decode()
        out, err = command.communicate(timeout=60)
    return said, out, err, command.returncode


@pytest.mark.postgres
def test_a_postgres_writer_lands_once_the_lock_is_released(postgres_store: str, tmp_path: Path) -> None:
    """A table lock held for less than the timeout only delays the batch: the lock is released
    only after the writer has said that it waits, however slowly the writer's process starts."""
    source = tmp_path / "more.jsonl"
    source.write_bytes(MORE)
    before = _postgres_count(postgres_store)
    said, _, err, code = _run_behind_postgres_lock(postgres_store, "EXCLUSIVE", "apply", "APA", str(source))
    assert "waiting up to 60 s" in said, said + err.decode()
    assert code == 0, err.decode()
    assert _postgres_count(postgres_store) == before + 1


@pytest.mark.postgres
def test_a_locked_postgres_store_is_waited_for_as_announced_without_the_insert_function(
    postgres_store: str, tmp_path: Path
) -> None:
    """readings 20. A role that may not create the insert function appends in the library's
    transaction: a held table lock is waited for as announced there too (not once per one of
    the library's ten tries), then one line, nothing appended."""
    from psycopg import sql

    from commands.store.postgres_recorder import insert_function_name
    from tests.postgres import require_postgres

    admin = require_postgres()
    schema = sql.Identifier(postgres_store.rsplit("schema=", 1)[1])
    name = f"apa_clerk_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    role = sql.Identifier(name)
    admin.execute(
        sql.SQL("DROP FUNCTION {}.{}").format(schema, sql.Identifier(insert_function_name("ledgerstore_events")))
    )
    admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
    try:
        for grant in (
            "GRANT USAGE ON SCHEMA {s} TO {r}",
            "GRANT SELECT, INSERT, UPDATE ON {s}.ledgerstore_events TO {r}",
            "GRANT SELECT, INSERT ON {s}.ledgerstore_events_seals TO {r}",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        ):
            admin.execute(sql.SQL(grant).format(s=schema, r=role))
        clerk = postgres_store.replace("postgresql://postgres@", f"postgresql://{name}@")
        source = tmp_path / "more.jsonl"
        source.write_bytes(MORE)
        before = _postgres_count(postgres_store)
        held, released = threading.Event(), threading.Event()
        statement = f"LOCK TABLE {_postgres_table(postgres_store)} IN EXCLUSIVE MODE"
        holder = threading.Thread(target=_hold_postgres_lock, args=(postgres_store, statement, 60, held, released))
        holder.start()
        held.wait()
        started = time.monotonic()
        run = run_process("--store", clerk, "apply", "APA", str(source), env={"APA_LEDGER_WRITE_TIMEOUT": "2"})
        waited = time.monotonic() - started
        released.set()  # the lock was held until the writer ended: it gave up, it did not land
        holder.join()
        assert run.code == 2 and "waiting up to 2 s" in run.err and "stayed locked" in run.err, run
        assert 2 <= waited < 15  # ten waits of the timeout (the library's retry) would be 20 s
        assert _postgres_count(postgres_store) == before
    finally:
        admin.execute(sql.SQL("DROP OWNED BY {}").format(role))
        admin.execute(sql.SQL("DROP ROLE {}").format(role))


READS_AND_WRITES = [
    ["apply", "APA", "{more}"],
    ["new", "B"],
    ["state", "APA"],
    ["history", "APA"],
    ["explain", "APA", "earnout"],
    ["agreements"],
    ["verify"],
    ["export", "--to", "{out}/model.sqlite"],
    ["calendar", "APA", "--out", "{out}/duties.ics"],
    ["checkpoint", "--out", "{out}/heads.json"],
]


@pytest.mark.postgres
def test_every_command_waits_for_a_postgres_access_exclusive_lock_as_announced_then_one_line(
    postgres_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """readings 20. Another session's bare `LOCK TABLE ... IN ACCESS EXCLUSIVE MODE` blocks even
    the read before an append: every command, reading or writing, waits for it as an append
    waits (said once), gives up after $APA_LEDGER_WRITE_TIMEOUT with one line and exit 2 while
    the lock is still held, and nothing is appended or written. The line says what did not
    happen: a read-only command that the store was not changed, never that nothing was appended."""
    import subprocess

    from commands.store.postgres import connect_direct, postgres_env
    from tests.clirun import APA_LEDGER

    more = tmp_path / "more.jsonl"
    more.write_bytes(MORE)
    out = tmp_path / "out"
    out.mkdir()
    before = _postgres_count(postgres_store)
    env = {**os.environ, "APA_LEDGER_WRITE_TIMEOUT": "2"}
    with connect_direct(postgres_env(postgres_store)) as other, other.transaction(force_rollback=True):
        other.execute(f"LOCK TABLE {_postgres_table(postgres_store)} IN ACCESS EXCLUSIVE MODE")
        commands = [[part.format(more=more, out=out) for part in command] for command in READS_AND_WRITES]
        running = [
            subprocess.Popen(
                [APA_LEDGER, "--store", postgres_store, *command],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for command in commands
        ]
        ended = [process.communicate(timeout=60) for process in running]  # the lock is held all along
    for command, process, (_, err) in zip(commands, running, ended, strict=True):
        lines = err.decode().splitlines()
        assert process.returncode == 2 and len(lines) == 2 and "Traceback" not in err.decode(), (command, lines)
        assert "waiting up to 2 s" in lines[0] and "stayed locked" in lines[1], (command, lines)
        if command[0] not in ("apply", "new"):  # a read-only command never says it appended nothing
            assert "; the store was not changed" in lines[1] and "appended" not in lines[1], (command, lines)
        else:
            assert "; the store was not changed" in lines[1] or "; nothing was appended" in lines[1], (command, lines)
    assert list(out.iterdir()) == []
    assert _postgres_count(postgres_store) == before
    assert run_cli(capsys, "--store", postgres_store, "verify").code == 0


@pytest.mark.postgres
def test_a_postgres_read_lands_once_the_lock_is_released(postgres_store: str) -> None:
    """A read held up by an ACCESS EXCLUSIVE lock only waits: the lock is released once the
    reader has said that it waits, and the reader then answers as usual."""
    said, out, err, code = _run_behind_postgres_lock(
        postgres_store, "ACCESS EXCLUSIVE", "state", "APA", "--as-of", "2004-01-31", "--json"
    )
    assert "waiting up to 60 s" in said, said + err.decode()
    assert code == 0 and err == b"", err.decode()
    assert b'"agreement_id"' in out


def test_opening_a_store_twice_keeps_the_first_connection_current(store: Path, tmp_path: Path) -> None:
    """A process that opens a store it already has open (as `export --follow` or the API may)
    must keep seeing what other processes append: checking the second opening's file must not
    drop the locks the first connection holds, or another writer deletes the WAL it reads."""
    from commands.store.application import open_store

    first = open_store(str(store), create=False)
    before = len(first.load("APA").events)
    open_store(str(store), create=False).close()
    source = tmp_path / "more.jsonl"
    source.write_bytes(MORE)
    for more in (1, 2):
        source.write_bytes(MORE if more == 1 else MORE.replace(b"72000.00", b"72500.00"))
        assert run_process("--store", str(store), "apply", "APA", str(source)).code == 0, more
        assert len(first.load("APA").events) == before + more
    first.close()
