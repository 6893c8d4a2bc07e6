"""8.6: payments on the Buyer Securities withheld against pending claims, as of a date."""

from __future__ import annotations

from decimal import Decimal

from domain.events import trusted_model
from domain.indemnity import allowance_exceeded
from domain.offset import may_withhold
from projections.facts import ZERO, Facts, Payment
from projections.models import OffsetState, PaymentState


def covered_amount(facts: Facts, payment: Payment) -> Decimal | None:
    """8.6: once the claims pending when the payment was withheld are all resolved, "the amount
    of such claims may be offset" if "such claims are covered by this Article VIII"; None while
    any of them is still pending. Losses within the Allowance are not covered: under 8.1(b)
    Sellers have no liability until all of Buyer's resolved Losses exceed $25,000 (tipping), so
    until then nothing is offset and the whole withholding is paid back with interest."""
    if payment.withheld_on is None:
        return ZERO
    claims = [c for c in facts.claims_of("buyer") if c.asserted_on <= payment.withheld_on]
    if any(c.status == "pending" for c in claims):
        return None
    if not allowance_exceeded(facts.terms, facts.resolved_losses("buyer")):
        return ZERO
    return sum((c.resolved_amount or ZERO for c in claims if c.status == "resolved"), ZERO)


def payment_state(facts: Facts, payment: Payment) -> PaymentState:
    remaining = payment.withheld - payment.released
    covered = covered_amount(facts, payment)
    offset = ZERO if covered is None else max(ZERO, min(remaining, covered))
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
            outstanding_withheld=remaining - offset,
            offset=offset,
        ),
    )


def offset_state(facts: Facts) -> OffsetState:
    """8.6: what is withheld, what is offset against resolved claims, and what was paid back
    with 6% interest."""
    payments = [payment_state(facts, p) for p in facts.payments.values()]
    return trusted_model(
        OffsetState,
        dict(
            withholding_permitted=may_withhold(facts.terms, facts.pending_losses("buyer")),
            withheld_outstanding=sum((p.outstanding_withheld for p in payments), ZERO),
            interest_paid=sum((p.interest for p in payments), ZERO),
            payments=payments,
        ),
    )
