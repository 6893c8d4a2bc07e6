"""How long a writer waits for the store, and what it says while it waits.

A writer can be held up two ways: another process holds the store's write lock (a long
import; SQLite's ``BEGIN EXCLUSIVE`` or PostgreSQL's ``LOCK TABLE`` left open), or other writers keep appending to the
same agreement first (the optimistic check in ``commands.handlers``). Either wait is
bounded by one setting, ``$APA_LEDGER_WRITE_TIMEOUT`` (seconds, default 30), so an
operator knows how long a command can take before it gives up with one line, and a
writer that is only queued behind others still lands.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from domain.errors import InvalidInput, StoreError

F = TypeVar("F", bound=Callable[..., Any])

WRITE_TIMEOUT_ENV = "APA_LEDGER_WRITE_TIMEOUT"
DEFAULT_WRITE_TIMEOUT = 30.0
"""Seconds a writer waits for the lock or for a quiet moment on its agreement."""
LOCK_POLL = 1
"""Seconds the store's own wait for its lock lasts at each try (SQLite's busy handler,
PostgreSQL's ``lock_timeout``), between two checks of the deadline."""


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

IDLE, WAITING, GAVE_UP = 0, 1, 2
together: Any = None
"""In the processes of one command that work side by side (``commands.workers``): one wait shared
by them all (a ``multiprocessing.Value``: IDLE, WAITING or GAVE_UP). They wait for the same lock,
so the first to find it held says so and the others wait in silence (the user sees one line per
wait, not one per process), and once one has given up the others give up at their next try
(the command ends after one bounded wait, not one after another). An operation that gets past
the lock ends the wait: the next one is said again."""


def _wait_begins(message: str) -> None:
    if together is None:
        notice(message)
        return
    with together.get_lock():
        first = together.value == IDLE
        if first:
            together.value = WAITING
    if first:
        notice(message)


def _wait_given_up(elsewhere: bool) -> bool:
    """Whether this wait ends now: its own time is up (``elsewhere`` False) or another process of
    the command gave up on the same lock."""
    if together is not None and (not elsewhere or together.value == GAVE_UP):
        together.value = GAVE_UP
        return True
    return not elsewhere


def _got_past(waited: bool) -> None:
    if together is not None and together.value != IDLE and (waited or together.value == GAVE_UP):
        together.value = IDLE


def while_locked(locked: Callable[[Exception], bool], outcome: str = "nothing was appended") -> Callable[[F], F]:
    """A store operation (an append, a read) tried again while ``locked(error)`` says another
    process holds the store's lock (each try waits ``LOCK_POLL`` seconds for it), up to
    ``write_timeout()``: said once when the wait begins (once for all the processes of a command,
    ``together``), then one line (a ``StoreError``) ending in ``outcome`` if the lock is still
    held: a read says the store was not changed, since a read-only command appends nothing."""

    def decorate(append: F) -> F:
        @wraps(append)
        def waiting_append(*args: Any, **kwargs: Any) -> Any:
            deadline = timeout = None
            while True:
                try:
                    result = append(*args, **kwargs)
                except Exception as exc:
                    if not locked(exc):
                        raise
                else:
                    _got_past(deadline is not None)
                    return result
                if deadline is None or timeout is None:
                    timeout = write_timeout()
                    deadline = time.monotonic() + timeout - LOCK_POLL  # the first try waited LOCK_POLL
                    _wait_begins(f"the store is locked by another process; waiting up to {timeout:g} s")
                if _wait_given_up(elsewhere=time.monotonic() < deadline):
                    raise StoreError(
                        f"the store stayed locked by another process for {timeout:g} s "
                        f"(${WRITE_TIMEOUT_ENV}); {outcome}",
                        "store",
                    )

        return waiting_append  # type: ignore[return-value]

    return decorate
