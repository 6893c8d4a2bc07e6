"""The whole state of an agreement at (as_of, known_at): composes the per-area projections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from domain import earnout as earnout_rules
from domain.events import LedgerEvent
from projections.closing import closing_state
from projections.earnout import earnout_state
from projections.escrow import escrow_state
from projections.facts import Facts, recalled
from projections.indemnity import claims_state, indemnity_state
from projections.ledger import Fold, fold
from projections.models import AgreementState, EscrowState, IndemnityState, OffsetState, PurchasePriceState
from projections.obligations import obligations_state
from projections.offset import offset_state
from projections.survival import survival_state


def state_of(ledger: Fold, as_of: date, known_at: datetime | None = None) -> AgreementState:
    """Compose the state (readings 18) from the facts folded up to ``as_of``."""
    facts = ledger.facts
    terms = facts.terms
    earnout = earnout_state(facts, as_of)
    escrow, indemnity, offset = _as_of_free(facts)
    status = facts.status
    cancelled_value = earnout_rules.purchase_price_reduction(terms, earnout.cancelled_shares)
    return AgreementState(
        agreement_id=facts.agreement_id,
        as_of=as_of,
        known_at=known_at,
        status=status,
        effective_date=facts.effective_date,
        closing_date=facts.closing_date,
        closing=closing_state(facts),
        earnout=earnout,
        escrow=escrow,
        indemnity=indemnity,
        claims=claims_state(facts),
        survival=survival_state(facts, as_of),
        obligations=obligations_state(facts, earnout, offset, as_of),
        purchase_price=PurchasePriceState(
            securities_shares=terms.securities_shares,
            securities_value=terms.securities_value,
            cancelled_earnout_value=cancelled_value,
            reduction=cancelled_value,
        ),
        offset=offset,
    )


@recalled
def _as_of_free(facts: Facts) -> tuple[EscrowState, IndemnityState, OffsetState]:
    """Escrow, indemnity and offset never read ``as_of``: the change points of a timeline
    between two events that change what they read share them."""
    return escrow_state(facts), indemnity_state(facts), offset_state(facts)


def project(events: Iterable[LedgerEvent], as_of: date, known_at: datetime | None = None) -> AgreementState:
    """readings 9: fold the events recorded by ``known_at`` that occurred by ``as_of`` (one state
    asked of the fold: nothing to remember)."""
    return state_of(fold(events, as_of, known_at, remember=False), as_of, known_at)
