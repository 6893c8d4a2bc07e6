"""No silent plaintext: an output of an encrypted store is written only when asked for.

The store keeps every event encrypted (``commands.store.cipher``); the read model, the
report page and the calendar file are plaintext by nature (SQL, HTML and iCalendar are read
by programs without the key). So from an encrypted store ``export``, ``report`` and
``calendar --out`` refuse, in one line and before writing anything, unless ``--plaintext``
says the plaintext copy is wanted. A read model exported from an encrypted store carries a
mark (``PRAGMA application_id``: in the file's header, so it is written in the export's own
transaction and no table shows it), and ``serve`` refuses to put such a model on the network
without ``--plaintext`` either.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from domain.errors import StoreError

CLAUSE = "store encryption"
ENCRYPTED_SOURCE = 0x61706C65
"""The read model's ``application_id`` when it was exported from an encrypted store ("aple")."""


def refuse_plaintext(store: str, output: str) -> StoreError:
    """The one line for an output of the encrypted store ``store`` written without --plaintext."""
    return StoreError(
        f"the store {store} is encrypted and {output} would hold its figures in plaintext; "
        "add --plaintext to write it anyway",
        CLAUSE,
    )


def mark_encrypted_source(view: Any) -> None:
    """Mark the read model of ``view`` (a tracking recorder) as exported from an encrypted store."""
    with view.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"PRAGMA application_id = {ENCRYPTED_SOURCE}")


def from_encrypted_store(path: str | Path) -> bool:
    """Whether the read model at ``path`` was exported from an encrypted store (read only)."""
    try:
        with closing(sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)) as db:
            return int(db.execute("PRAGMA application_id").fetchone()[0]) == ENCRYPTED_SOURCE
    except sqlite3.DatabaseError:
        return False
