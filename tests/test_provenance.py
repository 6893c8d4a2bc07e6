"""Provenance of every batch (issue 17, item 4): who recorded it and on what documents.

`apply`, `record` and `new` record `--recorded-by NAME`, else $APA_LEDGER_USER, else the
operating-system user, on every event of the batch (derived events too); `--evidence FILE`
and a JSON Lines fact's own "evidence" keep each document's name, SHA-256 and (for a file)
size, never its content. Both are hashed with the event, shown by `history` and `explain`,
queryable in the read model, and `verify --evidence DIR` re-hashes the documents found there.
Events recorded before provenance existed keep their bytes (tests/test_hash_pin.py).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from commands.api import Ledger
from domain.event_json import stored_json
from tests.clirun import run_cli, write_jsonl
from tests.ledger import claim, closed, resolve

CLAIM = claim("C1", "2003-06-02", "60000.00")  # 8.1(c): resolved above the Allowance, shares surrender


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with APA registered by "registrar" (no other recorder named anywhere)."""
    monkeypatch.delenv("APA_LEDGER_USER", raising=False)
    path = tmp_path / "store.sqlite"
    assert run_cli(capsys, "--store", str(path), "new", "APA", "--recorded-by", "registrar").code == 0
    return path


def history(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict]:
    done = run_cli(capsys, "--store", str(path), "history", "APA", "--json")
    assert done.code == 0, done.err
    return json.loads(done.out)


def document(path: Path, content: bytes) -> dict:
    path.write_bytes(content)
    return {"name": path.name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}


def test_every_event_of_a_batch_names_who_recorded_it_derived_events_too(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provenance: --recorded-by names the recorder of every event of the batch, the derived
    SharesSurrendered (8.1(c)) included; without it $APA_LEDGER_USER does."""
    facts = write_jsonl(tmp_path / "f.jsonl", [*closed(), CLAIM, resolve("C1", "2003-07-01", "60000.00")])
    done = run_cli(capsys, "--store", str(store), "apply", "APA", facts, "--recorded-by", "J. Smith")
    assert done.code == 0, done.err
    monkeypatch.setenv("APA_LEDGER_USER", "escrow-agent")
    more = ["record", "APA", "GrossMarginReported", "--occurred-on", "2003-08-01", "--month", "2003-07"]
    assert run_cli(capsys, "--store", str(store), *more, "--amount", "90000").code == 0
    rows = history(capsys, store)
    assert rows[0]["recorded_by"] == "registrar"
    assert {r["recorded_by"] for r in rows[1:-1]} == {"J. Smith"}
    assert "SharesSurrendered" in [r["type"] for r in rows if r["recorded_by"] == "J. Smith"]
    assert rows[-1]["recorded_by"] == "escrow-agent"


def test_without_a_name_the_operating_system_user_records(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provenance: with neither --recorded-by nor $APA_LEDGER_USER the OS user is named."""
    monkeypatch.setattr("getpass.getuser", lambda: "os-user-7")
    assert (
        run_cli(
            capsys, "--store", str(store), "record", "APA", "EffectiveDateReached", "--occurred-on", "2002-12-06"
        ).code
        == 0
    )
    assert history(capsys, store)[-1]["recorded_by"] == "os-user-7"


def test_evidence_files_and_a_facts_own_evidence_are_kept_as_name_size_and_sha256(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Provenance: --evidence FILE (repeatable) keeps name, size and SHA-256 of the file on
    every event of the batch; a fact's own "evidence" ({name, sha256}, a digest in capitals
    kept in small letters) comes first; the content itself is never stored."""
    notice = document(tmp_path / "notice.pdf", b"%PDF claim notice C1 SECRET-CONTENT")
    minutes = document(tmp_path / "minutes.txt", b"board minutes")
    own = {"name": "closing-memo.pdf", "sha256": "AB" * 32}
    facts = write_jsonl(tmp_path / "f.jsonl", [{**closed()[0], "evidence": [own]}, *closed()[1:], CLAIM])
    args = [
        "apply",
        "APA",
        facts,
        "--evidence",
        str(tmp_path / "notice.pdf"),
        "--evidence",
        str(tmp_path / "minutes.txt"),
    ]
    assert run_cli(capsys, "--store", str(store), *args).code == 0
    rows = history(capsys, store)
    assert rows[1]["evidence"] == [{"name": "closing-memo.pdf", "sha256": "ab" * 32}, notice, minutes]
    assert all(r["evidence"] == [notice, minutes] for r in rows[2:])
    assert rows[0]["evidence"] == []
    text = run_cli(capsys, "--store", str(store), "history", "APA").out.splitlines()
    assert text[-1].endswith(
        f"evidence notice.pdf (sha256 {notice['sha256'][:12]}), minutes.txt (sha256 {minutes['sha256'][:12]})"
    )
    with sqlite3.connect(store) as db:
        assert not any(b"SECRET-CONTENT" in bytes(s) for (s,) in db.execute("SELECT state FROM stored_events"))


def test_an_event_without_provenance_is_stored_as_before_it_existed(tmp_path: Path) -> None:
    """Old stored events keep their hashes: an event with no recorder and no documents writes
    neither key (domain.stored_form), so its bytes are those of the ledger before them."""
    ledger = Ledger.open(tmp_path / "s.sqlite")
    ledger.register("APA", recorded_by="clerk")
    event = ledger.events("APA")[0]
    bare = event.model_copy(update={"recorded_by": "", "evidence": ()})
    assert b'"recorded_by":"clerk"' in stored_json(event)
    assert b"recorded_by" not in stored_json(bare) and b"evidence" not in stored_json(bare)


def test_provenance_is_covered_by_the_hash_chain(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Provenance and tamper evidence (readings 11): rewriting who recorded an event, or the
    digest of its document, in the stored JSON breaks the chain at that position."""
    notice = document(tmp_path / "notice.pdf", b"notice")
    facts = write_jsonl(tmp_path / "f.jsonl", closed())
    run_cli(
        capsys,
        "--store",
        str(store),
        "apply",
        "APA",
        facts,
        "--recorded-by",
        "alice",
        "--evidence",
        str(tmp_path / "notice.pdf"),
    )
    forged = hashlib.sha256(b"forged").hexdigest()
    edits = [
        (
            4,
            f"UPDATE stored_events SET state = replace(state, '{notice['sha256']}', '{forged}') "
            "WHERE originator_version = 4",
        ),
        (2, "UPDATE stored_events SET state = replace(state, '\"alice\"', '\"mallory\"') WHERE originator_version = 2"),
    ]
    for position, edit in edits:
        with sqlite3.connect(store) as db:
            db.execute(edit)
        done = run_cli(capsys, "--store", str(store), "verify")
        assert done.code == 1
        assert f"position {position}: the stored event does not match its hash" in done.err


def test_verify_evidence_rehashes_the_documents_found_and_names_one_that_changed(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify --evidence DIR: every recorded document found in DIR is hashed again; a document
    whose bytes changed is a failure naming the agreement, the position and the document; one
    not in DIR is listed, not a failure."""
    documents = tmp_path / "documents"
    documents.mkdir()
    document(documents / "notice.pdf", b"the notice as mailed")
    facts = write_jsonl(
        tmp_path / "f.jsonl", [*closed(), {**CLAIM, "evidence": [{"name": "memo.pdf", "sha256": "0" * 64}]}]
    )
    args = ["apply", "APA", facts, "--evidence", str(documents / "notice.pdf")]
    assert run_cli(capsys, "--store", str(store), *args).code == 0
    done = run_cli(capsys, "--store", str(store), "verify", "--evidence", str(documents))
    assert done.code == 0, done.err
    assert f"1 document in {documents} matches its SHA-256 (1 named but not there: memo.pdf)" in done.out
    (documents / "notice.pdf").write_bytes(b"the notice as edited later")
    done = run_cli(capsys, "--store", str(store), "verify", "--evidence", str(documents))
    assert done.code == 1
    assert "agreement APA, position 2: the document notice.pdf" in done.err and "is not the one recorded" in done.err


def test_a_missing_evidence_file_or_a_bad_name_appends_nothing(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input is one line, exit 2, nothing appended: an --evidence file that cannot be read,
    a recorder name with a control character, a fact's evidence with a malformed digest."""
    facts = write_jsonl(tmp_path / "f.jsonl", closed())
    missing = run_cli(capsys, "--store", str(store), "apply", "APA", facts, "--evidence", str(tmp_path / "none.pdf"))
    assert missing.code == 2 and "--evidence" in missing.err and len(missing.err.splitlines()) == 1
    bad_name = run_cli(capsys, "--store", str(store), "apply", "APA", facts, "--recorded-by", "a\tb")
    assert bad_name.code == 2 and "--recorded-by" in bad_name.err
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**closed()[0], "evidence": [{"name": "x.pdf", "sha256": "12"}]}])
    bad_digest = run_cli(capsys, "--store", str(store), "apply", "APA", bad)
    assert bad_digest.code == 2 and "line 1" in bad_digest.err and "sha256" in bad_digest.err
    assert len(history(capsys, store)) == 1


def test_explain_shows_who_recorded_each_event_a_figure_rests_on_and_on_what(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain: each event the figure cites with its recorder and documents (text and --json)."""
    notice = document(tmp_path / "claim.pdf", b"claim")
    facts = write_jsonl(tmp_path / "f.jsonl", [*closed(), CLAIM])
    run_cli(
        capsys,
        "--store",
        str(store),
        "apply",
        "APA",
        facts,
        "--recorded-by",
        "bob",
        "--evidence",
        str(tmp_path / "claim.pdf"),
    )
    args = ["--store", str(store), "explain", "APA", "claims.C1.amount", "--as-of", "2003-06-30"]
    text = run_cli(capsys, *args).out
    assert f"ClaimAsserted  recorded by bob, on claim.pdf (sha256 {notice['sha256'][:12]})" in text
    sources = json.loads(run_cli(capsys, *args, "--json").out)["sources"]
    assert [(s["type"], s["recorded_by"], s["evidence"]) for s in sources] == [("ClaimAsserted", "bob", [notice])]


def test_the_read_model_answers_who_recorded_what_and_which_facts_rest_on_no_document(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read model: events.recorded_by and events.evidence (JSON, "[]" for none), and the canned
    queries facts_recorded_by and facts_without_evidence."""
    from commands.reporting.datasette_metadata import QUERIES

    document(tmp_path / "claim.pdf", b"claim")
    run_cli(
        capsys,
        "--store",
        str(store),
        "apply",
        "APA",
        write_jsonl(tmp_path / "a.jsonl", closed()),
        "--recorded-by",
        "alice",
    )
    claimed = ["apply", "APA", write_jsonl(tmp_path / "b.jsonl", [CLAIM]), "--recorded-by", "bob"]
    run_cli(capsys, "--store", str(store), *claimed, "--evidence", str(tmp_path / "claim.pdf"))
    model = tmp_path / "reporting.sqlite"
    assert run_cli(capsys, "--store", str(store), "export", "--to", str(model)).code == 0
    with sqlite3.connect(model) as db:
        by_bob = db.execute(QUERIES["facts_recorded_by"]["sql"], {"name": "bob"}).fetchall()
        bare = db.execute(QUERIES["facts_without_evidence"]["sql"]).fetchall()
        sha = db.execute(
            "SELECT json_extract(evidence, '$[0].sha256') FROM events WHERE type = 'ClaimAsserted'"
        ).fetchone()
    assert [(row[2], json.loads(row[5])[0]["name"]) for row in by_bob] == [("ClaimAsserted", "claim.pdf")]
    assert [(row[2], row[5]) for row in bare] == [
        ("EffectiveDateReached", "alice"),
        ("EscrowDeposited", "alice"),
        ("ClosingOccurred", "alice"),
    ]
    assert sha == (hashlib.sha256(b"claim").hexdigest(),)


def test_the_python_api_takes_the_same_provenance_as_the_cli(tmp_path: Path) -> None:
    """commands.api.Ledger: register/apply/record take recorded_by, apply/record evidence."""
    notice = document(tmp_path / "n.pdf", b"n")
    ledger = Ledger.open(tmp_path / "s.sqlite")
    ledger.register("APA", recorded_by="api")
    ledger.apply("APA", closed(), recorded_by="api", evidence=[tmp_path / "n.pdf"])
    ledger.record("APA", CLAIM, recorded_by="api-2")
    events = ledger.events("APA")
    assert [e.recorded_by for e in events] == ["api", "api", "api", "api", "api-2"]
    assert [d.model_dump(mode="json", exclude_none=True) for d in events[2].evidence] == [notice]
    assert ledger.verify().ok
