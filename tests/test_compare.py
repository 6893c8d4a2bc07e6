"""`apa-ledger compare OTHER`: two stores, agreement by agreement and event by event (issue 5:
"a portfolio import on PostgreSQL compared event by event with the same import on SQLite")."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.portfolio import main as write_portfolio_files
from benchmarks.portfolio import write_files
from commands.compare import compare_agreement
from commands.portfolio.import_files import agreement_files, import_files
from commands.store.application import open_store
from commands.store.cipher import create_key
from tests.clirun import Run, one_clear_line, run_cli
from tests.ledger import Clock, claim, closed, fact, resolve, write_portfolio


def imported(url: str, directory: Path, clock: Clock) -> str:
    """The files of ``directory`` imported into the store at ``url`` with ``clock``."""
    store = open_store(url, clock=clock)
    outcomes = import_files(store, agreement_files([str(directory)]), workers=0)
    assert all(outcome.error is None for outcome in outcomes)
    store.close()
    return url


def later_clock() -> Clock:
    """A clock a day after the default one: every recorded_at differs from an import with ``Clock()``."""
    clock = Clock()
    clock.set("2026-01-02T09:00:00Z")
    return clock


def compared(capsys: pytest.CaptureFixture[str], here: str, there: str, *options: str) -> tuple[Run, dict[str, Any]]:
    """`compare` as text and as JSON: (the text run, the JSON)."""
    text = run_cli(capsys, "--store", here, "compare", there, *options)
    as_json = run_cli(capsys, "--store", here, "compare", there, "--json", *options)
    assert as_json.code == text.code
    return text, json.loads(as_json.out)


def portfolio_dir(tmp_path: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    """``files`` as import files, in a directory of their own under ``tmp_path``."""
    return write_portfolio(tmp_path / f"files-{len(list(tmp_path.iterdir()))}", files)


CLAIMED = [*closed(), claim("C1", "2003-06-02", "40000"), resolve("C1", "2003-07-01", "30000")]


def test_the_same_import_on_two_stores_is_the_same_ledger_apart_from_recorded_at(
    tmp_path: Path, empty_store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """readings 9: the generated portfolio (margins, BP Events, claims, surrenders,
    releases, a retraction) imported into SQLite and, a day later by the clock, into the other
    store (SQLite, or PostgreSQL): every recorded_at differs, yet every event there, given the
    recorded_at and prev_hash here, hashes to the hash here, and the states agree - exit 0. The same with a
    worker process comparing (it opens the other store itself)."""
    directory = tmp_path / "portfolio"
    ids = write_files(directory, 3)
    here = imported(str(tmp_path / "here.sqlite"), directory, Clock())
    there = imported(empty_store_url, directory, later_clock())
    text, result = compared(capsys, here, there, "--as-of", "2004-03-30")
    assert text.code == 0, text.err
    assert "the same ledger apart from recorded_at" in text.out and "as of 2004-03-30" in text.out
    assert result["agreements_in_both"] == len(ids) == 3 and result["differences"] == []
    assert result["events_here"] == result["events_there"] == result["recorded_at_differs"] > 3 * 140
    assert result["same_apart_from_recorded_at"] and not result["identical"]
    workers = run_cli(capsys, "--store", here, "compare", there, "--json", "--workers", "2")
    assert workers.code == 0 and json.loads(workers.out)["events_here"] == result["events_here"]


def test_a_copy_is_identical_both_times_and_hashes_included(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`copy` keeps positions, both times, prev_hash and hash: `compare` says identical, exit 0."""
    here = imported(str(tmp_path / "here.sqlite"), portfolio_dir(tmp_path, {"APA-1": CLAIMED}), Clock())
    copy = str(tmp_path / "copy.sqlite")
    assert run_cli(capsys, "--store", here, "copy", "--plaintext", "--to", copy).code == 0
    text, result = compared(capsys, here, copy)
    assert text.code == 0 and "identical: every event, both times and every hash" in text.out
    assert result["identical"] and result["recorded_at_differs"] == 0


def test_a_changed_amount_is_named_by_position_field_both_values_and_the_figures_it_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """8.1(b): one claim asserted for 40,000 here and 40,001 there. The event, its field and both
    values are named; the state on a date while the claim is pending differs in the claim's
    amount and the Buyer's pending losses; the files' batch ids, which differ on every event
    of the batch, are one difference over the run of positions. Exit 1."""
    other = [*closed(), claim("C1", "2003-06-02", "40001"), resolve("C1", "2003-07-01", "30000")]
    here = imported(str(tmp_path / "here.sqlite"), portfolio_dir(tmp_path, {"APA-1": CLAIMED}), Clock())
    there = imported(str(tmp_path / "there.sqlite"), portfolio_dir(tmp_path, {"APA-1": other}), Clock())
    text, result = compared(capsys, here, there, "--as-of", "2003-06-02")
    assert text.code == 1 and "1 agreement differs" in text.out
    found = {(d["position"], d["what"]): (d["here"], d["there"], d["through"]) for d in result["differences"]}
    assert found[(5, "amount")] == ("40000.00", "40001.00", None)  # registration, 3 facts of closed(), the claim
    assert found[(None, "state:claims.C1.amount")][:2] == ("40000.00", "40001.00")
    assert found[(None, "state:indemnity.buyer.pending_losses")][:2] == ("40000.00", "40001.00")
    batch = found[(2, "batch")]
    assert batch[0] != batch[1] and batch[2] == len(CLAIMED) + 1 + 1  # through the derived surrender
    assert 'APA-1 position 5: amount "40000.00" here, "40001.00" there' in text.out
    assert f"APA-1 positions 2-{batch[2]}: batch" in text.out
    before = run_cli(capsys, "--store", here, "compare", there, "--as-of", "2003-06-01", "--json")
    assert not [d for d in json.loads(before.out)["differences"] if d["what"].startswith("state:")]  # not yet asserted


def test_an_agreement_or_an_event_on_one_side_only_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Preamble: an agreement registered in one store only, and an event recorded in one only
    (the other store's history is one fact longer): each named, with its side. Exit 1."""
    files = {"APA-1": CLAIMED, "APA-2": closed()}
    here = imported(str(tmp_path / "here.sqlite"), portfolio_dir(tmp_path, files), Clock())
    longer = {"APA-1": [*CLAIMED, fact("GrossMarginReported", "2003-08-05", month="2003-07", amount="5000")]}
    there = imported(str(tmp_path / "there.sqlite"), portfolio_dir(tmp_path, longer), Clock())
    text, result = compared(capsys, here, there)
    assert text.code == 1
    assert "APA-2: only here (4 events)" in text.out
    extra = [d for d in result["differences"] if d["what"] == "event"]
    assert [(d["position"], d["here"], d["there"]) for d in extra] == [(8, None, "GrossMarginReported")]
    assert "APA-1 position 8: only there (GrossMarginReported)" in text.out
    assert result["agreements_here"] == 2 and result["agreements_there"] == 1 and result["agreements_differing"] == 2


@pytest.mark.parametrize("forged_side", ["here", "there"])
def test_a_stored_hash_that_is_not_its_events_is_where_that_sides_chain_breaks(
    tmp_path: Path, forged_side: str
) -> None:
    """The verdict rests on hashes, not on fields that look equal: on either side, an event whose
    fields are all the same but whose stored hash is not its content's is where that side's
    chain breaks, named as `verify` names it."""
    store = imported(str(tmp_path / "here.sqlite"), portfolio_dir(tmp_path, {"APA-1": CLAIMED}), Clock())
    events = open_store(store, create=False).load("APA-1").events
    forged = [*events[:3], events[3].sealed(events[3].prev_hash, "0" * 64), *events[4:]]
    sides = (forged, events) if forged_side == "here" else (events, forged)
    result = compare_agreement("APA-1", *sides, date(2004, 1, 1))
    found = [(d.position, d.what, d.here if forged_side == "here" else d.there) for d in result.differences]
    assert found == [(4, "chain", "the stored event does not match its hash")]
    assert compare_agreement("APA-1", events, events, date(2004, 1, 1)).differences == []


def test_the_other_store_is_read_with_its_own_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 6 meets issue 5: a plaintext store and its encrypted copy compare identical when
    APA_LEDGER_OTHER_CIPHER_KEY holds the copy's key; without it, one clear line, exit 2."""
    monkeypatch.delenv("APA_LEDGER_CIPHER_KEY", raising=False)
    here = imported(str(tmp_path / "here.sqlite"), portfolio_dir(tmp_path, {"APA-1": CLAIMED}), Clock())
    key = create_key()
    monkeypatch.setenv("APA_LEDGER_NEW_CIPHER_KEY", key)
    secret = str(tmp_path / "secret.sqlite")
    assert run_cli(capsys, "--store", here, "copy", "--to", secret).code == 0
    refused = run_cli(capsys, "--store", here, "compare", secret)
    assert one_clear_line(refused) and "is encrypted" in refused.err
    monkeypatch.setenv("APA_LEDGER_OTHER_CIPHER_KEY", key)
    text, result = compared(capsys, here, secret)
    assert text.code == 0 and result["identical"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("compare", "{tmp}/nowhere.sqlite"), "no store at"),
        (("compare", "{there}", "--as-of", "2003-02-30"), "--as-of"),
        (("compare",), "Missing argument"),
    ],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    """A missing store, an impossible date, no OTHER_STORE: one line, exit 2, nothing written."""
    here = imported(str(tmp_path / "here.sqlite"), portfolio_dir(tmp_path, {"APA-1": closed()}), Clock())
    filled = [a.format(tmp=tmp_path, there=here) for a in args]
    run = run_cli(capsys, "--store", here, *filled)
    assert one_clear_line(run) and says in run.err
    assert not (tmp_path / "nowhere.sqlite").exists()


def test_the_benchmark_portfolio_is_written_as_import_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m benchmarks.portfolio DIR --agreements N`: N AGREEMENT_ID.jsonl files that
    `import` takes whole (about 150 events each)."""
    write_portfolio_files([str(tmp_path / "portfolio"), "--agreements", "2"])
    assert "wrote 2 agreements' files" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "portfolio").iterdir()) == ["APA-00000.jsonl", "APA-00001.jsonl"]
    store = open_store(imported(str(tmp_path / "s.sqlite"), tmp_path / "portfolio", Clock()), create=False)
    assert all(len(store.load(a).events) > 140 for a in ("APA-00000", "APA-00001"))
