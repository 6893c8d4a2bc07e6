"""The `apa-ledger` command line (``commands.cli.app``): ``cli`` is the click group, ``main`` the entry point."""

from commands.cli.app import cli, main

__all__ = ["cli", "main"]
