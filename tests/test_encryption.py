"""Encryption at rest (issue 6; 9.9 Confidentiality): with APA_LEDGER_CIPHER_KEY the payloads are
compressed and AES-GCM encrypted; a wrong or missing key is one clear line, never garbage."""

from __future__ import annotations

import base64
import io
import sqlite3
from pathlib import Path

import pytest

from commands.store.application import open_store
from commands.store.cipher import create_key
from tests.clirun import Run, one_clear_line, run_cli, run_process, stored_count
from tests.ledger import claim, closed, margin, resolve, to_jsonl

SECRETS = [b"SECRET-CLAIM-77", b"31337", b"2.14", b"8.1(c)", b"271828", b"2003-04-10", b"APA-CONFIDENTIAL"]
AGREEMENT = "APA-CONFIDENTIAL"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    made = create_key()
    monkeypatch.setenv("APA_LEDGER_CIPHER_KEY", made)
    return made


@pytest.fixture
def secret_store(tmp_path: Path, key: str, capsys) -> Path:
    """An encrypted store holding a claim whose id, amount and section must not appear in clear."""
    path = tmp_path / "secret.sqlite"
    facts = tmp_path / "h.jsonl"
    facts.write_bytes(
        to_jsonl(
            *closed(),
            margin("2003-01", "271828.00"),
            claim("SECRET-CLAIM-77", "2004-01-15", "31337", sections=["2.14"]),
            resolve("SECRET-CLAIM-77", "2004-02-15", "31337"),
        )
    )
    assert run_cli(capsys, "--store", str(path), "new", AGREEMENT).code == 0
    assert run_cli(capsys, "--store", str(path), "apply", AGREEMENT, str(facts)).code == 0
    return path


def raw_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as an attacker with the disk would read them."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_keygen_prints_a_32_byte_base64_key(capsys) -> None:
    run = run_cli(capsys, "keygen")
    assert run.code == 0 and len(base64.b64decode(run.out.strip())) == 32


def test_no_claim_id_amount_or_section_in_clear_on_disk(secret_store: Path) -> None:
    """9.9: the claim id, amounts, sections and dates are not in the raw database file (topics are)."""
    data = raw_bytes(secret_store)
    assert b"domain.events:ClaimAsserted" in data  # the event type names are expected in clear
    found = [secret for secret in SECRETS if secret in data]
    assert found == []


def test_same_store_reads_back_with_the_key(secret_store: Path, capsys) -> None:
    run = run_cli(capsys, "--store", str(secret_store), "state", AGREEMENT, "--as-of", "2004-03-01", "--json")
    assert run.code == 0 and '"claim_id": "SECRET-CLAIM-77"' in run.out
    assert run_cli(capsys, "--store", str(secret_store), "verify").code == 0


def test_plaintext_store_has_the_secrets_in_clear_so_the_grep_is_meaningful(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: the same facts without a key are readable on disk."""
    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    from tests.ledger import new_ledger

    ledger = new_ledger(tmp_path / "plain.sqlite")
    ledger.apply(*closed(), claim("SECRET-CLAIM-77", "2004-01-15", "31337", sections=["2.14"]))
    ledger.store.close()
    assert b"SECRET-CLAIM-77" in raw_bytes(tmp_path / "plain.sqlite")


COMMANDS = [
    ("state", AGREEMENT, "--as-of", "2004-01-01"),
    ("history", AGREEMENT),
    ("verify",),
    ("verify", AGREEMENT),
    ("agreements",),
    ("apply", AGREEMENT, "-"),
    ("record", AGREEMENT, "EscrowReleased", "--occurred-on", "2005-01-01", "--shares", "1"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:1] + c[2:3]))
@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        ("", "is encrypted: set APA_LEDGER_CIPHER_KEY"),
        ("other", "is not the key the store"),
        ("not-base64!", "is not a key"),
        ("c2hvcnQ=", "is not a key"),
    ],
)
def test_wrong_or_missing_key_is_one_clear_line_and_appends_nothing(
    secret_store: Path, monkeypatch: pytest.MonkeyPatch, capsys, command: tuple[str, ...], wrong: str, says: str
) -> None:
    """state, history, apply, record, verify: a key problem is named as such (not "tampered"), exit 2."""
    before = stored_count(secret_store)
    monkeypatch.setenv("APA_LEDGER_CIPHER_KEY", create_key() if wrong == "other" else wrong)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(to_jsonl(*closed()))))
    run = run_cli(capsys, "--store", str(secret_store), *command)
    assert one_clear_line(run), run
    assert says in run.err and "tamper" not in run.err and "FAILED" not in run.err
    assert stored_count(secret_store) == before


def test_key_set_on_a_plaintext_store_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    path = tmp_path / "plain.sqlite"
    run_cli(capsys, "--store", str(path), "new", "APA")
    monkeypatch.setenv("APA_LEDGER_CIPHER_KEY", create_key())
    run = run_cli(capsys, "--store", str(path), "state", "APA")
    assert one_clear_line(run) and "is not encrypted" in run.err


@pytest.mark.parametrize("wrong", ["", "other"])
def test_ciphertext_that_starts_like_json_is_still_named_encrypted(
    secret_store: Path, monkeypatch: pytest.MonkeyPatch, capsys, wrong: str
) -> None:
    """One ciphertext in 256 starts with the byte "{": every sampled record is given that first
    byte, and a missing or wrong key must still be named as such, not "not JSON" or "not encrypted"."""
    with sqlite3.connect(secret_store) as db:
        rows = db.execute("SELECT rowid, state FROM stored_events").fetchall()
        db.executemany("UPDATE stored_events SET state = ? WHERE rowid = ?", [(b"{" + s[1:], r) for r, s in rows])
    monkeypatch.setenv("APA_LEDGER_CIPHER_KEY", create_key() if wrong == "other" else wrong)
    run = run_cli(capsys, "--store", str(secret_store), "state", AGREEMENT)
    says = "is encrypted: set APA_LEDGER_CIPHER_KEY" if wrong == "" else "is not the key the store"
    assert one_clear_line(run) and says in run.err, run


def test_one_damaged_event_is_tampering_not_a_wrong_key(secret_store: Path, capsys) -> None:
    """With the right key, a single altered ciphertext is reported by verify as a broken chain (exit 1)."""
    with sqlite3.connect(secret_store) as db:
        state = db.execute("SELECT state FROM stored_events WHERE originator_version = 3").fetchone()[0]
        damaged = state[:-1] + bytes([state[-1] ^ 1])
        db.execute("UPDATE stored_events SET state = ? WHERE originator_version = 3", (damaged,))
    run = run_cli(capsys, "--store", str(secret_store), "verify")
    assert run.code == 1 and "chain broken at position 3: the stored event cannot be read" in run.err


def test_copy_rotates_to_a_new_key_preserving_positions_times_and_hashes(
    secret_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, key: str
) -> None:
    """Key rotation: every event re-encrypted under the new key; the copy verifies, the old key fails on it."""
    new_key = create_key()
    target = tmp_path / "rotated.sqlite"
    monkeypatch.setenv("APA_LEDGER_NEW_CIPHER_KEY", new_key)
    run = run_cli(capsys, "--store", str(secret_store), "copy", "--to", str(target))
    assert run.code == 0 and run.out.startswith("copied 9 events") and "hash chains intact" in run.out
    old = open_store(str(secret_store)).load(AGREEMENT).events
    new = open_store(str(target), cipher_key=new_key).load(AGREEMENT).events
    assert [(e.position, e.timestamp, e.hash, e.batch) for e in old] == [
        (e.position, e.timestamp, e.hash, e.batch) for e in new
    ]
    assert [secret for secret in SECRETS if secret in raw_bytes(target)] == []
    monkeypatch.setenv("APA_LEDGER_CIPHER_KEY", key)
    assert "is not the key" in run_cli(capsys, "--store", str(target), "state", AGREEMENT).err
    again = run_cli(capsys, "--store", str(secret_store), "copy", "--to", str(target))
    assert one_clear_line(again) and "not empty" in again.err


def test_copy_without_a_new_key_needs_plaintext_flag(secret_store: Path, tmp_path: Path, capsys) -> None:
    run = run_cli(capsys, "--store", str(secret_store), "copy", "--to", str(tmp_path / "x.sqlite"))
    assert one_clear_line(run) and "APA_LEDGER_NEW_CIPHER_KEY" in run.err


def test_wrong_key_in_a_real_process_prints_no_traceback(secret_store: Path) -> None:
    run = run_process("--store", str(secret_store), "verify", env={"APA_LEDGER_CIPHER_KEY": create_key()})
    assert one_clear_line(run) and "is not the key" in run.err


def test_record_with_the_key_stays_encrypted(secret_store: Path, capsys) -> None:
    run = run_cli(
        capsys,
        "--store",
        str(secret_store),
        "record",
        AGREEMENT,
        "EscrowReleased",
        "--occurred-on",
        "2005-04-11",
        "--shares",
        "1234",
    )
    assert run.code == 0 and b'"shares":1234' not in raw_bytes(secret_store)


def test_copy_encrypts_a_plaintext_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """9.9: an existing plaintext store is encrypted by copying it with only the new key set."""
    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    plain, target = tmp_path / "plain.sqlite", tmp_path / "encrypted.sqlite"
    facts = tmp_path / "c.jsonl"
    facts.write_bytes(to_jsonl(*closed(), claim("SECRET-CLAIM-77", "2004-01-15", "31337")))
    run_cli(capsys, "--store", str(plain), "new", AGREEMENT)
    run_cli(capsys, "--store", str(plain), "apply", AGREEMENT, str(facts))
    new_key = create_key()
    monkeypatch.setenv("APA_LEDGER_NEW_CIPHER_KEY", new_key)
    assert run_cli(capsys, "--store", str(plain), "copy", "--to", str(target)).out.startswith("copied 5 events")
    assert [secret for secret in SECRETS if secret in raw_bytes(target)] == []
    monkeypatch.setenv("APA_LEDGER_CIPHER_KEY", new_key)
    assert run_cli(capsys, "--store", str(target), "verify").code == 0


def test_export_workers_read_an_encrypted_store_with_its_key(secret_store: Path, tmp_path: Path, capsys) -> None:
    """9.9 and the read model: worker processes open the encrypted store with the exporting
    process's key and write the same read model as the exporting process alone."""
    alone, workers = tmp_path / "alone.sqlite", tmp_path / "workers.sqlite"
    for target, count in ((alone, "0"), (workers, "2")):
        run = run_cli(
            capsys, "--store", str(secret_store), "export", "--plaintext", "--to", str(target), "--workers", count
        )
        assert run.code == 0, run.err
    for table in ("events", "claims", "state_timeline", "obligations"):
        with sqlite3.connect(alone) as a, sqlite3.connect(workers) as w:
            assert a.execute(f"SELECT * FROM {table}").fetchall() == w.execute(f"SELECT * FROM {table}").fetchall()


OUTPUTS = {
    "export": ("export", "--out", "{out}"),
    "report": ("report", AGREEMENT, "--as-of", "2004-06-30", "--out", "{out}"),
    "calendar": ("calendar", AGREEMENT, "--as-of", "2004-06-30", "--out", "{out}"),
}


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_an_output_of_an_encrypted_store_is_refused_without_plaintext(
    secret_store: Path, tmp_path: Path, capsys, command: str
) -> None:
    """No silent plaintext (9.9): from an encrypted store, export, report and calendar --out
    refuse in one line (exit 2) and write nothing, neither the file nor anything beside it,
    nor anything on stdout (`--out -`)."""
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    for out in (str(outputs / {"export": "m.sqlite", "report": "r.html", "calendar": "c.ics"}[command]), "-"):
        args = [a.format(out=out) for a in OUTPUTS[command]]
        run = run_cli(capsys, "--store", str(secret_store), *args)
        assert one_clear_line(Run(run.code, run.out, run.err)), run
        assert "is encrypted" in run.err and "--plaintext" in run.err and run.out == ""
        assert list(outputs.iterdir()) == []


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_plaintext_writes_the_output_and_it_is_plaintext(
    secret_store: Path, tmp_path: Path, capsys, command: str
) -> None:
    """With --plaintext each output is written, and it holds the figures in clear (which is
    why it is asked for): the agreement id and, in the model and the page, the claim."""
    out = tmp_path / {"export": "out.sqlite", "report": "out.html", "calendar": "out.ics"}[command]
    run = run_cli(capsys, "--store", str(secret_store), *[a.format(out=out) for a in OUTPUTS[command]], "--plaintext")
    assert run.code == 0, run.err
    data = raw_bytes(out)
    assert AGREEMENT.encode() in data
    if command != "calendar":
        assert b"SECRET-CLAIM-77" in data


def test_the_calendar_listing_on_the_terminal_is_not_an_output(secret_store: Path, capsys) -> None:
    """calendar without --out prints on the terminal what `state` prints, file-less: no refusal."""
    run = run_cli(capsys, "--store", str(secret_store), "calendar", AGREEMENT, "--as-of", "2004-06-30")
    assert run.code == 0 and f"Obligations of {AGREEMENT}" in run.out


def test_a_plaintext_store_needs_no_flag(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without encryption the outputs are written as before, and the model carries no mark."""
    from commands.reporting.plaintext import from_encrypted_store

    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    store = tmp_path / "plain.sqlite"
    assert run_cli(capsys, "--store", str(store), "new", AGREEMENT).code == 0
    assert run_cli(capsys, "--store", str(store), "export", "--out", str(tmp_path / "m.sqlite")).code == 0
    assert not from_encrypted_store(tmp_path / "m.sqlite")


def test_serve_refuses_a_model_of_an_encrypted_store_without_plaintext(
    secret_store: Path, tmp_path: Path, capsys
) -> None:
    """The read model exported (with --plaintext) from an encrypted store is marked in its
    header; serve refuses to put it on the network in one line unless --plaintext is given
    again (then it goes on to start: the test stops it at its first line)."""
    import subprocess

    from commands.reporting.plaintext import from_encrypted_store
    from tests.clirun import APA_LEDGER

    model = tmp_path / "model.sqlite"
    assert run_cli(capsys, "--store", str(secret_store), "export", "--out", str(model), "--plaintext").code == 0
    assert from_encrypted_store(model)
    run = run_cli(capsys, "serve", "--db", str(model), "--port", "0")
    assert one_clear_line(Run(run.code, run.out, run.err)) and "--plaintext" in run.err and run.out == ""
    process = subprocess.Popen(
        [APA_LEDGER, "serve", "--db", str(model), "--port", "0", "--plaintext"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(f"serving {model} at http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(timeout=10)
