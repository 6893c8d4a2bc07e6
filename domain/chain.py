"""Tamper evidence: each event's hash chains it to the previous event of its agreement."""

from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple

from domain.event_json import canonical_json, hashed_json, hashed_of, model_values, stored_of
from domain.events import LedgerEvent

GENESIS = "0" * 64

__all__ = [
    "GENESIS",
    "Sealed",
    "canonical_bytes",
    "canonical_json",
    "digest",
    "first_break",
    "seal",
    "seal_row",
    "store_seal",
]


def canonical_bytes(event: LedgerEvent) -> bytes:
    """A canonical encoding of everything in the event but its own hash (``domain.event_json``).

    Sorted keys, no whitespace, the event type included, so that any change
    to a field, the type, the position, either time or the previous hash
    changes the digest.
    """
    return hashed_json(event, event.type)


def digest(event: LedgerEvent) -> str:
    """SHA-256 over the canonical encoding (which includes ``prev_hash``)."""
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


class Sealed(NamedTuple):
    """An event sealed onto its chain and the JSON the store keeps for it (``stored_json`` of
    ``event``), both written from one reading of its fields (``seal_row``)."""

    event: LedgerEvent
    stored: bytes


def seal(event: LedgerEvent, prev_hash: str) -> LedgerEvent:
    """The event with ``prev_hash`` set and its own hash computed over its canonical form."""
    return seal_row(event, prev_hash).event


def seal_row(event: LedgerEvent, prev_hash: str) -> Sealed:
    """``seal``, with the sealed event's stored JSON written from the same field values as its
    hash (the two forms differ only in ``prev_hash`` and ``hash``), because every appended
    event is both hashed and stored and writing its fields is most of either."""
    values = model_values(event)
    body = hashed_of(dict(values), event.type)
    body["prev_hash"] = prev_hash
    own = hashlib.sha256(canonical_json(body)).hexdigest()
    values["prev_hash"] = prev_hash
    values["hash"] = own
    return Sealed(event.sealed(prev_hash, own), stored_of(values))


def first_break(events: list[LedgerEvent]) -> tuple[int, str] | None:
    """The first position where the chain does not hold, with the reason, or None."""
    prev = GENESIS
    for expected_position, event in enumerate(events, start=1):
        if event.position != expected_position:
            return expected_position, f"position {expected_position} is missing"
        if event.prev_hash != prev:
            return event.position, "prev_hash does not match the previous event's hash"
        if digest(event) != event.hash:
            return event.position, "the stored event does not match its hash"
        prev = event.hash
    return None


def store_seal(
    seq: int,
    agreement: str,
    position: int,
    count: int,
    last_hash: str,
    prev: str,
    db_user: str | None,
    key: bytes | None,
) -> str:
    """The seal of one row of the store chain (``commands.store.seals``): SHA-256 over the
    canonical JSON of the row and the previous seal, or HMAC-SHA-256 with the signing ``key``,
    so that with a key the store chain cannot be sealed again by someone without it."""
    body = {
        "seq": seq,
        "agreement": agreement,
        "position": position,
        "count": count,
        "hash": last_hash,
        "prev": prev,
        "db_user": db_user,
    }
    data = canonical_json(body)
    return hmac.new(key, data, hashlib.sha256).hexdigest() if key is not None else hashlib.sha256(data).hexdigest()
