"""Tamper evidence: each event's hash chains it to the previous event of its agreement."""

from __future__ import annotations

import hashlib
import json

import orjson

from domain.events import LedgerEvent

GENESIS = "0" * 64


def canonical_bytes(event: LedgerEvent) -> bytes:
    """A canonical encoding of everything in the event but its own hash.

    Sorted keys, no whitespace, the event type included, so that any change
    to a field, the type, the position, either time or the previous hash
    changes the digest.
    """
    return _encode(_body(event))


def _body(event: LedgerEvent) -> dict[str, object]:
    body = event.model_dump(mode="json", exclude={"hash"}, by_alias=True)
    body["type"] = event.type
    if not body.get("batch"):
        body.pop("batch", None)  # events recorded before batch ids existed keep their hashes
    return body


def _encode(body: dict[str, object]) -> bytes:
    """``json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` as UTF-8,
    the encoding every stored hash was taken over. orjson with sorted keys writes the same bytes
    for what an event dumps to (strings, ints, bools, None, lists, dicts: the same escapes, keys
    in code point order; tests/test_hash_pin.py checks every character) at a fifth of the cost;
    an int beyond 64 bits, which orjson refuses, goes through the stdlib encoder."""
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(event: LedgerEvent) -> str:
    """SHA-256 over the canonical encoding (which includes ``prev_hash``)."""
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def seal(event: LedgerEvent, prev_hash: str) -> LedgerEvent:
    """Return the event with ``prev_hash`` set and its own hash computed (one copy of the event:
    the digest is taken over its body with ``prev_hash`` already in place)."""
    body = _body(event)
    body["prev_hash"] = prev_hash
    return event.model_copy(update={"prev_hash": prev_hash, "hash": hashlib.sha256(_encode(body)).hexdigest()})


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
