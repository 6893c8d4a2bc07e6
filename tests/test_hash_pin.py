"""The stored format and the hash chain are frozen: a fixed history, on a fixed clock, must
produce exactly these hashes and stored bytes, whatever is done to make the ledger faster.

(readings 11: a changed encoder would make every existing store fail ``verify``.)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import orjson
import pytest

from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from domain.chain import GENESIS, canonical_bytes, canonical_json, digest, first_break, seal, seal_row
from domain.event_json import payload_json, plan, stored_json
from domain.events import ENVELOPE, EVENT_TYPES, LedgerEvent
from domain.terms import Terms
from tests.histories import HISTORIES, History
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
        assert canonical_json(body) == _stdlib(body)
    keys = {chr(c): c for c in (0x7F, 0xE9, 0x2028, 0xFFFF, 0x1F600, 0x10FFFF, 0x20, 0x41, 0x61, 0x1)}
    assert canonical_json(keys) == _stdlib(keys)
    assert canonical_json({"shares": 2**70}) == _stdlib({"shares": 2**70})


def _one_of_each() -> list[LedgerEvent]:
    """An event of every class, with the edge values a fast encoder could get wrong: negative
    and whole money, an optional amount left out, an alias (BPEventDeclared's ``clause``),
    non-ASCII and control characters, a timestamp without microseconds, nested terms."""
    envelope = {"originator_id": uuid5(NAMESPACE_URL, "x"), "originator_version": 7, "batch": "key:ü"}
    stamp = {"timestamp": datetime(2026, 1, 1, tzinfo=UTC)}
    values: dict[str, dict[str, object]] = {
        "AgreementRegistered": {"agreement_id": "APA-1", "terms": Terms()},
        "EscrowDeposited": {"shares": 25000},
        "ClosingConditionSatisfied": {"condition": "6.1(c)", "waived": True},
        "ClosingDeadlineExtended": {"new_deadline": "2003-06-30"},
        "AgreementTerminated": {"reason": "mutual"},
        "GrossMarginReported": {"month": "2003-01", "amount": "-1234.5"},
        "BPEventDeclared": {"clause": "b"},
        "DeemedEventAgreed": {"promotion_implemented_on": "2003-02-01", "deemed_on": "2003-07-01"},
        "EarnoutSharesDelivered": {"shares": 1},
        "ClaimAsserted": {"claim_id": "C1", "claimant": "sellers", "sections": ["3.3", "8.2(a)(ii)"]}
        | {"basis": BASIS, "amount": "0"},
        "ClaimRevised": {"claim_id": "C1", "amount": "999999999999.99"},
        "ClaimResolved": {"claim_id": "C1", "amount": "27500"},
        "ClaimWithdrawn": {"claim_id": "C1"},
        "SharesSurrendered": {"claim_id": "C1", "shares": 4250},
        "CashIndemnityDue": {"claim_id": "C1", "amount": "-5.00"},
        "EscrowReleased": {"shares": 1000},
        "TaxLimitationPeriodRecorded": {"expires_on": "2008-04-15"},
        "PaymentDue": {"payment_id": "P1", "amount": "30000.00"},
        "PaymentWithheld": {"payment_id": "P1", "amount": "0.01"},
        "WithheldPaymentReleased": {"payment_id": "P1", "amount": "2500"},
        "RedemptionExercised": {"shares": 205000},
        "FormerEmployeeHired": {"employee": "E-1", "commenced_on": "2002-12-20"},
        "TaxReimbursementNotified": {"claim_id": "C1", "amount": "12.30"},
        "NetTaxBenefitRealized": {"claim_id": "C1", "amount": "1.00"},
        "ReimbursementPaid": {"section": "8.3(b)(i)", "reference": "C1"},
        "EventRetracted": {"event_id": 3, "reason": "wrong month — ünïcode\u2028"},
    }
    events = []
    for name, cls in EVENT_TYPES.items():
        fields = values.get(name, {})
        events.append(cls.model_validate({**envelope, **stamp, "occurred_on": "2003-04-10", **fields}))
    micro = {"timestamp": datetime(2026, 11, 25, 16, 49, 52, 5889, tzinfo=UTC)}
    events.append(
        EVENT_TYPES["ClaimWithdrawn"].model_validate(
            {**envelope, **micro, "occurred_on": "2003-04-10"} | {"claim_id": "C2", "amount": "10"}
        )
    )
    fax = {"by": "fax", "sent_on": "2003-04-10", "mailed_copy_on": "2003-04-11"}  # a field omitted at default, set
    events.append(
        EVENT_TYPES["ClaimAsserted"].model_validate(
            {**envelope, **stamp, "occurred_on": "2003-04-10", **values["ClaimAsserted"], "notice": fax}
        )
    )
    documents = [{"name": "a.pdf", "sha256": "ab" * 32, "size": 10}, {"name": "b/c.pdf", "sha256": "cd" * 32}]
    provenance = {"recorded_by": "clerk ü", "evidence": documents}  # fields omitted at default, set
    events.append(
        EVENT_TYPES["ClaimRevised"].model_validate(
            {**envelope, **stamp, "occurred_on": "2003-04-10", **values["ClaimRevised"], **provenance}
        )
    )
    return events


def _pydantic_seal(event: LedgerEvent, prev_hash: str) -> tuple[str, dict[str, object]]:
    """The hash and the stored row as sealing wrote them with pydantic's ``model_dump``."""
    dump = event.model_dump(mode="json", by_alias=True)
    dump["prev_hash"] = prev_hash
    body = {k: v for k, v in dump.items() if k != "hash"}
    body["type"] = event.type
    if not body.get("batch"):
        body.pop("batch", None)
    dump["hash"] = hashlib.sha256(_stdlib(body)).hexdigest()
    del dump["originator_id"], dump["originator_version"]
    return dump["hash"], dump  # type: ignore[return-value]


def test_the_ledgers_form_is_what_pydantic_dumped_for_every_event_class() -> None:
    """Tamper evidence: the ledger writes each event's JSON in its own form (domain.event_json);
    the hash and the stored row are byte for byte what pydantic's ``model_dump`` gave when the
    stored hashes were taken, for every event class and edge value, with and without a batch;
    the row sealing writes beside the hash (what the store keeps) is that same row."""
    for event in _one_of_each():
        for variant in (event, event.model_copy(update={"batch": ""})):
            assert plan(type(variant)).fields, variant.type  # every class has a defined form
            sealed, stored = seal_row(variant, "ab" * 32)
            digest, row = _pydantic_seal(variant, "ab" * 32)
            assert sealed.hash == digest, variant.type
            assert stored_json(sealed) == stored == orjson.dumps(row), variant.type


@pytest.mark.parametrize("history", HISTORIES, ids=[h.name for h in HISTORIES])
def test_every_stored_event_of_the_histories_reseals_to_its_hash(tmp_path: Path, history: History) -> None:
    """Tamper evidence: each stored event, sealed again on its prev_hash through the fast path,
    gets its stored hash, and ``verify``'s pydantic digest agrees."""
    ledger = new_ledger(tmp_path / "h.sqlite")
    ledger.apply(*history.facts)
    for event in ledger.events():
        resealed = seal(event.model_copy(update={"hash": ""}), event.prev_hash)
        assert resealed.hash == event.hash == digest(event)
        assert stored_json(resealed) == orjson.dumps(_pydantic_seal(event, event.prev_hash)[1])


def test_an_id_beyond_64_bits_is_written_through_the_stdlib_encoder() -> None:
    """Tamper evidence: a value orjson refuses (an int beyond 64 bits) is written by the stdlib
    encoder, in the same form and with the same hash as ever."""
    event = EVENT_TYPES["EventRetracted"].model_validate(
        {
            "originator_id": uuid5(NAMESPACE_URL, "x"),
            "originator_version": 2,
            "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
        }
        | {"occurred_on": "2003-04-10", "event_id": 2**70, "reason": "r"}
    )
    sealed = seal(event, GENESIS)
    assert sealed.hash == _pydantic_seal(event, GENESIS)[0] == digest(sealed)
    assert (
        stored_json(sealed)
        == json.dumps(_pydantic_seal(event, GENESIS)[1], separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_the_read_models_payload_is_what_json_dumps_writes_for_every_event_class() -> None:
    """Issue 4 (read model ``events.payload``): the payload written straight from the event's
    fields is byte for byte the stdlib's sorted JSON of ``LedgerEvent.payload()``."""
    excluded = ENVELOPE | {"occurred_on"}
    for event in _one_of_each():
        expected = json.dumps(event.payload(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert payload_json(event, excluded) == expected, event.type


def test_terms_fields_added_later_are_left_out_of_the_stored_form_at_their_default() -> None:
    """domain.stored_form: ``business_calendar`` and ``closing_business_days`` came after stores
    existed. At their defaults they are in neither the hashed nor the stored JSON (so every
    AgreementRegistered already stored keeps its hash: the pinned history above uses the
    default terms); another value is written, hashed and read back; a row without them reads
    as the defaults."""
    added = {"business_calendar", "closing_business_days"}
    assert not added & set(Terms().model_dump(mode="json"))
    other = Terms(business_calendar="US", closing_business_days=5)
    dumped = other.model_dump(mode="json")
    assert (dumped["business_calendar"], dumped["closing_business_days"]) == ("US", 5)
    assert Terms.model_validate(dumped) == other
    assert Terms.model_validate(Terms().model_dump(mode="json")).business_calendar == "US-UT"
    envelope = {"originator_id": uuid5(NAMESPACE_URL, "x"), "originator_version": 1}
    for terms in (Terms(), other):
        event = EVENT_TYPES["AgreementRegistered"].model_validate(
            {**envelope, "timestamp": datetime(2026, 1, 1, tzinfo=UTC), "occurred_on": "2002-12-06"}
            | {"agreement_id": "APA-1", "terms": terms}
        )
        sealed = seal(event, GENESIS)
        assert sealed.hash == _pydantic_seal(event, GENESIS)[0] == digest(sealed)
        stored = orjson.loads(stored_json(sealed))
        assert ("business_calendar" in stored["terms"]) is (terms is other)


def test_the_hashed_and_stored_forms_are_the_ledgers_own_written_out() -> None:
    """Tamper evidence (issue 15, item 5): the form a hash covers is defined by the project
    (domain.event_json), not by a library's serialiser: for one event of each kind of field,
    both forms are written out here in full."""
    event = EVENT_TYPES["ClaimAsserted"].model_validate(
        {"originator_id": uuid5(NAMESPACE_URL, "x"), "originator_version": 7, "batch": ""}
        | {"timestamp": datetime(2026, 11, 25, 16, 49, 52, 5889, tzinfo=UTC), "occurred_on": "2003-04-10"}
        | {"claim_id": "C1", "claimant": "buyer", "sections": ["2.7", "8.1(a)(iii)"], "basis": "é\n", "amount": "5"}
    )
    sealed = seal(event, GENESIS)
    assert stored_json(sealed) == (
        b'{"timestamp":"2026-11-25T16:49:52.005889Z","occurred_on":"2003-04-10","prev_hash":"'
        + GENESIS.encode()
        + b'","hash":"'
        + sealed.hash.encode()
        + b'","batch":"","claim_id":"C1","claimant":"buyer",'
        b'"sections":["2.7","8.1(a)(iii)"],"basis":"\xc3\xa9\\n","amount":"5.00"}'
    )
    assert canonical_bytes(sealed) == (
        b'{"amount":"5.00","basis":"\xc3\xa9\\n","claim_id":"C1","claimant":"buyer",'
        b'"occurred_on":"2003-04-10","originator_id":"' + str(uuid5(NAMESPACE_URL, "x")).encode() + b'",'
        b'"originator_version":7,"prev_hash":"' + GENESIS.encode() + b'","sections":["2.7","8.1(a)(iii)"],'
        b'"timestamp":"2026-11-25T16:49:52.005889Z","type":"ClaimAsserted"}'
    )
    assert sealed.hash == hashlib.sha256(canonical_bytes(sealed)).hexdigest()
