"""Worker processes that each open the store themselves (``export`` and ``import`` on every core).

Agreements are independent aggregates, so work on a portfolio spreads across cores:
each worker is a fresh interpreter (spawned, so no connection, lock or thread is
inherited) that opens the same store from its settings (SQLite readers and writers,
or its own PostgreSQL connections) and keeps it for every task it is given.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from commands.runtime import tune
from commands.store import LedgerStore


def worker_count(pending: int, threshold: int) -> int:
    """Every core once ``pending`` work reaches ``threshold`` (starting the workers costs about
    a third of a second, an interpreter's imports); none below it (work in this process)."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 and pending >= threshold else 0


def store_pool(store: LedgerStore, workers: int, **state: Any) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, each with the store open (``worker_state()["store"]``)
    and ``state`` beside it."""
    context = multiprocessing.get_context("spawn")
    # The store is open here, so its tables exist: a worker must not run the library's DDL,
    # which on PostgreSQL collides with another worker's ("tuple concurrently updated").
    env = {**store.env, "CREATE_TABLE": "n"}
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(env, state))


_state: dict[str, Any] = {}


def worker_state() -> dict[str, Any]:
    """In a worker: the store it opened and the state its pool was given."""
    return _state


def _start(env: dict[str, str], state: dict[str, Any]) -> None:
    tune()
    _state["store"] = LedgerStore(env=env)
    _state.update(state)
