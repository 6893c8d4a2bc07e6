"""Input limits (issue 18 item 4): a batch is read with a longest line, a most lines and a most
bytes checked while it is read, so an endless or newline-free input ends in one line, fast.

The rule pinned is the import format's ("DESIGN: all or nothing"): a batch beyond a limit is
refused whole, before any fact of it is checked, and nothing is appended.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from pathlib import Path

import pytest

from commands.parsing import LIMIT_ENV, MAX_BATCH_BYTES, MAX_BATCH_FACTS, MAX_LINE_BYTES, parse_jsonl, read_limited
from domain.errors import InvalidInput
from tests.clirun import APA_LEDGER, Run, one_clear_line, run_process, stored_count
from tests.ledger import new_ledger

FACT = b'{"type":"GrossMarginReported","occurred_on":"2004-01-05","month":"2003-12","amount":"1.00"}'


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    new_ledger(path).store.close()
    return path


def test_the_defaults_are_beyond_any_real_history() -> None:
    """A long history is tens of thousands of facts of a few hundred bytes each."""
    assert MAX_LINE_BYTES >= 1_000_000 and MAX_BATCH_FACTS >= 1_000_000 and MAX_BATCH_BYTES >= 64 * 1024 * 1024


@pytest.mark.parametrize("chunked", [False, True])
def test_a_line_of_the_limit_is_read_and_one_byte_more_is_refused(
    monkeypatch: pytest.MonkeyPatch, chunked: bool
) -> None:
    """The longest line: exactly the limit is accepted, one byte more refused naming the line,
    also when the line spans several reads (the limit above the read size)."""
    limit = 200_000 if chunked else 100
    monkeypatch.setenv(LIMIT_ENV["line"], str(limit))
    ok = b"x\n" + b"a" * limit + b"\n"
    assert read_limited(io.BytesIO(ok), "f") == ok
    assert read_limited(io.BytesIO(b"a" * limit), "f") == b"a" * limit  # the last line, unended
    with pytest.raises(InvalidInput, match=rf"f: line 2: longer than {limit:,} bytes \(\$APA_LEDGER_MAX_LINE_BYTES"):
        read_limited(io.BytesIO(b"x\n" + b"a" * (limit + 1) + b"\n"), "f")
    with pytest.raises(InvalidInput, match="line 3: longer"):
        read_limited(io.BytesIO(b"x\ny\n" + b"a" * (limit + 1)), "f")


def test_a_batch_of_the_most_lines_is_read_and_one_more_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The most lines: the limit is accepted (ended or not), one more line refused."""
    monkeypatch.setenv(LIMIT_ENV["facts"], "3")
    assert read_limited(io.BytesIO(b"a\nb\nc\n"), "f") == b"a\nb\nc\n"
    assert read_limited(io.BytesIO(b"a\nb\nc"), "f") == b"a\nb\nc"
    with pytest.raises(InvalidInput, match=r"more than 3 lines in one batch \(\$APA_LEDGER_MAX_BATCH_FACTS"):
        read_limited(io.BytesIO(b"a\nb\nc\nd"), "f")


def test_a_batch_of_the_most_bytes_is_read_and_one_more_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The most bytes: the limit is accepted, one byte more refused."""
    monkeypatch.setenv(LIMIT_ENV["bytes"], "10")
    assert read_limited(io.BytesIO(b"abcd\nefgh\n"), "f") == b"abcd\nefgh\n"
    with pytest.raises(InvalidInput, match=r"more than 10 bytes in one batch \(\$APA_LEDGER_MAX_BATCH_BYTES"):
        read_limited(io.BytesIO(b"abcd\nefgh\ni"), "f")


def test_a_limit_is_overridden_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lower line limit refuses a fact the default takes, in a file as in parsed bytes;
    a limit that is not a whole number is one line."""
    assert len(parse_jsonl(FACT)) == 1
    monkeypatch.setenv(LIMIT_ENV["line"], str(len(FACT) - 1))
    with pytest.raises(InvalidInput, match="line 1: longer than"):
        parse_jsonl(FACT)
    with pytest.raises(InvalidInput, match="line 1: longer than"):
        read_limited(io.BytesIO(FACT), "f")
    monkeypatch.setenv(LIMIT_ENV["line"], "many")
    with pytest.raises(InvalidInput, match="is not a whole number"):
        read_limited(io.BytesIO(FACT), "f")


def test_dev_zero_ends_in_one_line_within_a_second(store: Path) -> None:
    """`apply APA /dev/zero`: a line that never ends is refused once it passes the line limit."""
    before = stored_count(store)
    started = time.monotonic()
    run = run_process("--store", str(store), "apply", "APA", "/dev/zero", timeout=30)
    elapsed = time.monotonic() - started
    assert one_clear_line(run) and "longer than 1,000,000 bytes" in run.err, run
    assert elapsed < 2  # the interpreter's start is most of it
    assert stored_count(store) == before


@pytest.mark.parametrize(
    "line", [FACT + b"\n", b" " * 900_000 + b"\n"], ids=["endless-valid-facts", "endless-long-lines"]
)
def test_endless_stdin_ends_in_one_line_within_a_second(store: Path, line: bytes) -> None:
    """`producer | apply APA -` where the producer never stops: the batch limits end it."""
    before = stored_count(store)
    process = subprocess.Popen(
        [APA_LEDGER, "--store", str(store), "apply", "APA", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None

    def produce() -> None:
        block = line * max(1, (1 << 20) // len(line))
        try:
            while True:
                process.stdin.write(block)  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError, OSError):
            pass

    started = time.monotonic()
    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    process.wait(timeout=30)  # its output is one line: no pipe fills while it runs
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    producer.join(timeout=5)
    elapsed = time.monotonic() - started
    run = Run(process.returncode, out.decode(), err.decode())
    assert one_clear_line(run) and "in one batch" in run.err, run
    assert elapsed < 2.5
    assert stored_count(store) == before
