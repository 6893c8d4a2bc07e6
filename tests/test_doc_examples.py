"""Every shell and JSON Lines example of README.md and docs/*.md runs, and prints what it shows.

How to mark a block (not run, a file, expected output): see the docstring of
tests/doc_examples.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.doc_examples import Block, DocumentError, blocks, commands, matches, run_document, script

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_document_examples_run_as_shown(document: Path, tmp_path: Path) -> None:
    """README and docs: each example, pasted in order into a new directory, prints what the
    document shows and exits 0 where no output is shown."""
    problems = run_document(document, tmp_path)
    assert not problems, "\n\n".join(problems)


def run_text(tmp_path: Path, text: str) -> list[str]:
    """The mismatches of a small document ``doc.md`` holding ``text``, run in its own directory."""
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    (tmp_path / "run").mkdir()
    return run_document(doc, tmp_path / "run")


def test_document_paths_exist() -> None:
    """README and docs: every path of the checkout they name in backticks is there (a module
    that moves takes its documentation with it)."""
    named = re.compile(r"`((?:commands|domain|projections|tests|benchmarks)/[\w/]+\.py)`")
    missing = [
        f"{doc.name}: {path}"
        for doc in [*DOCUMENTS, ROOT / "CHANGELOG.md"]
        for path in named.findall(doc.read_text(encoding="utf-8"))
        if not (ROOT / path).exists()
    ]
    assert not missing, missing


def test_a_fragment_is_read_by_the_ledger_reader(tmp_path: Path) -> None:
    """A fragment's lines go through the strict reader: a float amount fails the document."""
    good = '{"type": "ClaimResolved", "occurred_on": "2004-03-01", "claim_id": "C2", "amount": "27500"}'
    bad = good.replace('"27500"', "27500.5")
    fragment = "<!-- example: fragment -->\n```jsonl\n{}\n```\n\n"
    problems = run_text(tmp_path, fragment.format(good) + fragment.format(bad))
    assert len(problems) == 1 and problems[0].startswith("doc.md:7: exit 1") and "not the number 27500.5" in problems[0]


def test_shown_output_must_match_what_is_printed(tmp_path: Path) -> None:
    """A shown output that differs from what the command prints is a failure naming the line."""
    problems = run_text(tmp_path, "text\n\n```console\n$ echo 12\n13\n$ echo fine\nfine\n```\n")
    assert len(problems) == 1 and problems[0].startswith("doc.md:4: $ echo 12")


def test_a_command_without_shown_output_must_succeed(tmp_path: Path) -> None:
    """sh blocks show no output: a command there that exits non-zero fails the document."""
    problems = run_text(tmp_path, "```sh\ntrue\nfalse  # fails\n```\n")
    assert len(problems) == 1 and problems[0].startswith("doc.md:3: exit 1")


def test_state_carries_from_block_to_block(tmp_path: Path) -> None:
    """A file block is written for later commands; variables set in one block are seen in the next."""
    assert (
        run_text(
            tmp_path,
            "<!-- example: file a.txt -->\n```text\nhello\n```\n\n"
            "```console\n$ X=$(cat a.txt)\n```\n\n```console\n$ echo $X world\nhello world\n```\n",
        )
        == []
    )


def test_ellipsis_stands_for_text_and_for_lines() -> None:
    """``...`` in a line is any text; a line of ``...`` any number of lines, none included."""
    assert matches(("a ... c",), "a b b c\n")
    assert matches(("first", "...", "last"), "first\nlast\n")
    assert matches(("first", "...", "last"), "first\n1\n2\nlast\n")
    assert not matches(("first", "...", "last"), "first\n1\nlater\n")
    assert not matches(("a ... c",), "a b\nc\n")
    assert matches((), "")
    assert not matches((), "something\n")


def test_skip_and_fragment_directives() -> None:
    """A skipped block is not run; a fragment is read, not applied; an unknown directive is refused."""
    text = (
        "<!-- example: skip (needs a server) -->\n```sh\nexit 3\n```\n"
        '<!-- example: fragment -->\n```jsonl\n{"type": "ClosingOccurred", "occurred_on": "2003-04-10"}\n```\n'
    )
    found = blocks(text)
    assert [(b.directive, b.lang) for b in found] == [("skip", "sh"), ("fragment", "jsonl")]
    source, run = script(text)
    assert "exit 3" not in source and len(run) == 1 and "parse_jsonl" in run[0].text
    with pytest.raises(DocumentError, match="unknown example directive 'skp'"):
        blocks("<!-- example: skp -->\n```sh\ntrue\n```\n")


def test_console_commands_continue_over_backslashes() -> None:
    """A console command ending in a backslash goes on to the next line; what follows is its output."""
    block = Block(line=1, lang="console", body="$ echo a \\\n    b\na b\n", directive=None, argument="")
    (command,) = commands(block)
    assert command.text == "echo a \\\n    b" and command.shown == ("a b",)
