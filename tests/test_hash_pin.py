"""The stored format and the hash chain are frozen: a fixed history, on a fixed clock, must
produce exactly these hashes and stored bytes, whatever is done to make the ledger faster.

(DESIGN "Tamper evidence": a changed encoder would make every existing store fail ``verify``.)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from commands.handlers import apply_facts
from commands.importer import parse_jsonl
from domain.chain import _encode, canonical_bytes, first_break
from tests.ledger import claim, closed, fact, margin, new_ledger, resolve, to_jsonl

BASIS = 'café — “quoted” \\ back\tslash\n\u0001\u001f\u007f\u2028\u2029 😀 <&> "end"'

PINNED_LAST_HASH = "ad9fa5b002bc87fcc7a5180e513e559c6e8bb9f50a8ffef8ec78430517d7b57d"
PINNED_CANONICAL = "dbf45d37181454ab9c441a13ddd17591a5d4d59be219b4b6cbfbb44dd00c0296"
PINNED_STORED = "e20a8e98c54a00635914b1e9ba33874bbbd1838224d5605a3ac12460c3c81770"


def _history(tmp_path: Path) -> list:
    ledger = new_ledger(tmp_path / "pin.sqlite")
    ledger.clock.set("2026-01-01T00:00:00Z")
    ledger.apply(*closed("2003-04-10"), margin("2003-01", "100000.00"))
    ledger.apply(
        {**claim("C-1", "2003-05-01", "60000.00", sections=["2.14", "8.1(a)(iii)"]), "basis": BASIS},
        resolve("C-1", "2003-06-01", "55000.00"),
        fact("PaymentDue", "2003-07-01", payment_id="P1", amount="1000.00"),
    )
    apply_facts(
        ledger.store,
        ledger.agreement_id,
        parse_jsonl(to_jsonl(fact("EventRetracted", "2003-07-02", event_id=5, reason="wrong month — ünïcode"))),
        batch="key-ü",
    )
    return ledger.events()


def test_hash_chain_of_a_fixed_history_is_unchanged(tmp_path: Path) -> None:
    """Tamper evidence: the SHA-256 chain over canonical JSON (sorted keys, no spaces,
    non-ASCII and control characters as json.dumps writes them) is pinned."""
    events = _history(tmp_path)
    assert first_break(events) is None
    assert events[-1].hash == PINNED_LAST_HASH
    joined = b"\n".join(canonical_bytes(e) for e in events)
    assert hashlib.sha256(joined).hexdigest() == PINNED_CANONICAL


def test_stored_rows_of_a_fixed_history_are_unchanged(tmp_path: Path) -> None:
    """The stored format: the JSON bytes in the SQLite rows are pinned."""
    _history(tmp_path)
    with sqlite3.connect(tmp_path / "pin.sqlite") as conn:
        rows = conn.execute("SELECT topic, state FROM stored_events ORDER BY rowid").fetchall()
    joined = b"\n".join(topic.encode() + b" " + bytes(state) for topic, state in rows)
    assert hashlib.sha256(joined).hexdigest() == PINNED_STORED


def _stdlib(body: object) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_canonical_encoder_writes_the_stdlib_bytes_for_every_character() -> None:
    """Tamper evidence: the fast canonical encoder (orjson, sorted keys) writes exactly what
    ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` wrote when the
    stored hashes were taken - every code point (control characters, DEL, U+2028, astral),
    in values and in keys (sort order), nested, and ints beyond 64 bits (stdlib fallback)."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(chars), 4096):
        text = "".join(chars[start : start + 4096])
        body = {"k": text, text: [text, 1, None, True, False, {"z": text, "a": "x"}], "n": -(2**63)}
        assert _encode(body) == _stdlib(body)
    keys = {chr(c): c for c in (0x7F, 0xE9, 0x2028, 0xFFFF, 0x1F600, 0x10FFFF, 0x20, 0x41, 0x61, 0x1)}
    assert _encode(keys) == _stdlib(keys)
    assert _encode({"shares": 2**70}) == _stdlib({"shares": 2**70})
