"""8.6: payments on the Buyer Securities withheld against pending claims, as of a date."""

from __future__ import annotations

from domain.events import trusted_model
from domain.offset import may_withhold
from projections.facts import ZERO, Facts, Payment
from projections.models import OffsetState, PaymentState


def payment_state(payment: Payment) -> PaymentState:
    """8.6: one payment - withheld, offset against the resolved claims it was withheld for
    (``settle_buyer_losses``), paid back with interest, and what is still withheld."""
    return trusted_model(
        PaymentState,
        dict(
            payment_id=payment.payment_id,
            due_on=payment.due_on,
            amount=payment.amount,
            withheld=payment.withheld,
            withheld_on=payment.withheld_on,
            released=payment.released,
            released_on=payment.released_on,
            interest=payment.interest,
            outstanding_withheld=payment.held,
            offset=payment.offset,
        ),
    )


def offset_state(facts: Facts) -> OffsetState:
    """8.6: what is withheld, what is offset against resolved claims, and what was paid back
    with 6% interest."""
    payments = [payment_state(p) for p in facts.payments.values()]
    return trusted_model(
        OffsetState,
        dict(
            withholding_permitted=may_withhold(
                facts.terms, facts.resolved_losses("buyer"), facts.pending_losses("buyer")
            ),
            withheld_outstanding=sum((p.outstanding_withheld for p in payments), ZERO),
            interest_paid=sum((p.interest for p in payments), ZERO),
            payments=payments,
        ),
    )
