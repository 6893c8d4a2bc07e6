"""`apa-ledger import`: a portfolio of JSON Lines files, each applied as `apply` applies it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from commands.handlers import apply_facts, register_agreement
from commands.idempotency import read_batch
from commands.portfolio.import_files import agreement_files, import_files
from commands.store.application import LedgerStore, open_store
from domain.terms import Terms
from projections.state import project
from tests.clirun import run_cli
from tests.ledger import Clock, claim, closed, fact, margin, resolve, to_jsonl
from tests.ledger import write_portfolio as write_agreement_files

PORTFOLIO: dict[str, list[dict[str, Any]]] = {
    "APA-CLOSED": [*closed(), margin("2003-09", "80000")],
    "APA-CLAIMS": [*closed("2003-03-03"), claim("C1", "2003-06-02", "40000"), resolve("C1", "2003-07-01", "30000")],
    "APA-BP": [*closed(), fact("BPEventDeclared", "2003-09-15", clause="a")],
}
OTHER_TERMS = {"allowance": "10000.00"}


def write_portfolio(directory: Path, portfolio: dict[str, list[dict[str, Any]]] = PORTFOLIO) -> Path:
    return write_agreement_files(directory, portfolio)


def facts_of(store: LedgerStore, agreement_id: str) -> list[tuple[Any, ...]]:
    """What an agreement's events say, apart from when they were recorded (and so their hashes)."""
    return [(e.position, e.type, e.occurred_on, e.payload(), e.batch) for e in store.load(agreement_id).events]


def state_json(store: LedgerStore, agreement_id: str) -> dict[str, Any]:
    from datetime import date

    return project(store.load(agreement_id).events, date(2004, 6, 30)).model_dump(mode="json")


def test_import_applies_each_file_as_apply_does(tmp_path: Path, empty_store_url: str) -> None:
    """ledger: each file is `new ID` then `apply ID FILE`, event for event, on both stores
    (1.5(b) catch-up, 8.1(b)-(c) surrender, BP Event (a) derived alike)."""
    directory = write_portfolio(tmp_path / "portfolio")
    imported = open_store(empty_store_url, clock=Clock())
    outcomes = import_files(imported, agreement_files([str(directory)]), workers=0)
    applied = open_store(str(tmp_path / "applied.sqlite"), clock=Clock())
    for agreement_id, facts in PORTFOLIO.items():
        register_agreement(applied, agreement_id)
        drafts, batch = read_batch(to_jsonl(*facts))
        apply_facts(applied, agreement_id, drafts, batch=batch)
    assert [(o.file.agreement_id, o.registered, o.error) for o in outcomes] == [
        (agreement_id, True, None) for agreement_id in sorted(PORTFOLIO)
    ]
    for agreement_id in PORTFOLIO:
        assert facts_of(imported, agreement_id) == facts_of(applied, agreement_id)
        assert state_json(imported, agreement_id) == state_json(applied, agreement_id)
    assert sum(o.appended for o in outcomes) == sum(len(applied.load(a).events) - 1 for a in PORTFOLIO)
    imported.close()


def test_import_in_worker_processes_writes_what_one_process_writes(tmp_path: Path, empty_store_url: str) -> None:
    """ledger: two worker processes, each with its own connection, append the same events as
    one process does (both stores; the workers really run: spawned interpreters)."""
    directory = write_portfolio(tmp_path / "portfolio")
    files = agreement_files([str(directory)])
    parallel = open_store(empty_store_url)
    outcomes = import_files(parallel, files, workers=2)
    alone = open_store(str(tmp_path / "alone.sqlite"))
    import_files(alone, files, workers=0)
    assert all(o.error is None and o.registered for o in outcomes)
    for agreement_id in PORTFOLIO:
        assert facts_of(parallel, agreement_id) == facts_of(alone, agreement_id)
    parallel.close()


def test_import_again_appends_nothing(tmp_path: Path, empty_store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """ledger (idempotent batches): a portfolio imported twice is recognised file by file."""
    directory = write_portfolio(tmp_path / "portfolio")
    first = run_cli(capsys, "--store", empty_store_url, "import", str(directory))
    again = run_cli(capsys, "--store", empty_store_url, "import", str(directory))
    assert first.code == again.code == 0, first.err + again.err
    assert first.out.strip().startswith("imported 3 files: 3 agreements registered, ")
    assert (
        again.out.strip()
        == "imported 3 files: 0 agreements registered, 0 events appended, 3 already applied, 0 rejected"
    )


def test_rejected_file_appends_nothing_and_the_others_are_applied(
    tmp_path: Path, empty_store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """8.1(b): a file resolving a claim never asserted is refused whole (its line and clause named,
    exit 2); the other files are applied; once fixed, a second import applies only that file."""
    bad = {"APA-BAD": [*closed(), resolve("C9", "2003-07-01", "30000")]}
    directory = write_portfolio(write_portfolio(tmp_path / "portfolio"), bad)
    run = run_cli(capsys, "--store", empty_store_url, "import", str(directory))
    assert run.code == 2
    errors = run.err.strip().splitlines()
    assert errors[0].startswith(f"apa-ledger: {directory / 'APA-BAD.jsonl'}: line 4: ")
    assert (
        errors[-1]
        == "apa-ledger: 1 of 4 files rejected (each names its line and clause above); nothing of them was appended"
    )
    assert "3 agreements registered" in run.out and "1 rejected" in run.out
    store = open_store(empty_store_url, create=False)
    assert not store.exists("APA-BAD")  # registered with its file, in one transaction: neither
    assert len(store.load("APA-CLAIMS").events) == 1 + 5 + 1  # registered, 5 facts, 8.1(c) surrender
    store.close()
    write_portfolio(directory, {"APA-BAD": [*closed(), claim("C9", "2003-06-02", "40000")]})
    fixed = run_cli(capsys, "--store", empty_store_url, "import", str(directory))
    assert fixed.code == 0, fixed.err
    assert fixed.out.strip().endswith("1 agreement registered, 4 events appended, 3 already applied, 0 rejected")


def test_terms_file_beside_the_facts_registers_the_agreement_on_its_terms(tmp_path: Path, empty_store_url: str) -> None:
    """8.1(b): APA-CLAIMS.terms.json sets a $10,000 Allowance, so all $30,000 resolved is payable;
    a registered agreement whose terms file says otherwise is refused (preamble)."""
    directory = write_portfolio(tmp_path / "portfolio")
    (directory / "APA-CLAIMS.terms.json").write_text(json.dumps(OTHER_TERMS))
    store = open_store(empty_store_url)
    import_files(store, agreement_files([str(directory)]), workers=0)
    assert store.load("APA-CLAIMS").terms == Terms(allowance="10000.00")
    assert store.load("APA-CLOSED").terms == Terms()
    assert state_json(store, "APA-CLAIMS")["indemnity"]["buyer"]["payable"] == "30000.00"
    (directory / "APA-CLAIMS.terms.json").write_text(json.dumps({"allowance": "20000.00"}))
    [outcome] = [o for o in import_files(store, agreement_files([str(directory)]), workers=0) if o.error]
    assert outcome.error == (
        f"{directory / 'APA-CLAIMS.jsonl'}: agreement 'APA-CLAIMS' is registered with other terms than "
        f"{directory / 'APA-CLAIMS.terms.json'} (preamble)"
    )
    store.close()


def test_dry_run_checks_every_file_and_appends_nothing(
    tmp_path: Path, empty_store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ledger: `import --dry-run` checks new and registered agreements alike and writes nothing."""
    directory = write_portfolio(tmp_path / "portfolio")
    store = open_store(empty_store_url)
    register_agreement(store, "APA-BP")
    run = run_cli(capsys, "--store", empty_store_url, "import", str(directory), "--dry-run")
    assert run.code == 0, run.err
    expected = sum(len(facts) for facts in PORTFOLIO.values()) + 1  # 8.1(c): the surrender it derives
    assert run.out.strip() == (
        f"checked 3 files: 2 agreements would be registered, {expected} events would be appended, "
        "0 already applied, 0 rejected"
    )
    assert not store.exists("APA-CLOSED") and len(store.load("APA-BP").events) == 1
    store.close()


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (["missing"], "missing: no such file or directory (import)"),
        (["notes.txt"], "notes.txt: not a .jsonl file or a directory (import)"),
        (["empty"], "empty: no .jsonl files in this directory (import)"),
        (["portfolio", "portfolio/APA-BP.jsonl"], "are both agreement 'APA-BP' (import)"),
    ],
    ids=["missing", "other-kind", "empty-dir", "same-agreement-twice"],
)
def test_sources_are_refused_before_anything_is_applied(
    tmp_path: Path, sources: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    """CLI: a bad source is one line, exit 2, and no store is even opened."""
    monkeypatch.chdir(tmp_path)
    write_portfolio(tmp_path / "portfolio")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    run = run_cli(capsys, "--store", "store.sqlite", "import", *sources)
    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1 and run.err.strip().endswith(message)
    assert not (tmp_path / "store.sqlite").exists()


def test_group_commit_conflict_sends_each_file_through_applys_retry(tmp_path: Path, empty_store_url: str) -> None:
    """ledger (concurrent writers, idempotent batches): files checked together, then another
    clerk applies one of the same files before the shared transaction commits; the store's
    conflict refuses the whole transaction, and each file is applied again on its own,
    re-read and re-checked: the raced file is recognised as applied, the others appended,
    nothing lost and nothing twice."""
    from commands.portfolio.import_files import import_together

    directory = write_portfolio(tmp_path / "portfolio")
    store = open_store(empty_store_url, clock=Clock())
    for agreement_id in PORTFOLIO:
        register_agreement(store, agreement_id)
    saves = []
    real_save = store.save

    def racing_save(*events: Any, **kwargs: Any) -> Any:
        if not saves:  # the shared transaction: the other clerk gets there first
            drafts, batch = read_batch((directory / "APA-CLAIMS.jsonl").read_bytes())
            store.save = real_save  # type: ignore[method-assign]
            apply_facts(store, "APA-CLAIMS", drafts, batch=batch)
            store.save = racing_save  # type: ignore[method-assign]
        saves.append(len(events))
        return real_save(*events, **kwargs)

    store.save = racing_save  # type: ignore[method-assign]
    outcomes = import_together(store, agreement_files([str(directory)]))
    derived = {"APA-CLAIMS": 1}  # 8.1(c): the surrender its resolution derives
    assert saves[0] == sum(len(facts) + derived.get(a, 0) for a, facts in PORTFOLIO.items())  # all three files
    assert saves[1:] == [
        len(PORTFOLIO["APA-BP"]),
        len(PORTFOLIO["APA-CLOSED"]),
    ]  # then a file a time, the raced one not
    assert [(o.file.agreement_id, o.appended, o.already_applied, o.error) for o in outcomes] == [
        ("APA-BP", len(PORTFOLIO["APA-BP"]), False, None),
        ("APA-CLAIMS", 0, True, None),
        ("APA-CLOSED", len(PORTFOLIO["APA-CLOSED"]), False, None),
    ]
    for agreement_id, facts in PORTFOLIO.items():
        events = store.load(agreement_id).events
        assert [e.position for e in events] == list(range(1, 2 + len(facts) + derived.get(agreement_id, 0)))
    store.close()
