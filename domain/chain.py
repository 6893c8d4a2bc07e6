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
    """Return the event with ``prev_hash`` set and its own hash computed.

    The event is dumped once: the digest is taken over that dump with ``prev_hash``
    in place, and the same dump, with the hash added, is kept for the store's mapper
    (``sealed_json``), which would otherwise dump the sealed event again."""
    dump = event.model_dump(mode="json", by_alias=True)
    dump["prev_hash"] = prev_hash
    body = {key: value for key, value in dump.items() if key != "hash"}
    body["type"] = event.type
    if not body.get("batch"):
        body.pop("batch", None)  # as _body
    dump["hash"] = hashlib.sha256(_encode(body)).hexdigest()
    sealed = event.sealed(prev_hash, dump["hash"])
    _SEALED[id(sealed)] = (sealed, dump)
    while len(_SEALED) > _SEALED_KEPT:
        del _SEALED[next(iter(_SEALED))]
    return sealed


# The JSON dump of each recently sealed event, by identity, until the store takes it. The entry
# holds the event itself, so its id cannot be reused by another object while the entry exists,
# and the event is frozen, so the dump cannot go stale. Bounded: an event sealed but never
# saved (a dry run) is dropped, oldest first, and the mapper then simply dumps it again.
_SEALED: dict[int, tuple[LedgerEvent, dict[str, object]]] = {}
_SEALED_KEPT = 200_000


def sealed_json(event: LedgerEvent) -> dict[str, object] | None:
    """``event.model_dump(mode="json", by_alias=True)`` if ``seal`` made this very event and
    it was not taken yet (the entry is removed), else None."""
    entry = _SEALED.get(id(event))
    if entry is None or entry[0] is not event:
        return None
    del _SEALED[id(event)]
    return entry[1]


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
