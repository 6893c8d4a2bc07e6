"""The whole state of an agreement at (as_of, known_at): composes the per-area projections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from domain.events import LedgerEvent
from projections.earnout import earnout_state
from projections.escrow import escrow_state
from projections.indemnity import claims_state, indemnity_state
from projections.ledger import Ledger, fold
from projections.models import AgreementState, PurchasePriceState
from projections.obligations import obligations_state
from projections.offset import offset_state
from projections.survival import survival_state


def state_of(ledger: Ledger, as_of: date, known_at: datetime | None = None) -> AgreementState:
    """Compose the state of DESIGN.md from the facts folded up to ``as_of``."""
    facts = ledger.facts
    terms = facts.terms
    earnout = earnout_state(facts, as_of)
    offset = offset_state(facts)
    status = "terminated" if facts.terminated_on else ("closed" if facts.closing_date else "signed")
    cancelled_value = earnout.cancelled_shares * terms.liquidation_value
    return AgreementState(
        agreement_id=facts.agreement_id,
        as_of=as_of,
        known_at=known_at,
        status=status,
        effective_date=facts.effective_date,
        closing_date=facts.closing_date,
        earnout=earnout,
        escrow=escrow_state(facts),
        indemnity=indemnity_state(facts),
        claims=claims_state(facts),
        survival=survival_state(facts, as_of),
        obligations=obligations_state(facts, earnout, offset, as_of),
        purchase_price=PurchasePriceState(
            securities_shares=terms.securities_shares,
            securities_value=terms.securities_value,
            cancelled_earnout_value=cancelled_value,
            reduction=cancelled_value,  # 1.5(c): cancelled Earnout Shares reduce the Purchase Price
        ),
        offset=offset,
    )


def project(events: Iterable[LedgerEvent], as_of: date, known_at: datetime | None = None) -> AgreementState:
    """DESIGN "Two times": fold the events recorded by ``known_at`` that occurred by ``as_of``."""
    return state_of(fold(events, as_of, known_at), as_of, known_at)
