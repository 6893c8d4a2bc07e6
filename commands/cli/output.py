"""Output that pipes: ``--format table|json|jsonl|csv`` (``--json`` the same as ``--format json``)
and ``-`` for stdout wherever a command writes a file.

``table`` is for people; the other three are rows for programs: ``json`` one document
(a list of rows, or the command's one object), ``jsonl`` a row a line, ``csv`` a header and a
row a line with nested values as JSON text, so ``sqlite-utils memory -``, ``jq`` and a
spreadsheet each read them as they are.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import click

FORMATS = ("table", "json", "jsonl", "csv")


def format_option(json_help: str = "The same as --format json.") -> Callable[[Any], Any]:
    """``--format`` and its alias ``--json``: the command receives ``output`` (one of FORMATS)."""

    def decorate(command: Any) -> Any:
        command = click.option(
            "--json", "as_json", is_flag=True, help=json_help + " (--format json)", expose_value=True
        )(command)
        return click.option(
            "--format",
            "output",
            type=click.Choice(FORMATS),
            default=None,
            help="table (for people, the default), json, jsonl (a row a line) or csv.",
        )(command)

    return decorate


def chosen(output: str | None, as_json: bool) -> str:
    """The format asked for: --json is --format json; asking for two different ones is refused."""
    if as_json and output not in (None, "json"):
        raise click.UsageError(f"--json and --format {output} ask for two formats; give one")
    return "json" if as_json else output or "table"


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return "" if value is None else value


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def rows_text(rows: Iterable[Mapping[str, Any]], output: str) -> str:
    """``rows`` as json (a list), jsonl (a row a line) or csv (columns in first-seen order)."""
    rows = list(rows)
    if output == "json":
        return dumps(rows)
    if output == "jsonl":
        return "\n".join(json.dumps(row, ensure_ascii=False, default=str) for row in rows)
    if output == "csv":
        columns = list(dict.fromkeys(key for row in rows for key in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(value) for key, value in row.items()})
        return buffer.getvalue().rstrip("\n")
    raise ValueError(output)


def emit(
    output: str, table: Callable[[], str], rows: Callable[[], Iterable[Mapping[str, Any]]], whole: Any = None
) -> None:
    """Print the command's result in ``output``: ``table()`` for people; ``whole`` (if given: an
    object, or its JSON text) as the json document, else ``rows()`` as json, jsonl or csv."""
    if output == "table":
        from commands.cli.render import terminal_safe

        text = terminal_safe(table())  # a user's strings cannot drive the terminal (JSON keeps them)
    elif output == "json" and whole is not None:
        text = whole if isinstance(whole, str) else dumps(whole)
    else:
        text = rows_text(rows(), output)
    if text:
        click.echo(text)


def write_out(path: str, data: bytes, option: str) -> str:
    """Write ``data`` to ``path`` (``-``: stdout) through ``write_beside``; the name to report it by.
    A file that cannot be written (a full disk, a directory the user may not write) is one line,
    with the previous file, if any, left as it was."""
    from commands.cli.options import fail

    if path == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "stdout"
    try:
        write_beside(Path(path), data)
    except OSError as exc:
        fail(f"{option}: cannot write {path}: {exc.strerror or exc}; {unwritten(path)}")
    except ValueError:  # a NUL byte in the path
        fail(f"{option}: cannot write {path!r}: not a valid file name")
    return path


def unwritten(path: str) -> str:
    """What a failed ``write_beside`` left at ``path``, for its one line."""
    return f"{path} is as it was" if os.path.lexists(path) else "nothing was written"


def write_beside(target: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``target``, flush it to disk, then rename it over
    ``target`` in one step, as the read model is swapped in: a write cut off by a full disk, an
    error or a kill leaves ``target`` as it was (never empty or half written), and the file
    beside it is removed. A ``target`` that is not a regular file (``/dev/stdout``, a pipe) is
    written in place, since renaming over it would replace the device."""
    if target.exists() and not target.is_file():
        with open(target, "wb") as out:
            out.write(data)
        return
    real = Path(os.path.realpath(target))  # a symbolic link keeps pointing at the new file
    beside = real.with_name(f".{real.name}.{os.getpid()}.writing")
    mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else None
    try:
        with open(beside, "xb") as out:  # a new file, made as any other (the umask applies)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(beside, mode)  # the file keeps the permissions it had
        os.replace(beside, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(beside)
        raise


def say_done(message: str, path: str) -> None:
    """What was written: on stdout, or on stderr when the file itself went to stdout."""
    click.echo(message, err=path == "-")
