"""How long a writer waits for the store, and what it says while it waits.

A writer can be held up two ways: another process holds SQLite's write lock (a long
import, or a ``BEGIN EXCLUSIVE`` left open), or other writers keep appending to the
same agreement first (the optimistic check in ``commands.handlers``). Either wait is
bounded by one setting, ``$APA_LEDGER_WRITE_TIMEOUT`` (seconds, default 30), so an
operator knows how long a command can take before it gives up with one line, and a
writer that is only queued behind others still lands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from domain.errors import InvalidInput

WRITE_TIMEOUT_ENV = "APA_LEDGER_WRITE_TIMEOUT"
DEFAULT_WRITE_TIMEOUT = 30.0
"""Seconds a writer waits for the lock or for a quiet moment on its agreement."""
LOCK_POLL = 1
"""Seconds SQLite's own busy handler waits at each try, between two checks of the deadline."""


def write_timeout() -> float:
    """``$APA_LEDGER_WRITE_TIMEOUT`` seconds (0 to 3600), else the default."""
    text = os.environ.get(WRITE_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_WRITE_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise InvalidInput(f"${WRITE_TIMEOUT_ENV}: {text[:20]!r} is not a number of seconds from 0 to 3600", "CLI")
    return seconds


def _to_stderr(message: str) -> None:
    print(f"apa-ledger: {message}", file=sys.stderr, flush=True)


notice: Callable[[str], None] = _to_stderr
"""Where a writer says that it is waiting (once a wait); a caller of the API may replace it."""
