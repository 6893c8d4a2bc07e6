"""Run `apa-ledger` in-process (fast) or as a real subprocess, write JSON Lines files, and count a
store's events."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from commands.cli import main

APA_LEDGER = str(Path(sys.executable).with_name("apa-ledger"))


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`apa-ledger ARGS` in this process: its exit status and what it printed."""
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    else:  # pragma: no cover - main always exits
        code = 0
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`apa-ledger ARGV` in this process as a tuple: (exit code, stdout, stderr)."""
    result = run_cli(capsys, *argv)
    return result.code, result.out, result.err


def write_jsonl(path: Path, facts: list[dict[str, Any]] | list[str]) -> str:
    """Facts (dicts, or raw lines as given) as a JSON Lines file; returns its path."""
    lines = [f if isinstance(f, str) else json.dumps(f) for f in facts]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run_process(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    """`apa-ledger ARGS` as a real process."""
    done = subprocess.run(
        [APA_LEDGER, *args], input=stdin, capture_output=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    return Run(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))


def stored_count(path: Path) -> int:
    """Rows in the SQLite store's event table, read directly (no ledger code involved)."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM stored_events").fetchone()[0]


def one_clear_line(run: Run) -> bool:
    """Exit 2 with exactly one line on stderr, prefixed by the program name, and no traceback."""
    lines = run.err.splitlines()
    return run.code == 2 and len(lines) == 1 and lines[0].startswith("apa-ledger: ") and "Traceback" not in run.err
