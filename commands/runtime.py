"""How the ledger's processes run: the garbage collector's thresholds.

A batch, a replay or a read model rebuild allocates hundreds of thousands of small
objects (events, their fields, the state's parts) that live until the batch or the
agreement is done and are then freed by reference counting; almost none are in
reference cycles. With CPython's default thresholds (a collection every 700 net
allocations) the collector ran thousands of times over them for nothing: 12% of an
import's time in the benchmark's profile. ``tune_collector`` collects the youngest
generation every 50,000 allocations instead; cycles are still collected.
"""

from __future__ import annotations

import gc

YOUNGEST = 50_000
"""Net allocations between two collections of the youngest generation (CPython's default: 700)."""


def tune_collector() -> None:
    """Set the thresholds every ``apa-ledger`` process runs with (the benchmarks use them too)."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST, middle, oldest)
