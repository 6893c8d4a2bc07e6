"""Worker processes that each open the store themselves (``export`` and ``import`` on every core).

Agreements are independent aggregates, so work on a portfolio spreads across cores:
each worker is a fresh interpreter (spawned, so no connection, lock or thread is
inherited) that opens the same store from its settings (SQLite readers and writers,
or its own PostgreSQL connections) and keeps it for every task it is given.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import partial
from typing import Any, TypeVar

from commands.runtime import tune
from commands.store.application import LedgerStore


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


Chunk = TypeVar("Chunk")
Item = TypeVar("Item")
Result = TypeVar("Result")
CHUNK = 16
"""Items (agreements) a worker is given at a time by ``each_on_every_core``."""
AGREEMENTS_FROM = 300
"""Agreements from which listing or verifying a store pays for starting workers (an agreement
of 150 events takes 2 to 4 ms, a worker a third of a second to start)."""


def each_on_every_core(
    store: LedgerStore,
    items: Sequence[Item],
    work: Callable[..., Result],
    workers: int | None,
    threshold: int,
    **arguments: Any,
) -> Iterator[Result]:
    """``work(store, item, **arguments)`` for each item, in the items' order: in this process,
    or with ``workers`` > 1 (processes, this one among them; None: every core from
    ``threshold`` items) here and in ``workers - 1`` worker processes (``work`` is then a
    module-level function, which a worker finds by its name)."""
    if workers is None:
        workers = worker_count(len(items), threshold)
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    here = partial(_each, store, work, arguments)
    if min(workers, len(chunks)) <= 1:
        return (result for chunk in chunks for result in here(chunk))
    return here_and_there(store, chunks, here, _each_there, workers - 1, work=work, arguments=arguments)


def _each(
    store: LedgerStore, work: Callable[..., Result], arguments: dict[str, Any], chunk: Sequence[Any]
) -> list[Result]:
    return [work(store, item, **arguments) for item in chunk]


def _each_there(chunk: Sequence[Any]) -> list[Any]:
    return _each(_state["store"], _state["work"], _state["arguments"], chunk)


def here_and_there(
    store: LedgerStore,
    chunks: Sequence[Chunk],
    here: Callable[[Chunk], list[Result]],
    there: Callable[[Chunk], list[Result]],
    helpers: int,
    **state: Any,
) -> Iterator[Result]:
    """Each chunk's results, in the chunks' order, worked out by this process (``here``) and by
    ``helpers`` worker processes (``there``: a module-level function that finds the store and
    ``state`` in ``worker_state()``) alike.

    This process starts on the first chunks at once and the workers join as soon as they
    are up (an interpreter's imports, about a third of a second): on a portfolio that is
    a tenth of the work, which a pool that only this process fed would lose."""
    queue = deque(enumerate(chunks))
    done: dict[int, list[Result]] = {}
    running: dict[Future[list[Result]], int] = {}
    upto = 0
    with store_pool(store, helpers, **state) as pool:
        while queue or running:
            while queue and len(running) < 2 * helpers:  # each worker has its next chunk waiting
                index, chunk = queue.popleft()
                running[pool.submit(there, chunk)] = index
            if queue:
                index, chunk = queue.popleft()
                done[index] = here(chunk)
            else:
                wait(running, return_when=FIRST_COMPLETED)
            for future in [future for future in running if future.done()]:
                done[running.pop(future)] = future.result()
            while upto in done:  # in the chunks' order
                yield from done.pop(upto)
                upto += 1


_state: dict[str, Any] = {}


def worker_state() -> dict[str, Any]:
    """In a worker: the store it opened and the state its pool was given."""
    return _state


def _start(env: dict[str, str], state: dict[str, Any]) -> None:
    tune()
    _state["store"] = LedgerStore(env=env)
    _state.update(state)
