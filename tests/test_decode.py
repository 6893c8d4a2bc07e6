"""Fast decoding of stored events (commands/store/decode.py) gives exactly what full validation gives."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from benchmarks.portfolio import history
from commands.store.decode import trusted_decoder
from domain.chain import first_break
from domain.events import EVENT_TYPES
from tests.ledger import Ledger, fact


def test_every_event_type_has_a_fast_decoder() -> None:
    """Decoding: each event class's fields are all of types the trusted decoder converts."""
    slow = [name for name, cls in EVENT_TYPES.items() if trusted_decoder(cls) == cls.model_validate]
    assert slow == []


def test_trusted_decode_equals_full_validation_event_by_event(ledger: Ledger) -> None:
    """Decoding: for a rich history (claims, BP Event, retraction, derived events) the fast path and
    model_validate give equal events, equal dumps and an intact hash chain."""
    ledger.apply(*history(3, claims=6), fact("EventRetracted", "2006-01-02", event_id=5, reason="typo"))
    stored = list(ledger.store.iter_stored(ledger.agreement_id))
    fast = [ledger.store.mapper.to_domain_event(s) for s in stored]
    checked = [ledger.store.mapper.validated(s) for s in stored]
    assert fast == checked
    assert [e.model_dump(mode="json") for e in fast] == [e.model_dump(mode="json") for e in checked]
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
        assert decode(row) == cls.model_validate(row)
    assert decode(state).notice is None
    assert decode({**state, "notice": {"by": "mail", "sent_on": "2005-04-07"}}).notice.sent_on.day == 7
    with pytest.raises(ValidationError, match="injected"):
        decode({**state, "injected": "x"})
