"""The store chained as a whole: one seal row per agreement an append touches, in the same transaction.

Each agreement's own chain (``domain.chain``) cannot show that the agreement itself was
deleted. Every append therefore also writes, in its transaction, one small row per agreement
it touches to the table ``<events table>_seals``: the store sequence number, the agreement,
the batch's last position there and its count of events, the last event's hash, the
previous seal and this row's seal over all of them (``domain.chain.store_seal``) - signed with
HMAC-SHA-256 when a signing key is configured (``$APA_LEDGER_SIGNING_KEY``, ``keygen
--signing``), so that the store chain cannot be sealed again without the key. On PostgreSQL
the row also holds ``db_user``, the server's ``current_user`` written by the server itself.

``verify`` (``check_store_chain``) then requires: each seal chained to the one before and
recomputing to itself (with the key, when given); each naming an event that is in the store
with that hash; and every event of every agreement covered by some seal, except the events
recorded before the store had seals (a store made before them: "no store chain before
notification N"). A deleted agreement, a deleted or re-sealed batch, an event appended
behind the ledger's back and a store chain re-sealed without the key are each named. What a
chain cannot show - its own last seals deleted - a checkpoint shows (``commands.checkpoint``
records the store head).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.chain import GENESIS, store_seal
from domain.events import LedgerEvent

SUFFIX = "_seals"


@dataclass(frozen=True, slots=True)
class Tail:
    """What one append adds to one agreement: its last position, count of events and last hash."""

    originator_id: UUID
    position: int
    count: int
    hash: str


@dataclass(frozen=True, slots=True)
class Seal:
    """One row of the seals table."""

    seq: int
    originator_id: UUID
    position: int
    count: int
    hash: str
    prev: str
    seal: str
    db_user: str | None
    key_id: str


def tails(events: Sequence[LedgerEvent]) -> list[Tail]:
    """Each agreement an append touches, in the order it first appears among ``events``.

    Counted by runs of the same id object (a batch's events share their agreement's), so a UUID
    is hashed once a run, not twice an event: its ``__hash__`` is the interpreter's."""
    last: dict[UUID, LedgerEvent] = {}
    counts: dict[UUID, int] = {}
    ids = [event.originator_id for event in events]
    start = 0
    for end in range(1, len(ids) + 1):
        if end == len(ids) or ids[end] is not ids[start]:
            ident = ids[start]
            last[ident] = events[end - 1]
            counts[ident] = counts.get(ident, 0) + end - start
            start = end
    return [Tail(ident, e.position, counts[ident], e.hash) for ident, e in last.items()]


def chained(
    head: tuple[int, str] | None, appended: Sequence[Tail], db_user: str | None, key: bytes | None, key_id: str
) -> list[Seal]:
    """The seal rows of an append after the store head ``head`` (its seq and seal; None: none yet)."""
    seq, prev = head if head is not None else (0, GENESIS)
    rows = []
    for tail in appended:
        seq += 1
        seal = store_seal(seq, tail.originator_id.hex, tail.position, tail.count, tail.hash, prev, db_user, key)
        rows.append(Seal(seq, tail.originator_id, tail.position, tail.count, tail.hash, prev, seal, db_user, key_id))
        prev = seal
    return rows


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def check_store_chain(store: Any, registered: Sequence[str], key: bytes | None) -> tuple[str | None, str]:
    """(the first break or None, a summary) of the store chain of ``store`` (``LedgerStore``),
    whose registered agreements are ``registered``."""
    from commands.checkpoint import key_id
    from domain.agreement import agreement_uuid

    recorder = store.recorder
    seals: list[Seal] = recorder.select_seals()
    if not seals:
        if recorder.max_notification_id() is None:
            return None, ""
        return None, "; no store chain (a store made before it: every event is before its first seal)"
    ours = key_id(key) if key is not None else ""
    prev, signed_from = GENESIS, None
    for s in seals:
        if s.prev != prev:
            gone = "the store chain's first seals were deleted" if prev == GENESIS else "a seal before it was deleted"
            return (
                f"store seal {s.seq}: it does not follow the seal before it ({gone}, or the seals were reordered)",
                "",
            )
        if s.key_id:
            signed_from = s.seq if signed_from is None else signed_from
            if key is not None and s.key_id != ours:
                return f"store seal {s.seq} is signed with key {s.key_id}, not with this key ({ours})", ""
        elif signed_from is not None:
            return (
                f"store seal {s.seq} is not signed, after signed seals: "
                "the store chain was sealed again without the key",
                "",
            )
        if key is not None or not s.key_id:
            again = store_seal(
                s.seq, s.originator_id.hex, s.position, s.count, s.hash, s.prev, s.db_user, key if s.key_id else None
            )
            if again != s.seal:
                return (
                    f"store seal {s.seq} does not match what it seals "
                    f"(agreement {s.originator_id}, position {s.position})",
                    "",
                )
        prev = s.seal
    names = {agreement_uuid(a): a for a in registered}
    hashes = dict(recorder.select_sealed_hashes(store.mapper))
    covered: dict[UUID, list[tuple[int, int]]] = {}
    for s in seals:
        if s.originator_id not in names:
            return (
                f"store seal {s.seq}: agreement {s.originator_id} position {s.position} is not in the store "
                "(the agreement or its registration was deleted)",
                "",
            )
        found = hashes.get(s.seq)
        if found is None:
            return (
                f"store seal {s.seq}: agreement {names[s.originator_id]} "
                f"has no event at position {s.position} (deleted)",
                "",
            )
        if found != s.hash:
            return (
                f"store seal {s.seq}: agreement {names[s.originator_id]} position {s.position} is not the event sealed",
                "",
            )
        covered.setdefault(s.originator_id, []).append((s.position - s.count + 1, s.position))
    first = seals[0]  # the store's events before its first seal's batch have no store chain
    legacy_end = recorder.notification_of(first.originator_id, first.position - first.count + 1)
    if legacy_end is None:
        return f"store seal {first.seq}: the first event it seals is not in the store (deleted)", ""
    legacy = 0
    for ident, last, before in recorder.select_extents(legacy_end):
        ident = _uuid(ident)
        legacy += before
        name = names.get(ident, str(ident))
        expected = before + 1  # the first position after the agreement's events recorded before the store chain
        for low, high in sorted(covered.get(ident, [])):
            if low != expected:
                return (
                    f"agreement {name}: positions {expected}-{low - 1} are covered by no store seal "
                    "(appended outside the ledger?)",
                    "",
                )
            expected = high + 1
        if expected <= last:
            return (
                f"agreement {name}: positions {expected}-{last} are covered by no store seal "
                "(appended outside the ledger?)",
                "",
            )
    # an intact store chain, unsigned and from the store's first event, is part of "hash chains intact"
    notes = []
    if seals[-1].key_id:
        notes.append(f"store chain signed with key {seals[-1].key_id}")
        if key is None:
            notes[-1] += " (signatures not checked: no signing key given)"
    elif key is not None:  # sealed before the key was configured
        notes.append(
            "store chain not signed: anyone who can write the store could seal it again; a checkpoint shows it"
        )
    if legacy:
        notes.append(f"no store chain before notification {legacy_end} ({legacy} events recorded before it)")
    return None, "".join(f"; {note}" for note in notes)
