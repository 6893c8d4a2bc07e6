"""CLI test shorthands over tests/clirun.py (the one in-process runner): a tuple result and JSONL files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run_cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`apa-ledger ARGV` in this process: (exit code, stdout, stderr)."""
    result = run_cli(capsys, *argv)
    return result.code, result.out, result.err


def write_jsonl(path: Path, facts: list[dict[str, Any]] | list[str]) -> str:
    """Facts (dicts, or raw lines as given) as a JSON Lines file; returns its path."""
    lines = [f if isinstance(f, str) else json.dumps(f) for f in facts]
    path.write_text("\n".join(lines) + "\n")
    return str(path)
