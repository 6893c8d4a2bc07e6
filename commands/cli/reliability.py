"""CLI commands for the reliability area: `keygen` and `copy` (encryption at rest, key rotation)."""

from __future__ import annotations

import os

import click

NEW_KEY_ENV = "APA_LEDGER_NEW_CIPHER_KEY"


@click.command()
def keygen() -> None:
    """Print a new random AES-256 key for APA_LEDGER_CIPHER_KEY.

    With the key set, events are stored compressed and encrypted (AES-GCM);
    keep the key apart from the store: without it the store cannot be read.

    \b
    Example:
      export APA_LEDGER_CIPHER_KEY=$(apa-ledger keygen)
      apa-ledger --store secret.sqlite new APA-2002
    """
    from commands.store.cipher import create_key

    click.echo(create_key())


@click.command()
@click.option("--to", "target", required=True, metavar="PATH|URL", help="The new, empty store.")
@click.option("--plaintext", is_flag=True, help=f"Write the copy unencrypted when {NEW_KEY_ENV} is not set.")
@click.pass_context
def copy(ctx: click.Context, target: str, plaintext: bool) -> None:
    """Copy every event into a new store, re-encrypted with the key in $APA_LEDGER_NEW_CIPHER_KEY.

    Events are read with the current key (APA_LEDGER_CIPHER_KEY) and appended
    unchanged - positions, recorded_at and hashes - in one transaction; the copy
    is then verified. Use it to rotate the key, or to encrypt a plaintext store.

    \b
    Example:
      export APA_LEDGER_NEW_CIPHER_KEY=$(apa-ledger keygen)
      apa-ledger --store old.sqlite copy --to new.sqlite
      export APA_LEDGER_CIPHER_KEY=$APA_LEDGER_NEW_CIPHER_KEY  # then use new.sqlite
    """
    from commands.cli.options import fail, ledger_from
    from commands.store.application import open_store
    from commands.store.copy import copy_store

    new_key = os.environ.get(NEW_KEY_ENV, "")
    if not new_key and not plaintext:
        fail(f"set {NEW_KEY_ENV} to the new key (`apa-ledger keygen`), or pass --plaintext for an unencrypted copy")
    source = ledger_from(ctx).store
    count, verified = copy_store(source, open_store(target, cipher_key=new_key))
    mode = "encrypted with the new key" if new_key else "NOT encrypted"
    click.echo(f"copied {count} events to {target} ({mode}); {verified}")


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""
    cli.add_command(keygen)
    cli.add_command(copy)
