"""Every apa-ledger process runs with the same collector and allocator settings (commands/runtime.py)."""

from __future__ import annotations

import gc

from commands.runtime import YOUNGEST, set_gc_and_malloc


def test_the_youngest_generation_is_collected_every_50000_allocations() -> None:
    """Batches allocate hundreds of thousands of short-lived objects; the collector is not run
    every 700 of them (the older generations keep their thresholds)."""
    before = gc.get_threshold()
    try:
        set_gc_and_malloc()
        assert gc.get_threshold() == (YOUNGEST, before[1], before[2])
        set_gc_and_malloc()  # idempotent, and harmless where the allocator is not glibc's
        assert gc.get_threshold()[0] == YOUNGEST
    finally:
        gc.set_threshold(*before)
