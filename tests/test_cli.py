"""The `apa-ledger` CLI in-process: every command, its help, its output and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from commands.cli import cli
from tests.clirun import run, write_jsonl
from tests.ledger import claim, closed, fact, reference_bp, resolve


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A store with agreement APA: closed 2003-04-10 with the reference BP Event and claims."""
    path = str(tmp_path / "cli.sqlite")
    history = [
        *closed(),
        *reference_bp(),
        claim("C1", "2003-06-01", "30000.00"),
        resolve("C1", "2003-08-01", "27500.00"),
    ]
    assert run(capsys, "--store", path, "new", "APA")[0] == 0
    assert run(capsys, "--store", path, "apply", "APA", write_jsonl(tmp_path / "h.jsonl", history))[0] == 0
    return path


def all_commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            found.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(cli, ())
    return found


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    """STYLE: every command has --help text with an example."""
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "Example" in out


def test_state_json_has_the_design_keys_and_figures(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """readings 18: shares are integers, money is a two-place string."""
    code, out, _ = run(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-30", "--json")
    state = json.loads(out)
    assert code == 0
    assert {
        "agreement_id",
        "as_of",
        "known_at",
        "status",
        "earnout",
        "escrow",
        "indemnity",
        "claims",
        "survival",
    } <= set(state)
    assert state["earnout"]["released_shares"] == 42857 + 28436
    assert state["earnout"]["bp_event"]["assumed_margin_total"] == "486051.47"
    assert state["escrow"]["surrendered_shares"] == 2750
    assert state["indemnity"]["buyer"]["payable"] == "27500.00"


def test_state_as_of_an_earlier_date(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--as-of: the valid-time view; before Closing nothing is released."""
    state = json.loads(run(capsys, "--store", store, "state", "APA", "--as-of", "2003-04-09", "--json")[1])
    assert (state["status"], state["earnout"]["released_shares"]) == ("signed", 0)


def test_state_text_view_cites_the_clauses(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The text view puts the clause beside each figure."""
    code, out, _ = run(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-30")
    assert code == 0
    for cite in ("[1.5(b)]", "[1.5(c)]", "[8.1(c)]", "1.5(b) M", "Survival (7.3)"):
        assert cite in out


def test_record_then_history_json(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`record` appends one fact; `history --json` shows it with both times, hash and clause."""
    code, out, _ = run(
        capsys, "--store", store, "record", "APA", "EscrowReleased", "--occurred-on", "2005-04-11", "--shares", "1000"
    )
    assert code == 0 and "recorded EscrowReleased" in out
    rows = json.loads(run(capsys, "--store", store, "history", "APA", "--json")[1])
    last = rows[-1]
    assert (last["type"], last["occurred_on"], last["payload"]["shares"]) == ("EscrowReleased", "2005-04-11", 1000)
    assert last["prev_hash"] == rows[-2]["hash"] and last["clause"] == "Escrow Agreement, 8.1(c)"


def test_record_sections_as_a_comma_list(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`record ... --sections 2.7,2.14`: a claim citing two sections."""
    code, _, err = run(
        capsys,
        *("--store", store, "record", "APA", "ClaimAsserted", "--occurred-on", "2004-06-01"),
        *("--claim-id", "C7", "--claimant", "buyer", "--sections", "2.7,2.14", "--amount", "100.00"),
    )
    assert code == 0, err
    state = json.loads(run(capsys, "--store", store, "state", "APA", "--as-of", "2004-06-01", "--json")[1])
    assert state["claims"][-1]["sections"] == ["2.7", "2.14"]


def test_history_line_writes_sections_as_recorded_and_leaves_out_empty_fields(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """8.3: a claim's line in `history` shows its sections as `record --sections` takes them
    (``2.7,2.14``) and no ``basis=`` when none was given; `history --json` keeps every field."""
    run(
        capsys,
        *("--store", store, "record", "APA", "ClaimAsserted", "--occurred-on", "2004-06-01"),
        *("--claim-id", "C7", "--claimant", "buyer", "--sections", "2.7,2.14", "--amount", "100.00"),
    )
    code, out, _ = run(capsys, "--store", store, "history", "APA")
    line = out.strip().splitlines()[-1]
    assert code == 0
    assert "claim_id=C7 claimant=buyer sections=2.7,2.14 amount=100.00" in line, line
    assert "basis=" not in line and "[" + "'" not in line
    rows = json.loads(run(capsys, "--store", store, "history", "APA", "--json")[1])
    assert rows[-1]["payload"]["basis"] == "" and rows[-1]["payload"]["sections"] == ["2.7", "2.14"]


def test_verify_passes_on_an_intact_store(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Tamper evidence: an untouched chain verifies (exit 0)."""
    code, out, _ = run(capsys, "--store", store, "verify")
    assert code == 0 and "verified" in out


def test_unknown_agreement_is_one_line_exit_2(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A user error is one line on stderr and exit 2, never a traceback."""
    code, out, err = run(capsys, "--store", store, "state", "NOPE", "--json")
    assert (code, out, err.count("\n")) == (2, "", 1)


def test_bad_as_of_is_one_line_exit_2(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--store", store, "state", "APA", "--as-of", "2003-02-30")
    assert code == 2 and err.count("\n") == 1 and "--as-of" in err


def test_demo_builds_a_store_and_prints_the_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`demo`: a realistic history in a fresh store, verified afterwards."""
    path = str(tmp_path / "demo.sqlite")
    code, out, _ = run(capsys, "demo", "--store-path", path)
    assert code == 0 and "[1.5(b)]" in out
    assert run(capsys, "--store", path, "verify")[0] == 0


def test_state_of_a_few_hundred_events_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Scale: a history of several hundred events still folds on each query (no timing asserted)."""
    path = str(tmp_path / "big.sqlite")
    facts = [*closed(), *reference_bp()]
    for i in range(150):
        facts += [claim(f"K{i}", "2003-06-01", "10.00"), fact("ClaimWithdrawn", "2003-07-01", claim_id=f"K{i}")]
    run(capsys, "--store", path, "new", "APA")
    assert run(capsys, "--store", path, "apply", "APA", write_jsonl(tmp_path / "big.jsonl", facts))[0] == 0
    state = json.loads(run(capsys, "--store", path, "state", "APA", "--as-of", "2004-03-30", "--json")[1])
    assert len(state["claims"]) == 150 and state["earnout"]["bp_event"]["settlement_shares"] == 28436


def test_known_at_before_anything_was_recorded_is_refused(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    """readings 9: nothing was known before the agreement was registered."""
    code, _, err = run(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-30", "--known-at", "2000-01-01")
    assert code == 2 and "not registered at that time" in err
    later = run(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-30", "--known-at", "2199-01-01", "--json")
    now = run(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-30", "--json")
    assert json.loads(later[1])["earnout"] == json.loads(now[1])["earnout"]
