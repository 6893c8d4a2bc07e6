"""Tamper evidence: re-read every stored event, recompute the hash chain, replay from scratch."""

from __future__ import annotations

from contextlib import closing

from commands import workers as pool_of
from commands.store.application import LedgerStore
from domain.chain import first_break
from domain.events import LedgerEvent
from projections.ledger import fold


def check_agreement(store: LedgerStore, agreement_id: str) -> tuple[int, str | None]:
    """(events read, None) when the chain holds and the replay is clean, else the first break."""
    events: list[LedgerEvent] = []
    for stored in store.iter_stored(agreement_id):
        try:
            events.append(store.mapper.validated(stored))
        except Exception as exc:  # altered bytes no longer decode (or decrypt)
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return len(events), f"position {stored.originator_version}: the stored event cannot be read ({reason})"
    broken = first_break(events)
    if broken is not None:
        position, reason = broken
        return len(events), f"position {position}: {reason}"
    anomalies = fold(events).anomalies
    if anomalies:
        position, reason = anomalies[0]
        return len(events), f"position {position}: replay rejects the stored event: {reason}"
    return len(events), None


def verify_store(
    store: LedgerStore, agreement_id: str | None = None, expect_head: str | None = None, workers: int | None = None
) -> tuple[bool, str]:
    """Verify one agreement or every agreement in the store (on every core for a large store:
    ``workers`` as ``commands.workers.each_on_every_core``), reporting the first break in the
    order the agreements were registered.

    The chain alone cannot show that its *last* events were deleted; ``expect_head`` (a hash
    kept elsewhere, e.g. from ``history --json``) must then be the hash of some event of the
    chain - the head itself, or an earlier event when more were appended since."""
    ids = [agreement_id] if agreement_id else store.agreement_ids()
    if agreement_id and not store.exists(agreement_id):
        return False, f"no agreement {agreement_id!r} in this store"
    total = 0
    with closing(pool_of.each_on_every_core(store, ids, check_agreement, workers, pool_of.AGREEMENTS_FROM)) as checks:
        for each, (count, problem) in zip(ids, checks, strict=True):
            total += count
            if problem:  # the first in the order registered; the workers stop with the rest unread
                return False, f"verify FAILED: agreement {each}, chain broken at {problem}"
    if agreement_id and expect_head:
        events = store.load(agreement_id).events
        positions = {e.hash: e.position for e in events}
        if expect_head not in positions:
            return False, (
                f"verify FAILED: agreement {agreement_id}, expected head {expect_head[:16]}... is not in the chain "
                f"(now {len(events)} events ending {events[-1].hash[:16]}...): events were removed or rewritten"
            )
        noun = "agreement"
        extra = len(events) - positions[expect_head]
        since = f"; {extra} event{'s' if extra != 1 else ''} appended since that head" if extra else "; head matches"
        return True, f"verified 1 {noun}, {total} events: hash chains intact, replay clean{since}"
    noun = "agreement" if len(ids) == 1 else "agreements"
    return True, f"verified {len(ids)} {noun}, {total} events: hash chains intact, replay clean"
