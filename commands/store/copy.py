"""Key rotation: copy every event of a store into a new store, re-encrypted under a new key.

Each stored event is decrypted with the old key and appended to the new store
unchanged - same agreement, position, ``recorded_at``, ``prev_hash`` and hash -
in notification order, in one transaction (all or nothing). The hash chain is
over the plaintext canonical JSON, so the copy verifies exactly as the original.
"""

from __future__ import annotations

from commands.audit import verify_store
from commands.store.application import LedgerStore
from domain.errors import StoreError
from domain.events import LedgerEvent

PAGE = 1000


def read_all(source: LedgerStore) -> list[LedgerEvent]:
    """Every event of the store, in notification (recording) order."""
    events: list[LedgerEvent] = []
    start: int | None = None
    while True:
        page = source.recorder.select_notifications(start, PAGE, inclusive_of_start=start is None)
        events.extend(source.mapper.to_domain_event(notification) for notification in page)
        if len(page) < PAGE:
            return events
        start = page[-1].id


def copy_store(source: LedgerStore, target: LedgerStore) -> tuple[int, str]:
    """Copy ``source`` into the empty ``target``; returns (events copied, verify message of the target)."""
    if target.recorder.max_notification_id() is not None:
        raise StoreError("the target store is not empty; copy into a new store", "store encryption")
    events = read_all(source)
    if events:
        target.save(*events)
    ok, message = verify_store(target)
    if not ok:  # pragma: no cover - would mean the copy altered an event
        raise StoreError(f"the copy does not verify: {message}", "store encryption")
    return len(events), message
