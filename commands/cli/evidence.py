"""Evidence an auditor keeps apart from the store: `checkpoint` (the store's heads, signed when a
signing key from `keygen --signing` is configured). `verify --checkpoint` checks them; the logic is
in ``commands.checkpoint``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from commands.cli.options import ledger_from
from commands.cli.output import unwritten, write_beside

KEY_HELP = "The signing key's file (default: the file $APA_LEDGER_SIGNING_KEY names)."


@click.command()
@click.option("--out", "out", metavar="FILE|-", default="-", show_default=True, help="Where to write it.")
@click.option("--key", "key_file", metavar="FILE", help=KEY_HELP)
@click.pass_context
def checkpoint(ctx: click.Context, out: str, key_file: str | None) -> None:
    """Write the store's heads now (every agreement's count of events and last hash, signed with
    the signing key if one is configured) to keep elsewhere: the audit file, or an e-mail to the
    other party. `verify --checkpoint FILE` later proves the store still extends it.

    \b
    Example:
      apa-ledger checkpoint --out checkpoints/2004-06-30.json
      apa-ledger verify --checkpoint checkpoints/2004-06-30.json
    """
    from domain.errors import InvalidInput

    body = ledger_from(ctx).checkpoint(key=key_file)
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if out == "-":
        click.echo(text, nl=False)
        return
    try:
        write_beside(Path(out), text.encode())  # a full disk leaves the previous checkpoint as it was
    except OSError as exc:
        raise InvalidInput(f"cannot write the checkpoint {out}: {exc.strerror}; {unwritten(out)}", "CLI") from None
    signed = f"signed with key {body['key_id']}" if "key_id" in body else "not signed (no signing key)"
    click.echo(f"checkpoint of {body['agreements']} agreements, {body['events']} events written to {out}, {signed}")


def register(cli: click.Group) -> None:
    """Add the evidence commands to the CLI group."""
    cli.add_command(checkpoint)
