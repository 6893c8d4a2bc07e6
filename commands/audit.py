"""Tamper evidence: re-read every stored event, recompute the hash chain, replay from scratch."""

from __future__ import annotations

from contextlib import closing
from typing import Any
from uuid import UUID

from commands import workers as pool_of
from commands.handlers import plan
from commands.parsing import Draft
from commands.store.application import LedgerStore
from commands.store.seals import check_store_chain
from domain.agreement import agreement_uuid, project_agreement
from domain.chain import first_break
from domain.errors import LedgerError
from domain.event_json import stored_json
from domain.events import ClaimResolved, EventRetracted, LedgerEvent
from projections.ledger import fold

DERIVING = (ClaimResolved, EventRetracted)  # the facts whose batch may derive events (8.1(c))


def check_agreement(store: LedgerStore, agreement_id: str) -> tuple[int, str | None]:
    """(events read, None) when every record is as the ledger wrote it, the chain holds, the
    replay is clean and every derived event follows from the facts; else the first break."""
    events: list[LedgerEvent] = []
    not_as_written: int | None = None
    for stored in store.iter_stored(agreement_id):
        try:
            event = store.mapper.validated(stored)
        except Exception as exc:  # altered bytes no longer decode (or decrypt)
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return len(events), f"position {stored.originator_version}: the stored event cannot be read ({reason})"
        if not_as_written is None and stored_json(event) != store.mapper.stored_bytes(stored):
            not_as_written = event.position  # what state reads must be what was sealed, byte for byte
        events.append(event)
    broken = first_break(events)
    if broken is not None and (not_as_written is None or broken[0] <= not_as_written):
        position, reason = broken
        return len(events), f"position {position}: {reason}"
    if not_as_written is not None:
        return len(events), (
            f"position {not_as_written}: the stored record is not in the form the ledger writes "
            "(its values read differently from what was sealed)"
        )
    anomalies = fold(events, remember=False).anomalies
    if anomalies:
        position, reason = anomalies[0]
        return len(events), f"position {position}: replay rejects the stored event: {reason}"
    wrong = first_underived(events)
    if wrong is not None:
        return len(events), wrong
    return len(events), None


def first_underived(events: list[LedgerEvent]) -> str | None:
    """The first derived event (8.1(c): SharesSurrendered, CashIndemnityDue) that the facts do
    not give, or one they give that is missing: each batch - the events of one recording time -
    is planned again from its facts on the events before it, as ``apply`` planned it, and the
    events the rules derive are compared with those stored."""
    batches: list[list[LedgerEvent]] = []
    for event in events[1:]:
        if batches and batches[-1][0].timestamp == event.timestamp:
            batches[-1].append(event)
        else:
            batches.append([event])
    agreement = project_agreement(None, events[:1])
    assert agreement is not None
    for batch in batches:
        if any(e.derived for e in batch) or any(isinstance(e, DERIVING) for e in batch):
            drafts = [Draft(type(e), {**e.payload(), "occurred_on": e.occurred_on}) for e in batch if not e.derived]
            try:
                planned = plan(agreement, drafts, batch[0].timestamp, batch[0].batch)
            except LedgerError as rejected:
                return f"position {batch[0].position}: replay rejects the batch: {rejected.message}"
            problem = _compare_derived(batch, planned)
            if problem:
                return problem
        agreement = project_agreement(agreement, batch)
        assert agreement is not None
    return None


def _compare_derived(stored: list[LedgerEvent], planned: list[LedgerEvent]) -> str | None:
    for position in range(stored[0].position, max(stored[-1].position, planned[-1].position if planned else 0) + 1):
        have = next((e for e in stored if e.position == position), None)
        want = next((e for e in planned if e.position == position), None)
        if have is not None and want is not None and (have.type, have.payload()) == (want.type, want.payload()):
            continue
        if have is not None and have.derived:
            expected = f"the rules give {_fact(want)}" if want is not None else "the facts give no such event"
            return f"position {position}: the derived {_fact(have)} does not follow from the facts ({expected})"
        if want is not None and want.derived:
            return f"position {position}: the facts give {_fact(want)}, which is not recorded"
    return None


def _fact(event: LedgerEvent | None) -> str:
    if event is None:
        return "nothing"
    return f"{event.type} " + " ".join(f"{k}={v}" for k, v in event.payload().items())


def log_break(store: LedgerStore, ids: list[str]) -> str | None:
    """The first row of the store's notification log that no registered agreement's chain
    accounts for (an orphan row: its agreement has no registration), or that comes before an
    earlier position of its own agreement (a reordered log); None if there is none."""
    registered = {agreement_uuid(a): a for a in ids}
    last: dict[Any, int] = {}
    start = 0
    while True:
        page = store.recorder.select_positions(start, 1000)  # type: ignore[attr-defined]
        for notification, originator, position in page:
            key = originator if isinstance(originator, UUID) else UUID(str(originator))
            if key not in registered:
                return (
                    f"notification {notification}: a row at position {position} of {key}, which no "
                    "registered agreement has (an orphan row, or its agreement's registration was deleted)"
                )
            if position <= last.get(key, 0):
                return (
                    f"notification {notification}: agreement {registered[key]} position {position} is logged "
                    f"after its position {last[key]} (the log was reordered)"
                )
            last[key] = position
        if len(page) < 1000:
            return None
        start = page[-1][0]


def verify_store(
    store: LedgerStore,
    agreement_id: str | None = None,
    expect_head: str | None = None,
    workers: int | None = None,
    key: bytes | None = None,
) -> tuple[bool, str]:
    """Verify one agreement or every agreement in the store (on every core for a large store:
    ``workers`` as ``commands.workers.each_on_every_core``), reporting the first break in the
    order the agreements were registered.

    The whole store is also checked as one chain of seals, one per agreement per append
    (``commands.store.seals``; their HMACs with the signing ``key``, when given).

    The chain alone cannot show that its *last* events were deleted; ``expect_head`` (a hash
    kept elsewhere, e.g. from ``history --json``) must then be the hash of some event of the
    chain - the head itself, or an earlier event when more were appended since."""
    ids = [agreement_id] if agreement_id else store.agreement_ids(as_written=False)
    if agreement_id and not store.exists(agreement_id):
        return False, f"no agreement {agreement_id!r} in this store"
    if not agreement_id:
        stray = log_break(store, ids)
        if stray is not None:
            return False, f"verify FAILED: {stray}"
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
    chain = ""
    if not agreement_id:  # the store as a whole: every append sealed, in order (commands.store.seals)
        problem, chain = check_store_chain(store, ids, key)
        if problem is not None:
            return False, f"verify FAILED: {problem}"
    noun = "agreement" if len(ids) == 1 else "agreements"
    return True, f"verified {len(ids)} {noun}, {total} events: hash chains intact, replay clean{chain}"
