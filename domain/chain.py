"""Tamper evidence: each event's hash chains it to the previous event of its agreement."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

import orjson

from domain.event_json import encode, field_keys, stamp_text
from domain.events import LedgerEvent
from domain.stored_form import drop_defaults, omitted_fields

GENESIS = "0" * 64


def canonical_bytes(event: LedgerEvent) -> bytes:
    """A canonical encoding of everything in the event but its own hash.

    Sorted keys, no whitespace, the event type included, so that any change
    to a field, the type, the position, either time or the previous hash
    changes the digest.
    """
    return canonical_json(_body(event))


def _body(event: LedgerEvent) -> dict[str, object]:
    body = event.model_dump(mode="json", exclude={"hash"}, by_alias=True)
    body["type"] = event.type
    if not body.get("batch"):
        body.pop("batch", None)  # events recorded before batch ids existed keep their hashes
    return body


def canonical_json(body: object) -> bytes:
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

    The event's JSON is written once for the digest (canonical: sorted, with its type and
    ``prev_hash``, without its own hash) and once for the store's row (with both hashes,
    without the envelope the row's columns hold), straight from its fields
    (``domain.event_json``); the row is kept for the store's mapper (``sealed_state``),
    which would otherwise dump the sealed event again. An event ``event_json`` cannot
    write goes through pydantic's ``model_dump``, as ``canonical_bytes`` always does."""
    renames = field_keys(type(event))
    body = _renamed(event.__dict__, renames) if renames is not None else None
    omitted = omitted_fields(type(event))  # fields left out at their default, as pydantic's dump does
    canonical = None
    if body is not None:
        if omitted:
            drop_defaults(body, omitted)
        body["originator_id"] = stamp_text(body["originator_id"])
        body["timestamp"] = stamp_text(body["timestamp"])
        body["prev_hash"] = prev_hash
        del body["hash"]
        body["type"] = event.type
        if not body["batch"]:
            del body["batch"]  # as _body
        canonical = encode(body, sort=True)
    if canonical is None:
        return _seal_dumped(event, prev_hash)
    sealed = event.sealed(prev_hash, hashlib.sha256(canonical).hexdigest())
    row = _renamed(sealed.__dict__, renames)  # type: ignore[arg-type]
    del row["originator_id"], row["originator_version"]
    if omitted:
        drop_defaults(row, omitted)
    row["timestamp"] = body["timestamp"]
    state = encode(row)
    if state is not None:
        _keep(sealed, state)
    return sealed


def _renamed(values: dict[str, object], renames: dict[str, str]) -> dict[str, object]:
    return {renames.get(key, key): value for key, value in values.items()} if renames else dict(values)


def _seal_dumped(event: LedgerEvent, prev_hash: str) -> LedgerEvent:
    """``seal`` through pydantic's dump (a field or value ``event_json`` does not write)."""
    dump = event.model_dump(mode="json", by_alias=True)
    dump["prev_hash"] = prev_hash
    body = dump.copy()
    del body["hash"]
    body["type"] = event.type
    if not body.get("batch"):
        body.pop("batch", None)  # as _body
    dump["hash"] = hashlib.sha256(canonical_json(body)).hexdigest()
    return event.sealed(prev_hash, dump["hash"])  # rare: the mapper dumps it again


def _keep(sealed: LedgerEvent, state: bytes) -> None:
    _SEALED[id(sealed)] = (sealed, state)
    if len(_SEALED) > _SEALED_KEPT:
        _SEALED.popitem(last=False)  # the oldest (an OrderedDict drops it in constant time)


# The stored JSON of each recently sealed event, by identity, until the store takes it. The entry
# holds the event itself, so its id cannot be reused by another object while the entry exists,
# and the event is frozen, so the JSON cannot go stale. Bounded: an event sealed but never
# saved (a dry run) is dropped, oldest first, and the mapper then simply dumps it again.
_SEALED: OrderedDict[int, tuple[LedgerEvent, bytes]] = OrderedDict()
_SEALED_KEPT = 200_000


def sealed_state(event: LedgerEvent) -> bytes | None:
    """The JSON the store keeps for ``event`` - ``orjson.dumps`` of
    ``event.model_dump(mode="json", by_alias=True)`` without ``originator_id`` and
    ``originator_version`` - if ``seal`` made this very event and it was not taken yet
    (the entry is removed), else None."""
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
