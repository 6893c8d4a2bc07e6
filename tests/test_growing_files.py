"""Files that grow (commands/idempotency.py): a clerk's JSON Lines file, applied, then grown month
by month and applied again, appends only its new lines, as one batch; an applied line changed
or removed is refused naming it; an unchanged file appends nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.portfolio import jsonl
from commands.idempotency import content_batch_id, prefix_digests
from commands.parsing import parse_jsonl
from commands.store.application import open_store
from tests.clirun import Run, one_clear_line, run_cli, stored_count, write_jsonl
from tests.ledger import claim, closed, margin, to_jsonl

MONTHS = [margin(f"2003-{m:02d}", f"{100000 - m * 1000}.00") for m in range(1, 8)]
FILE = [*closed(), *MONTHS]  # 3 signing/closing facts, then a Gross Margin report a month (1.5(b))


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "g.sqlite")
    assert run_cli(capsys, "--store", path, "new", "APA").code == 0
    return path


def apply(capsys: pytest.CaptureFixture[str], store: str, path: Path, facts: list[dict]) -> Run:
    """`apa-ledger apply APA FILE` of ``facts`` written to ``path``, as the clerk saves it."""
    write_jsonl(path, facts)
    return run_cli(capsys, "--store", store, "apply", "APA", str(path))


def test_a_grown_file_appends_only_its_new_lines_as_one_batch(store: str, tmp_path: Path, capsys) -> None:
    """Applied with 5 lines, then 7, then 10: 5, 2 and 3 events appended; the state is the
    state of the whole file applied at once (1.5(b) figures alike)."""
    clerk = tmp_path / "APA.jsonl"
    for lines, appended in ((5, 5), (7, 2), (10, 3)):
        run = apply(capsys, store, clerk, FILE[:lines])
        assert run.code == 0, run.err
        assert run.out.startswith(f"appended {appended} event{'s' if appended > 1 else ''} to APA")
        assert stored_count(Path(store)) == 1 + lines
    assert "the file's first 7 facts were applied before" in run.out
    events = open_store(store).load("APA").events
    assert len({e.batch for e in events[6:8]}) == 1 and events[6].batch != events[5].batch
    whole = tmp_path / "whole.sqlite"
    run_cli(capsys, "--store", str(whole), "new", "APA")
    run_cli(capsys, "--store", str(whole), "apply", "APA", write_jsonl(tmp_path / "w.jsonl", FILE))
    states = [
        json.loads(run_cli(capsys, "--store", s, "state", "APA", "--as-of", "2004-01-01", "--json").out)
        for s in (store, str(whole))
    ]
    assert states[0] == states[1]


def test_the_unchanged_file_and_an_earlier_version_append_nothing(store: str, tmp_path: Path, capsys) -> None:
    clerk = tmp_path / "APA.jsonl"
    apply(capsys, store, clerk, FILE[:5])
    apply(capsys, store, clerk, FILE[:7])
    for lines in (7, 5):
        run = apply(capsys, store, clerk, FILE[:lines])
        assert run.code == 0 and run.out.startswith("already applied at position")
    assert stored_count(Path(store)) == 8


@pytest.mark.parametrize("changed", [2, 4, 6], ids=["in the first batch", "its last line", "in the second batch"])
def test_a_changed_applied_line_is_refused_naming_it(store: str, tmp_path: Path, capsys, changed: int) -> None:
    """Lines 1-4 applied, then 5-6; line ``changed`` edited and a line added: refused, one line
    naming the line, nothing appended."""
    clerk = tmp_path / "APA.jsonl"
    apply(capsys, store, clerk, FILE[:4])
    apply(capsys, store, clerk, FILE[:6])
    edited = list(FILE[:7])
    edited[changed - 1] = {**edited[changed - 1], "occurred_on": "2003-12-30"}
    refused = apply(capsys, store, clerk, edited)
    assert one_clear_line(refused)
    assert f"apa-ledger: line {changed}: differs from the " in refused.err and "nothing appended" in refused.err
    assert stored_count(Path(store)) == 7


def test_a_removed_applied_line_is_refused(store: str, tmp_path: Path, capsys) -> None:
    clerk = tmp_path / "APA.jsonl"
    apply(capsys, store, clerk, FILE[:6])
    refused = apply(capsys, store, clerk, [*FILE[:4], FILE[5]])
    assert one_clear_line(refused) and "line 5: differs from the GrossMarginReported" in refused.err
    refused = apply(capsys, store, clerk, FILE[:4])  # the last two lines cut off
    assert one_clear_line(refused)
    assert "line 5: the file ends before the GrossMarginReported it applied at position 6" in refused.err
    assert stored_count(Path(store)) == 7


def test_another_file_is_new_facts(store: str, tmp_path: Path, capsys) -> None:
    """A file that does not start with an applied file's first fact is a batch of its own."""
    apply(capsys, store, tmp_path / "APA.jsonl", FILE[:5])
    run = apply(capsys, store, tmp_path / "claims.jsonl", [claim("C1", "2004-01-15", "30000")])
    assert run.code == 0 and run.out.startswith("appended 1 event"), run.err


def test_import_applies_only_the_new_lines_of_each_file(tmp_path: Path, capsys) -> None:
    """`import DIR` each month: only what is new is appended."""
    store, folder = str(tmp_path / "p.sqlite"), tmp_path / "portfolio"
    folder.mkdir()
    write_jsonl(folder / "APA.jsonl", FILE[:5])
    assert run_cli(capsys, "--store", store, "import", str(folder)).code == 0
    write_jsonl(folder / "APA.jsonl", FILE[:8])
    grown = run_cli(capsys, "--store", store, "import", str(folder))
    assert grown.code == 0 and "0 agreements registered, 3 events appended, 0 already applied" in grown.out
    again = run_cli(capsys, "--store", store, "import", str(folder))
    assert "0 events appended, 1 already applied" in again.out
    assert stored_count(Path(store)) == 9


def test_prefix_digests_are_the_content_ids_of_the_prefixes() -> None:
    drafts = parse_jsonl(to_jsonl(*FILE))
    assert ["sha256:" + d for d in prefix_digests(drafts)] == [
        content_batch_id(drafts[:k]) for k in range(1, len(drafts) + 1)
    ]


def test_the_portfolio_generators_files_end_with_a_newline() -> None:
    """A line a clerk appends to a generated file starts a line of its own."""
    data = jsonl(FILE[:2])
    assert data.endswith(b"\n") and data.count(b"\n") == 2
