"""Fast decoding of stored events (commands/store/decode.py) gives exactly what full validation gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from benchmarks.portfolio import history
from commands.store.decode import trusted_decoder, usual_decoder, usual_order
from domain.chain import first_break
from domain.event_json import stored_json
from domain.events import EVENT_TYPES
from tests.ledger import OneAgreement, fact


def exact(event: BaseModel) -> list[tuple[str, str]]:
    """Each field's type and ``repr`` (so a Decimal's exponent counts), a timestamp by its ISO text
    (pydantic's UTC is its own ``TzInfo(0)``, equal to ``datetime.UTC``)."""
    return [
        (name, v.isoformat() if isinstance(v, datetime) else f"{type(v).__name__} {v!r}")
        for name, v in event.__dict__.items()
    ]


def test_every_event_type_has_a_fast_decoder() -> None:
    """Decoding: each event class's fields are all of types the trusted decoder converts."""
    slow = [name for name, cls in EVENT_TYPES.items() if trusted_decoder(cls) == cls.model_validate]
    assert slow == []


def test_trusted_decode_equals_full_validation_event_by_event(ledger: OneAgreement) -> None:
    """Decoding: for a rich history (claims, BP Event, retraction, derived events) the fast path and
    model_validate give equal events, equal dumps and an intact hash chain."""
    ledger.apply(*history(3, claims=6), fact("EventRetracted", "2006-01-02", event_id=5, reason="typo"))
    stored = list(ledger.store.iter_stored(ledger.agreement_id))
    fast = [ledger.store.mapper.to_domain_event(s) for s in stored]
    checked = [ledger.store.mapper.validated(s) for s in stored]
    # repr, not ==: Decimal("80000.0") == Decimal("80000.00"), but their reprs (and stored text) differ
    assert [exact(e) for e in fast] == [exact(e) for e in checked]
    assert [stored_json(e) for e in fast] == [ledger.store.mapper.stored_bytes(s) for s in stored]
    assert {type(e).__name__ for e in fast} >= {"AgreementRegistered", "BPEventDeclared", "SharesSurrendered"}
    assert first_break(fast) is None


def test_an_altered_shape_is_validated_and_refused() -> None:
    """Decoding: a stored state with a key the event does not have goes through model_validate,
    which refuses it (extra fields are forbidden), as it did before the fast path."""
    cls = EVENT_TYPES["ClaimWithdrawn"]
    state: dict[str, Any] = {
        "originator_id": "5b0e2a6c-3f8e-5a52-9d1c-8a8f2a9b7c41",
        "originator_version": 3,
        "timestamp": "2026-01-01T00:00:01Z",
        "occurred_on": "2003-06-02",
        "prev_hash": "",
        "hash": "",
        "batch": "",
        "claim_id": "C1",
        "amount": None,
        "injected": "x",
    }
    with pytest.raises(ValidationError, match="injected"):
        trusted_decoder(cls)(state)


def test_a_field_omitted_at_its_default_decodes_fast_with_and_without_it() -> None:
    """Decoding (domain.stored_form): a ClaimAsserted stored before ``notice`` existed has no
    such key and decodes as ``notice=None``; one with a notice decodes it; both equal full
    validation. A row that lacks ``notice`` but carries another key is still refused."""
    cls = EVENT_TYPES["ClaimAsserted"]
    state: dict[str, Any] = {
        "originator_id": UUID("5b0e2a6c-3f8e-5a52-9d1c-8a8f2a9b7c41"),  # the store's column, decoded
        "originator_version": 3,
        "timestamp": "2026-01-01T00:00:01Z",
        "occurred_on": "2005-04-10",
        "prev_hash": "",
        "hash": "",
        "batch": "",
        "claim_id": "C1",
        "claimant": "buyer",
        "sections": ["2.7"],
        "basis": "",
        "amount": "10.00",
    }
    decode = trusted_decoder(cls)
    for row in (state, {**state, "notice": {"by": "mail", "sent_on": "2005-04-07"}}):
        assert exact(decode(row)) == exact(cls.model_validate(row))
    assert decode(state).notice is None
    assert decode({**state, "notice": {"by": "mail", "sent_on": "2005-04-07"}}).notice.sent_on.day == 7
    with pytest.raises(ValidationError, match="injected"):
        decode({**state, "injected": "x"})


@pytest.mark.parametrize(
    ("cls_name", "field", "value"),
    [
        ("GrossMarginReported", "month", "2003-08 "),  # the month's validator would strip it
        ("GrossMarginReported", "amount", "80000.0"),  # money the ledger writes with two places
        ("EscrowDeposited", "shares", "71293"),  # a share count written as text
        ("EscrowDeposited", "shares", True),  # a bool is not a count
        ("ClaimWithdrawn", "claim_id", "C 1"),  # not an identifier
        ("ClaimWithdrawn", "occurred_on", "20030602"),  # a date fromisoformat reads, not as written
    ],
)
def test_the_fast_path_takes_no_value_the_ledger_would_not_have_written(cls_name: str, field: str, value: Any) -> None:
    """Decoding (issue 17): a value that full validation would normalise or refuse is not taken by
    the fast path (its ``otherwise`` is called); the written form of the same event is taken."""
    cls = EVENT_TYPES[cls_name]
    written = {
        "GrossMarginReported": {"month": "2003-08", "amount": "80000.00"},
        "EscrowDeposited": {"shares": 71293},
        "ClaimWithdrawn": {"claim_id": "C1", "amount": None},
    }[cls_name]
    state: dict[str, Any] = {
        "timestamp": "2026-01-01T00:00:01Z",
        "occurred_on": "2003-06-02",
        "prev_hash": "",
        "hash": "",
        "batch": "",
        **written,
        "originator_id": UUID("5b0e2a6c-3f8e-5a52-9d1c-8a8f2a9b7c41"),
        "originator_version": 3,
    }
    decode = trusted_decoder(cls)
    assert decode(state, lambda _: None) is not None
    assert decode({**state, field: value}, lambda _: None) is None
    row, envelope = _usual_row(cls, state)  # a row with the usual keys: the decoder the store reads it with
    assert exact(usual_decoder(cls)(row, *envelope)) == exact(decode(state))
    assert usual_decoder(cls)({**row, field: value}, *envelope) is None


def _usual_row(cls: type, state: dict[str, Any]) -> tuple[dict[str, Any], tuple[Any, Any]]:
    """``state`` as the store's row holds it (the usual keys, in order) and its envelope."""
    assert set(state) - {"originator_id", "originator_version"} == set(usual_order(cls))
    return {key: state[key] for key in usual_order(cls)}, (state["originator_id"], state["originator_version"])


@pytest.mark.parametrize(
    "text",
    [
        "0.00",
        "-0.00",
        "0.05",
        "-0.05",
        "27500.00",
        "-80000.25",
        "999999999999.99",  # the largest amount below a trillion (parse_money's bound)
        "1000000000000.00",  # a trillion: refused
        "-1000000000000.00",
        "00.10",  # a leading zero format_money never writes
        "80000.0",
        "80000",
        "80000.000",
        " 1.00",
        "1.00 ",
        "+1.00",
        "1e3",
        "1.0E+2",
        "NaN",
        "Infinity",
        ".50",
        "5.",
        "１.００",  # full-width digits, which Decimal reads
        "1_000.00",
    ],
)
def test_a_money_text_is_taken_exactly_when_format_money_writes_it_for_an_amount_parse_money_takes(
    text: str,
) -> None:
    """Decoding (issue 17): the fast path's one pattern for money (``MONEY_AS_WRITTEN``, read in
    line by the decoders) takes a stored amount exactly when the ledger could have written it -
    ``parse_money`` takes the amount unchanged and ``format_money`` gives the same text back - at
    the bounds of two places, a trillion and the sign, and for texts ``Decimal`` reads that the
    ledger never writes; a Gross Margin (1.5(b), ``Money``: it may be negative) and a claim's
    resolution (8.3, ``NonNegativeMoney``: -0.00 is not below zero) each as their validators say."""
    from decimal import Decimal, InvalidOperation

    from commands.store.decode import NotAsWritten, _money_as_written
    from domain.values import format_money, parse_money

    try:
        amount = Decimal(text)
        written = parse_money(amount) == amount and format_money(amount) == text
    except (InvalidOperation, ValueError):
        written = False
    try:
        taken = repr(_money_as_written(text))
    except NotAsWritten:
        taken = None
    assert taken == (repr(Decimal(text)) if written else None)
    envelope = {"timestamp": "2026-01-01T00:00:01Z", "occurred_on": "2003-09-05", "prev_hash": "", "hash": ""}
    envelope |= {"batch": "", "originator_id": UUID("5b0e2a6c-3f8e-5a52-9d1c-8a8f2a9b7c41"), "originator_version": 3}
    for cls_name, fields, may_be_negative in [
        ("GrossMarginReported", {"month": "2003-08", "amount": text}, True),
        ("ClaimResolved", {"claim_id": "C1", "amount": text}, False),
    ]:
        fast = trusted_decoder(EVENT_TYPES[cls_name])({**envelope, **fields}, lambda _: None)
        expected = written and (may_be_negative or Decimal(text) >= 0)
        assert (None if fast is None else repr(fast.amount)) == (repr(Decimal(text)) if expected else None)
        row, ids = _usual_row(EVENT_TYPES[cls_name], {**envelope, **fields})
        usual = usual_decoder(EVENT_TYPES[cls_name])(row, *ids)
        assert (None if usual is None else repr(usual.amount)) == (repr(Decimal(text)) if expected else None)


def test_a_remembered_value_is_remembered_for_its_json_type_only() -> None:
    """Decoding (issue 17): the decoders remember a field's checked values (dates, ids, share
    counts) by value, but a share count 1, once remembered, does not let ``true`` (equal to 1 in
    Python, a different JSON value the ledger never writes for a count) through, nor the text
    ``"1"``; the remembered 1 is still taken."""
    cls = EVENT_TYPES["EscrowDeposited"]  # 1.4, 8.1(c): shares are a positive count
    state: dict[str, Any] = {
        "timestamp": "2026-01-01T00:00:01Z",
        "occurred_on": "2002-12-06",
        "prev_hash": "",
        "hash": "",
        "batch": "",
        "shares": 1,
        "originator_id": UUID("5b0e2a6c-3f8e-5a52-9d1c-8a8f2a9b7c41"),
        "originator_version": 2,
    }
    decode = trusted_decoder(cls)
    assert decode(state, lambda _: None).shares == 1
    assert decode({**state, "shares": True}, lambda _: None) is None
    assert decode({**state, "shares": "1"}, lambda _: None) is None
    assert type(decode(state, lambda _: None).shares) is int
    row, envelope = _usual_row(cls, state)
    assert usual_decoder(cls)({**row, "shares": True}, *envelope) is None
    assert type(usual_decoder(cls)(row, *envelope).shares) is int
