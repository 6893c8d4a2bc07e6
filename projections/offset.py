"""8.6: payments on the Buyer Securities withheld against pending claims, as of a date."""

from __future__ import annotations

from domain.offset import may_withhold
from projections.facts import ZERO, Facts
from projections.models import OffsetState, PaymentState


def offset_state(facts: Facts) -> OffsetState:
    """8.6: what is withheld, released with interest, and offset once the claims are resolved."""
    claims_pending = bool(facts.claims_of("buyer", "pending"))
    payments = []
    for p in facts.payments.values():
        remaining = p.withheld - p.released
        offset = remaining if not claims_pending and p.withheld > 0 else ZERO
        payments.append(
            PaymentState(
                payment_id=p.payment_id,
                due_on=p.due_on,
                amount=p.amount,
                withheld=p.withheld,
                withheld_on=p.withheld_on,
                released=p.released,
                released_on=p.released_on,
                interest=p.interest,
                outstanding_withheld=remaining - offset,
                offset=offset,
            )
        )
    return OffsetState(
        withholding_permitted=may_withhold(facts.terms, facts.pending_losses("buyer")),
        withheld_outstanding=sum((p.outstanding_withheld for p in payments), ZERO),
        interest_paid=sum((p.interest for p in payments), ZERO),
        payments=payments,
    )
