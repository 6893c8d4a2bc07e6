"""Terminal-safe text output (issue 18 item 5): the text views escape control characters and
bidirectional overrides in a user's strings; JSON keeps them exactly; the store keeps the bytes.

The rule pinned is the ledger's record (a claim's basis, 8.3, or a retraction's reason) kept
as given and shown so that it can neither drive the reader's terminal nor disguise a line.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from commands.cli.render import UNSAFE, terminal_safe
from tests.clirun import one_clear_line, run_cli
from tests.hostile_corpus import TERMINAL_ESCAPES
from tests.ledger import AGREEMENT, closed, fact, new_ledger

CORPUS = sorted(TERMINAL_ESCAPES.items())


def _raw_unsafe(text: str) -> list[str]:
    """The characters a terminal would act on (a line break is the views' own)."""
    return UNSAFE.findall(text)


@pytest.mark.parametrize(("name", "hostile"), CORPUS)
def test_terminal_safe_escapes_every_sequence_and_keeps_the_rest(name: str, hostile: str) -> None:
    """Each entry comes out with no character a terminal acts on, its printable part kept."""
    shown = terminal_safe(f"basis: {hostile} end")
    assert _raw_unsafe(shown) == [] and shown.startswith("basis: ") and shown.endswith(" end")
    assert shown != f"basis: {hostile} end"


def test_terminal_safe_leaves_plain_text_and_line_breaks_alone() -> None:
    """Ordinary text, accents, other scripts and the views' line breaks are shown as they are."""
    plain = "Buyers United, Inc. v. I-Link: résumé, 株式, עברית\nsecond line"
    assert terminal_safe(plain) == plain


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One agreement with a claim per corpus entry (its basis the entry) and a retraction whose
    reason holds the whole corpus."""
    path = tmp_path_factory.mktemp("escapes") / "store.sqlite"
    book = new_ledger(path)
    book.apply(*closed())
    claims = [
        fact(
            "ClaimAsserted",
            "2003-06-02",
            claim_id=f"C{n}",
            claimant="buyer",
            sections=["2.14"],
            amount="100",
            basis=f"[{hostile}]",
        )
        for n, (_, hostile) in enumerate(CORPUS)
    ]
    outcome = book.apply(*claims)
    reason = "".join(hostile for _, hostile in CORPUS)
    book.apply(fact("EventRetracted", "2003-06-03", event_id=outcome.appended[0].position, reason=reason))
    book.store.close()
    return path


def test_history_text_shows_each_basis_escaped(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """8.3: `history` prints every basis and reason with its sequences escaped."""
    run = run_cli(capsys, "--store", str(store), "history", AGREEMENT)
    assert run.code == 0
    assert _raw_unsafe(run.out) == []
    for n, (_, hostile) in enumerate(CORPUS):
        assert f"claim_id=C{n} " in run.out
        assert f"basis=[{terminal_safe(hostile)}]" in run.out


@pytest.mark.parametrize(
    "command",
    [
        ["state", AGREEMENT, "--as-of", "2003-07-01"],
        ["state", AGREEMENT, "--as-of", "2003-07-01", "--explain"],
        ["explain", AGREEMENT, "claims.C1", "--as-of", "2003-07-01"],
        ["diff", AGREEMENT, "--as-of", "2003-07-01", "--known-at", "2026-01-01T00:00:02Z"],
        ["agreements", "--as-of", "2003-07-01"],
        ["verify"],
    ],
)
def test_other_text_views_print_no_raw_sequence(
    store: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """The state, explain, diff, the portfolio and verify print no sequence a terminal acts on."""
    run = run_cli(capsys, "--store", str(store), *command)
    assert run.code == 0, run
    assert _raw_unsafe(run.out) == [] and _raw_unsafe(run.err) == []


def test_history_json_keeps_every_string_exactly(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON is for programs: each basis and the reason come back exactly as recorded."""
    run = run_cli(capsys, "--store", str(store), "history", AGREEMENT, "--json")
    rows = json.loads(run.out)
    bases = {r["payload"]["claim_id"]: r["payload"]["basis"] for r in rows if r["type"] == "ClaimAsserted"}
    assert bases == {f"C{n}": f"[{hostile}]" for n, (_, hostile) in enumerate(CORPUS)}
    (retraction,) = [r for r in rows if r["type"] == "EventRetracted"]
    assert retraction["payload"]["reason"] == "".join(hostile for _, hostile in CORPUS)


def test_the_store_keeps_the_bytes_as_given(store: Path) -> None:
    """The stored JSON decodes to the very strings given: escaping is only how text is shown."""
    with sqlite3.connect(store) as db:
        states = [json.loads(row[0]) for row in db.execute("SELECT state FROM stored_events")]
    db.close()
    stored = {s["claim_id"]: s["basis"] for s in states if "basis" in s}
    assert stored == {f"C{n}": f"[{hostile}]" for n, (_, hostile) in enumerate(CORPUS)}


@pytest.mark.parametrize(("name", "hostile"), CORPUS[:6])
def test_an_error_echoing_a_hostile_string_is_one_safe_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, hostile: str
) -> None:
    """An error that names what the user typed escapes it too (one line, exit 2)."""
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps({"type": f"Closing{hostile}", "occurred_on": "2003-04-10"}) + "\n")
    new_ledger(tmp_path / "s.sqlite").store.close()
    run = run_cli(capsys, "--store", str(tmp_path / "s.sqlite"), "apply", AGREEMENT, str(facts))
    assert one_clear_line(run) and _raw_unsafe(run.err) == []
