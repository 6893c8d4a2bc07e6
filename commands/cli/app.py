"""The `apa-ledger` command line: the click group, its commands by family, and the entry point.

Exit status 0 on success, 2 on a rejected command, bad input or a fault (one line on
stderr, never a traceback), 1 when `verify` finds a broken chain.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import NoReturn

import click

from commands.cli import audit, evidence, reading, recording, reliability, reporting, scale
from commands.cli.options import EPILOG_STORE, SURROGATE, UserError, fail, fault_line, say
from commands.runtime import set_gc_and_malloc
from domain.errors import LedgerError


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG_STORE,
)
@click.option("--store", metavar="PATH|URL", help="SQLite file or postgresql:// URL of the event store.")
@click.version_option(package_name="apa-ledger", prog_name="apa-ledger", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """An event-sourced ledger of the Buyers United / I-Link Asset Purchase Agreement.

    \b
    Example:
      apa-ledger new APA-2002 && apa-ledger apply APA-2002 history.jsonl
      apa-ledger state APA-2002 --as-of 2003-12-31
    """
    ctx.ensure_object(dict)
    if store is not None and not store.strip():
        fail("--store: empty path")
    ctx.obj["store"] = store


for family in (recording, reading, audit, evidence, reporting, scale, reliability):
    family.register(cli)


def _store_after(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        if not value.strip():
            fail("--store: empty path")
        ctx.obj["store"] = value  # the group's obj: the store every command opens


STORELESS = {"keygen", "serve"}
for command in cli.commands.values():  # `apa-ledger state X --store S` as well as `apa-ledger --store S state X`
    if command.name not in STORELESS and not any(param.name == "store" for param in command.params):
        command.params.append(
            click.Option(
                ["--store"],
                metavar="PATH|URL",
                expose_value=False,
                callback=_store_after,
                help="The event store (as the global --store).",
            )
        )


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point: one line on stderr and exit 2 for any user error."""
    args = sys.argv[1:] if argv is None else argv
    set_gc_and_malloc()
    if any(SURROGATE.search(arg) or "\x00" in arg for arg in args):  # bytes not UTF-8 arrive as surrogates
        say("an argument is not valid UTF-8 text (CLI)")
        sys.exit(2)
    try:
        # standalone_mode=False returns ctx.exit()'s status instead of raising it (e.g. verify's 1)
        status = cli.main(args=argv, prog_name="apa-ledger", standalone_mode=False)
    except LedgerError as exc:
        say(str(exc))
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        say(exc.format_message())
        sys.exit(2 if isinstance(exc, click.UsageError | UserError) else exc.exit_code)
    except click.Abort:
        click.echo("apa-ledger: aborted", err=True)
        sys.exit(2)
    except (OSError, sqlite3.Error) as exc:  # a full disk, a file it may not write ...
        say(fault_line(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("apa-ledger: interrupted; nothing half-written (appends are atomic)", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("APA_LEDGER_DEBUG"):
            raise
        if type(exc).__module__.startswith(("eventsourcing", "psycopg")):  # a lost server, a full disk ...
            say(fault_line(exc))
            sys.exit(2)
        say(f"internal error: {type(exc).__name__}: {str(exc)[:200]}")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
