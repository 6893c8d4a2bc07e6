"""The examples of README.md and docs/*.md, read from the markdown and run as a user would.

How a document's fenced blocks are run (write new examples this way):

- ```` ```console ````: lines starting with ``$ `` are commands (a line ending in ``\\`` goes
  on); the lines after a command, up to the next ``$ ``, are its output as shown: stdout and
  stderr together, compared line by line (trailing spaces ignored). In a shown line ``...``
  stands for any text; a line that is only ``...`` for any number of lines. A command with
  no lines after it must print nothing. Add ``echo $?`` to show an exit status.
- ```` ```sh ````, ```` ```shell ````, ```` ```bash ````: every line that is not a comment
  is a command; its output is not checked, but it must exit 0.
- ```` ```jsonl ````: a history, applied with ``--dry-run`` to a new agreement on the
  default terms (every line must be accepted, in order).
- Any other block (``text``, ``json``, no language) is not run.

A comment on the line just before a block's fence changes that block:

- ``<!-- example: file NAME -->`` writes the block, as it is, to NAME (for later commands).
- ``<!-- example: fragment -->`` a ``jsonl`` block of lines out of context: each line is
  read by the ledger's strict reader (types and fields), not applied.
- ``<!-- example: skip (why) -->`` the block is not run: say why (a PostgreSQL server, make).

Each document runs top to bottom in one bash process, in a new empty directory where
``.venv`` is this checkout's virtual environment and ``apa-ledger`` is on the PATH; shell
variables and ``export`` carry over from block to block. No ``APA_LEDGER_*`` variable of the
caller's environment is passed on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SHELL = {"sh", "shell", "bash"}
DIRECTIVE = re.compile(r"<!--\s*example:\s*(\w+)\s*(.*?)\s*-->")
FENCE = re.compile(r"^```\s*([\w-]*)\s*$")


@dataclass(frozen=True)
class Command:
    line: int  # where the command starts in the document (1-based)
    text: str
    shown: tuple[str, ...] | None  # the output as shown; None: not shown, must exit 0


@dataclass(frozen=True)
class Block:
    line: int  # the opening fence
    lang: str
    body: str
    directive: str | None
    argument: str


class DocumentError(ValueError):
    """A document whose examples cannot be read (an unclosed fence, an unknown directive)."""


def blocks(text: str, name: str = "document") -> list[Block]:
    """The fenced blocks of ``text`` with the directive on the line before each, if any."""
    found: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start = i
        directive = DIRECTIVE.fullmatch(lines[i - 1].strip()) if i else None
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        if end is None:
            raise DocumentError(f"{name}:{start + 1}: a fence that is never closed")
        if directive and directive.group(1) not in ("file", "fragment", "skip"):
            raise DocumentError(f"{name}:{start}: unknown example directive {directive.group(1)!r}")
        found.append(
            Block(
                line=start + 1,
                lang=fence.group(1).lower(),
                body="".join(f"{line}\n" for line in lines[start + 1 : end]),
                directive=directive.group(1) if directive else None,
                argument=directive.group(2) if directive else "",
            )
        )
        i = end + 1
    return found


def _joined(lines: list[str], i: int) -> tuple[str, int]:
    """The command starting at lines[i] with its ``\\`` continuations, and the next index."""
    parts = [lines[i]]
    while parts[-1].endswith("\\") and i + 1 < len(lines):
        i += 1
        parts.append(lines[i])
    return "\n".join(parts), i + 1


def commands(block: Block, name: str = "document") -> list[Command]:
    """The commands of a shell block, each with its shown output (console) or none (sh)."""
    lines = block.body.splitlines()
    found: list[Command] = []
    i = 0
    if block.lang == "console":
        while i < len(lines):
            if not lines[i].startswith("$ "):
                raise DocumentError(f"{name}:{block.line + 1 + i}: output before any `$ ` command")
            start = i
            text, i = _joined(lines, i)
            shown = []
            while i < len(lines) and not lines[i].startswith("$ "):
                shown.append(lines[i])
                i += 1
            found.append(Command(block.line + 1 + start, text[2:], tuple(shown)))
        return found
    while i < len(lines):
        start = i
        text, i = _joined(lines, i)
        if text.strip() and not text.lstrip().startswith("#"):
            found.append(Command(block.line + 1 + start, text, None))
    return found


def matches(shown: tuple[str, ...], output: str) -> bool:
    """Whether ``output`` is what ``shown`` shows: ``...`` any text, a ``...`` line any lines."""
    pattern = "".join(
        r"(?:.*\n)*?" if line.strip() == "..." else re.escape(line.rstrip()).replace(r"\.\.\.", ".*") + r"\n"
        for line in shown
    )
    actual = "".join(f"{line.rstrip()}\n" for line in output.splitlines())
    return re.fullmatch(pattern, actual) is not None


def _heredoc(body: str) -> str:
    marker = "__EXAMPLE_END__"
    return f"<<'{marker}'\n{body}{marker}"


def script(text: str, name: str = "document") -> tuple[str, list[Command]]:
    """One bash script for the document's examples, and the commands whose results it keeps
    (command k writes its output to .examples/k.out and its exit status to .examples/k.rc)."""
    out = ["mkdir -p .examples"]
    run: list[Command] = []

    def add(command: Command) -> None:
        k = len(run)
        run.append(command)
        # Braces, not a subshell: assignments, `export` and `cd` carry on to the next command;
        # `(exit rc)` hands the command's status on to a shown `echo $?`.
        keep = f">.examples/{k}.out 2>&1 </dev/null; rc=$?; echo $rc >.examples/{k}.rc; (exit $rc)"
        out.append(f"{{\n{command.text}\n}} {keep}")

    for block in blocks(text, name):
        if block.directive == "skip":
            continue
        if block.directive == "file":
            if not block.argument:
                raise DocumentError(f"{name}:{block.line - 1}: `example: file` needs a file name")
            out.append(f"cat >{block.argument} {_heredoc(block.body)}")
        elif block.lang == "jsonl":
            if block.directive == "fragment":
                # Each line parsed and validated into its event class, as `apply --dry-run`'s
                # reading of a key's batch does, without a store.
                read = (
                    "import sys\nfrom commands.parsing import build_event, parse_jsonl\n"
                    "from commands.idempotency import _draft_event\n"
                    "try: [build_event(d, _draft_event) for d in parse_jsonl(sys.stdin.buffer.read())]\n"
                    "except Exception as e: sys.exit(str(e))"
                )
                reader = f'{sys.executable} -c "{read}"'
                add(Command(block.line, f"{reader} {_heredoc(block.body)}", None))
            else:
                store = f".examples/history-{block.line}.sqlite"
                add(
                    Command(
                        block.line,
                        f"apa-ledger --store {store} new EXAMPLE >/dev/null && "
                        f"apa-ledger --store {store} apply EXAMPLE - --dry-run >/dev/null {_heredoc(block.body)}",
                        None,
                    )
                )
        elif block.lang == "console" or block.lang in SHELL:
            for command in commands(block, name):
                add(command)
    return "\n".join(out) + "\n", run


def run_document(path: Path, workdir: Path, timeout: float = 600) -> list[str]:
    """Run the examples of the document at ``path`` in ``workdir``: the mismatches, each
    naming the document's line, the command, and what was shown against what it printed."""
    text = path.read_text(encoding="utf-8")
    source, run = script(text, path.name)
    venv = Path(sys.prefix)
    (workdir / ".venv").symlink_to(venv, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("APA_LEDGER_")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["TZ"] = "UTC"
    subprocess.run(["bash", "-c", source], cwd=workdir, env=env, timeout=timeout, check=False)
    problems = []
    for k, command in enumerate(run):
        out_file, rc_file = workdir / ".examples" / f"{k}.out", workdir / ".examples" / f"{k}.rc"
        if not rc_file.exists():
            problems.append(f"{path.name}:{command.line}: not reached: $ {command.text}")
            continue
        output, rc = out_file.read_text(encoding="utf-8", errors="replace"), int(rc_file.read_text())
        if command.shown is None:
            if rc != 0:
                problems.append(f"{path.name}:{command.line}: exit {rc}: {command.text}\n{output}")
        elif not matches(command.shown, output):
            shown = "\n".join(command.shown)
            where = f"{path.name}:{command.line}: $ {command.text}"
            problems.append(f"{where}\n--- shown:\n{shown}\n--- printed:\n{output}")
    return problems
