"""CLI commands for the reliability area, registered on the `apa-ledger` group by `register`."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this area's commands to the CLI group."""
