"""How the ledger's processes run: the garbage collector's thresholds and glibc's heap trimming.

A batch, a replay or a read model rebuild allocates hundreds of thousands of small
objects (events, their fields, the state's parts) that live until the batch or the
agreement is done and are then freed by reference counting; almost none are in
reference cycles. So:

- the youngest generation is collected every 50,000 net allocations instead of 700,
  because at the default the collector runs thousands of times over objects reference
  counting frees anyway (cycles are still collected);
- up to 256 MiB of freed heap is kept for reuse, because glibc's ``malloc`` would hand
  memory back whenever 128 KiB lie free at the top of its heap and take it back, a page
  fault per 4 KiB, at the next allocation. Elsewhere than on glibc this is left as it is.

The measurements are in docs/benchmarks.md ("Profile notes").
"""

from __future__ import annotations

import ctypes
import gc

YOUNGEST = 50_000
"""Net allocations between two collections of the youngest generation (CPython's default: 700)."""
M_TRIM_THRESHOLD, M_TOP_PAD = -1, -2  # glibc's mallopt parameters (malloc.h)
TRIM_THRESHOLD = 256 * 1024 * 1024
"""Bytes that may lie free at the top of the heap before glibc gives them back (default 128 KiB)."""
TOP_PAD = 64 * 1024 * 1024
"""Bytes glibc asks the system for beyond each need, so the heap grows in few steps."""


def set_gc_and_malloc() -> None:
    """Set what every ``apa-ledger`` process runs with (its export workers and the benchmarks too)."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST, middle, oldest)
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        libc.mallopt(M_TOP_PAD, TOP_PAD)
    except (OSError, AttributeError):  # not glibc: its allocator is left as it is
        pass
