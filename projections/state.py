"""The whole state of an agreement at (as_of, known_at): composes the per-area projections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from domain import earnout as earnout_rules
from domain.events import LedgerEvent
from projections.closing import closing_state
from projections.earnout import earnout_state
from projections.escrow import escrow_state
from projections.facts import Facts
from projections.indemnity import claims_key, claims_state, indemnity_state
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
    claims = claims_key(facts)
    escrow, indemnity, offset = _as_of_free(facts, claims)
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
        claims=claims_state(facts, claims),
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


def _as_of_free(facts: Facts, claims: tuple[object, ...]) -> tuple[EscrowState, IndemnityState, OffsetState]:
    """Escrow, indemnity and offset read the claims, the escrow counts and the payments (and
    the terms, fixed for a fold), never ``as_of``: reused (``Facts.recall``) while all of those stay the same, so the
    change points of a timeline between two such events share them."""
    payments = tuple(
        (
            p.payment_id,
            p.due_on,
            p.withheld_on,
            p.released_on,
            *map(str, (p.amount, p.withheld, p.released, p.offset)),
            str(p.interest),
            tuple(sorted(p.covers)),
        )
        for p in facts.payments.values()
    )
    escrow = (facts.escrow_deposited, facts.escrow_surrendered, facts.escrow_released, facts.outside_shares)
    key = (claims, *escrow, payments)
    return facts.recall("as-of-free", key, lambda: (escrow_state(facts), indemnity_state(facts), offset_state(facts)))


def project(events: Iterable[LedgerEvent], as_of: date, known_at: datetime | None = None) -> AgreementState:
    """readings 9: fold the events recorded by ``known_at`` that occurred by ``as_of``."""
    return state_of(fold(events, as_of, known_at), as_of, known_at)
