"""The Agreement aggregate: the ordered, hash-chained events of one agreement.

Functional style, as in the eventsourcing library's ``aggregate7`` example: the
aggregate is an immutable value rebuilt by ``project_agreement`` from its
events; commands produce new events (``register``, ``draft``), and ``chain``
seals them onto the end. The contract's rules are checked by the projections'
fold before anything is chained (see ``commands.handlers``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict

from domain.chain import GENESIS, Sealed, seal, seal_row
from domain.events import AgreementRegistered, LedgerEvent, trusted_model
from domain.terms import Terms

NAMESPACE = UUID("5b0e2a6c-3f8e-5a52-9d1c-8a8f2a9b7c41")
TICK = timedelta(microseconds=1)


def agreement_uuid(agreement_id: str) -> UUID:
    """The store's id for an agreement: a name-based UUID, so the id alone finds its events."""
    return uuid5(NAMESPACE, agreement_id)


class Agreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    agreement_id: str
    events: tuple[LedgerEvent, ...]

    @property
    def version(self) -> int:
        return len(self.events)

    @property
    def last_hash(self) -> str:
        return self.events[-1].hash if self.events else GENESIS

    @property
    def terms(self) -> Terms:
        registered = self.events[0]
        assert isinstance(registered, AgreementRegistered)  # guaranteed by project_agreement
        return registered.terms

    def recording_time(self, now: datetime) -> datetime:
        """The store's clock, kept strictly increasing within the agreement so that recording
        order and ``recorded_at`` order agree (a clock step backwards cannot reorder history)."""
        if self.events and now <= self.events[-1].timestamp:
            return self.events[-1].timestamp + TICK
        return now

    def draft(
        self,
        cls: type[LedgerEvent],
        fields: Mapping[str, Any],
        offset: int,
        recorded_at: datetime,
        batch: str = "",
        provenance: Mapping[str, Any] | None = None,
    ) -> LedgerEvent:
        """A new event of ``cls`` at position version + offset, appended with ``batch`` and
        ``provenance`` (its ``recorded_by`` and ``evidence``, if any), validated by pydantic.

        Through the model's validator itself, not ``model_validate``, whose handling of its
        keyword arguments cost half of validating a fact (every appended event is validated)."""
        values = {**fields, **provenance} if provenance else {**fields}
        values["originator_id"] = self.id
        values["originator_version"] = len(self.events) + offset
        values["timestamp"] = recorded_at
        if batch:
            values["batch"] = batch
        return cls.__pydantic_validator__.validate_python(values)  # type: ignore[no-any-return]

    def chain(self, events: Iterable[LedgerEvent]) -> list[Sealed]:
        """Seal new events onto the end of the hash chain, in order, each with the JSON the store
        keeps for it (``domain.chain.seal_row``)."""
        sealed, prev = [], self.last_hash
        for event in events:
            row = seal_row(event, prev)
            sealed.append(row)
            prev = row.event.hash
        return sealed


def register(agreement_id: str, terms: Terms, recorded_at: datetime, recorded_by: str = "") -> AgreementRegistered:
    """Preamble: a new agreement, its terms, at position 1 of its own chain, recorded by
    ``recorded_by`` (``commands.provenance``)."""
    event = AgreementRegistered(
        originator_id=agreement_uuid(agreement_id),
        originator_version=1,
        timestamp=recorded_at,
        occurred_on=terms.agreement_date,
        agreement_id=agreement_id,
        terms=terms,
        recorded_by=recorded_by,
    )
    sealed = seal(event, GENESIS)
    assert isinstance(sealed, AgreementRegistered)
    return sealed


def project_agreement(agreement: Agreement | None, events: Iterable[LedgerEvent]) -> Agreement | None:
    """Rebuild the aggregate from its stored events (the repository's projector)."""
    collected = (*(agreement.events if agreement else ()), *events)
    if not collected:
        return None
    first = collected[0]
    if not isinstance(first, AgreementRegistered):
        raise ValueError("an agreement's first event must be AgreementRegistered")
    # the ledger's own events, decoded or sealed: validating the tuple would check each one again
    values = {"id": first.originator_id, "agreement_id": first.agreement_id, "events": collected}
    return trusted_model(Agreement, values)
