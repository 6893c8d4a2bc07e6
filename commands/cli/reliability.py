"""CLI commands for the reliability area: `keygen` and `copy` (encryption at rest, key rotation), `backup`."""

from __future__ import annotations

import os

import click

NEW_KEY_ENV = "APA_LEDGER_NEW_CIPHER_KEY"


@click.command()
@click.option(
    "--signing",
    "signing_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Instead, write a new checkpoint signing key (HMAC-SHA-256) to FILE, readable by its owner only.",
)
def keygen(signing_file: str | None) -> None:
    """Print a new random AES-256 key for APA_LEDGER_CIPHER_KEY (or, with --signing, make a signing key).

    With the cipher key set, events are stored compressed and encrypted (AES-GCM);
    keep the key apart from the store: without it the store cannot be read.
    Checkpoints written while $APA_LEDGER_SIGNING_KEY names a signing key's file are
    signed with it; `verify --checkpoint` then needs the same key. Keep it off the
    machine that holds the store: whoever holds it can sign a checkpoint of any store.

    \b
    Example:
      export APA_LEDGER_CIPHER_KEY=$(apa-ledger keygen)
      apa-ledger --store secret.sqlite new APA-2002
      apa-ledger keygen --signing ~/.apa-ledger-signing.key
    """
    if signing_file is not None:
        from pathlib import Path

        from commands.checkpoint import new_key

        click.echo(f"wrote a new signing key to {signing_file} (key id {new_key(Path(signing_file))})")
        return
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

    new_key = os.environ.get(NEW_KEY_ENV, "")
    if not new_key and not plaintext:
        fail(f"set {NEW_KEY_ENV} to the new key (`apa-ledger keygen`), or pass --plaintext for an unencrypted copy")
    count, verified = ledger_from(ctx).copy_to(target, cipher_key=new_key)
    mode = "encrypted with the new key" if new_key else "NOT encrypted"
    click.echo(f"copied {count} events to {target} ({mode}); {verified}")


@click.command()
@click.option("--out", "out", metavar="FILE|-", help="A new SQLite file, or - for stdout.")
@click.option("--to", "to_alias", hidden=True, metavar="FILE|-", help="The old name of --out.")
@click.option(
    "--key", "key_file", metavar="FILE", help="The signing key of the checkpoint (default: $APA_LEDGER_SIGNING_KEY)."
)
@click.pass_context
def backup(ctx: click.Context, out: str | None, to_alias: str | None, key_file: str | None) -> None:
    """Back the store up to a new SQLite file, then prove the copy.

    SQLite: the source's checkpoint and SQLite's online backup are taken in one read
    (writers may go on); the copy must then verify and hold exactly that checkpoint.
    PostgreSQL: every event is copied into the file, which must verify and extend the
    checkpoint taken first (pg_dump is the database's own backup: docs/reliability.md).
    Exits 1, naming the problem, if the copy does not prove itself.

    \b
    Example:
      apa-ledger backup --out backups/2004-06-30.sqlite
      apa-ledger backup --out - | gzip > backups/2004-06-30.sqlite.gz
    """
    from commands.cli.options import fail, ledger_from

    target = out or to_alias
    if target is None:
        fail("backup needs --out FILE (or - for stdout)")

    done = ledger_from(ctx).backup(target, key=key_file)
    click.echo(done.message, err=target == "-" or not done.ok)
    if not done.ok:
        ctx.exit(1)


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""
    cli.add_command(keygen)
    cli.add_command(copy)
    cli.add_command(backup)
