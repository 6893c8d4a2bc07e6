"""Worker processes that each open the store themselves (``export`` and ``import`` on every core).

Agreements are independent aggregates, so work on a portfolio spreads across cores:
each worker is a fresh interpreter (spawned, so no connection, lock or thread is
inherited) that opens the same store from its settings (SQLite readers and writers,
or its own PostgreSQL connections) and keeps it for every task it is given.

A worker dies with the process that started it: on Linux the kernel kills it when its
parent exits (``PR_SET_PDEATHSIG``), and everywhere it looks for its parent before each
task it takes and once a ``PARENT_POLL`` from a watching thread, so a killed ``import``
leaves no worker appending to the store, or blocked on a pipe no one reads.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import partial
from typing import Any, TypeVar

from commands.runtime import set_gc_and_malloc
from commands.store import waiting
from commands.store.application import LedgerStore


def worker_count(pending: int, threshold: int) -> int:
    """Every core once ``pending`` work reaches ``threshold`` (starting the workers costs an
    interpreter's imports each); none below it (work in this process)."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 and pending >= threshold else 0


@contextlib.contextmanager
def store_pool(store: LedgerStore, workers: int, **state: Any) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes, each with the store open (``worker_state()["store"]``)
    and ``state`` beside it, sharing with this process one count of those waiting for the store's
    lock (``waiting.together``: one line per wait, not one per process). A failure cancels the
    tasks not yet started, so the command ends with its first fault, not after every task has
    met it too."""
    context = multiprocessing.get_context("spawn")
    # The store is open here, so its tables exist: a worker must not run the library's DDL,
    # which on PostgreSQL collides with another worker's ("tuple concurrently updated").
    env = {**store.env, "CREATE_TABLE": "n"}
    waits = context.Value("i", waiting.IDLE)
    initargs = (env, state, os.getpid(), waits)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=initargs)
    before, waiting.together = waiting.together, waits
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        waiting.together = before


Chunk = TypeVar("Chunk")
Item = TypeVar("Item")
Result = TypeVar("Result")
CHUNK = 16
"""Items (agreements) a worker is given at a time by ``each_on_every_core``."""
AGREEMENTS_FROM = 300
"""Agreements from which listing or verifying a store pays for starting workers: a worker takes
an interpreter's imports to start, an agreement milliseconds (docs/benchmarks.md)."""


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
    return alongside_workers(store, chunks, here, _each_there, workers - 1, work=work, arguments=arguments)


def _each(
    store: LedgerStore, work: Callable[..., Result], arguments: dict[str, Any], chunk: Sequence[Any]
) -> list[Result]:
    return [work(store, item, **arguments) for item in chunk]


def _each_there(chunk: Sequence[Any]) -> list[Any]:
    state = worker_state()
    return _each(state["store"], state["work"], state["arguments"], chunk)


def alongside_workers(
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
    are up (an interpreter's imports), so the work done while they start is not lost, as
    it would be with a pool that only this process fed."""
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
    """In a worker: the store it opened and the state its pool was given (each task starts
    here, so a worker whose parent is gone stops before it reads or writes again)."""
    _exit_if_orphaned(_state.get("parent"))
    return _state


PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL = 0.25
"""Seconds between two looks at the parent by a worker's watching thread."""


def _exit_if_orphaned(parent: int | None) -> None:
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # no clean-up: an open transaction is rolled back by the database


def _die_with(parent: int) -> None:
    """Make this worker end when ``parent`` does (see the module's docstring)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl in this libc: the thread remains
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _exit_if_orphaned(parent)  # the parent died before the kernel was told

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL)
            _exit_if_orphaned(parent)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start(env: dict[str, str], state: dict[str, Any], parent: int, waits: Any) -> None:
    _die_with(parent)
    waiting.together = waits
    set_gc_and_malloc()
    _state["parent"] = parent
    _state["store"] = LedgerStore(env=env)
    _state.update(state)
