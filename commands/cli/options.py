"""What every `apa-ledger` command shares: the one-line failure, the date and timestamp options,
the ledger of --store, reading an input file, ``--workers``.

Command modules import from here, never from ``commands.cli.app``, so no CLI module imports
another command module.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, NoReturn

import click

SURROGATE = re.compile("[\ud800-\udfff]")
EPILOG_STORE = "The store is --store, else $APA_LEDGER_STORE, else ./apa-ledger.sqlite."


class UserError(click.ClickException):
    exit_code = 2


def fail(message: str) -> NoReturn:
    raise UserError(message)


def parse_as_of(value: str | None) -> date:
    """--as-of: a date (YYYY-MM-DD); defaults to today, the CLI's one reading of the clock."""
    from commands.api import parse_day

    return parse_day(value, "--as-of")


def parse_known_at(value: str | None) -> datetime | None:
    """--known-at: an ISO 8601 timestamp, UTC or with an offset (naive means UTC)."""
    from commands.api import parse_moment

    return parse_moment(value, "--known-at")


def ledger_from(ctx: click.Context) -> Any:
    """The ``commands.api.Ledger`` of --store (opened when a command first reads or writes)."""
    from commands.api import Ledger

    return Ledger.open(ctx.obj["store"])


def read_input(path: str) -> bytes:
    """A file of facts or terms, or ``-`` for stdin, read within the input limits
    (``commands.parsing.read_limited``)."""
    from commands.parsing import read_path

    return read_path(path, repr(path))


def say(message: str) -> None:
    """The one line on stderr: line breaks and control characters in echoed input are escaped
    (so they can neither split the line nor drive the terminal), and a huge echo is cut."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in message)
    click.echo(f"apa-ledger: {text[:500] + '...' if len(text) > 500 else text}", err=True)


def fault_line(error: BaseException) -> str:
    """One line for a fault of the machine rather than of the input (a full disk, a file the
    user may not write, a lost connection): what failed and why. Every write is one
    transaction, so the store keeps what it had."""
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"cannot complete the command: {error.strerror}{where}; the store keeps what it had"
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "readonly database" in reason:
        reason += " (SQLite writes beside a store even to read it: this user may not write the file or its directory)"
    return f"cannot complete the command: {reason}; the store keeps what it had"


def workers_option(what: str, default: str) -> Any:
    """``--workers N``: processes doing ``what`` at once; ``default`` says how many otherwise."""
    return click.option(
        "--workers", type=click.IntRange(min=0, max=64), metavar="N", help=f"{what} Default: {default}."
    )
