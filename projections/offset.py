"""8.6: payments on the Buyer Securities withheld against pending claims, as of a date."""

from __future__ import annotations

from domain.events import LedgerEvent, PaymentDue, PaymentWithheld, WithheldPaymentReleased, trusted_model
from domain.offset import may_withhold, offset_interest
from projections.checks import Handler, reject
from projections.cited import Cited
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


# The fold's handlers of these facts (``projections.ledger`` dispatches to them).


def _payment_due(facts: Facts, e: PaymentDue) -> None:
    """8.6: a payment due from Buyer to Sellers on the Buyer Securities."""
    if e.payment_id in facts.payments:
        raise reject(e, f"payment {e.payment_id} is already recorded", "8.6")
    facts.payments[e.payment_id] = Payment(e.payment_id, e.occurred_on, e.amount, positions=[e.position])
    facts.cite(Cited.OFFSET, e.position)


def _payment(facts: Facts, e: PaymentWithheld | WithheldPaymentReleased) -> Payment:
    payment = facts.payments.get(e.payment_id)
    if payment is None:
        raise reject(e, f"no payment {e.payment_id} is due by this date", "8.6")
    return payment


def _withheld(facts: Facts, e: PaymentWithheld) -> None:
    """8.6, readings 7: Buyer may withhold, up to the total of its pending claims, once its potential
    claims - resolved and pending Losses together - exceed the Allowance of 8.1(b)."""
    terms = facts.terms
    payment = _payment(facts, e)
    resolved, pending = facts.resolved_losses("buyer"), facts.pending_losses("buyer")
    if not may_withhold(terms, resolved, pending):
        raise reject(
            e,
            f"the Buyer's potential claims total {resolved + pending} ({resolved} resolved, {pending} pending), "
            f"not above the {terms.allowance} Allowance of 8.1(b)"
            if pending
            else "no buyer claim is pending",
            "8.6",
        )
    if payment.withheld + e.amount > payment.amount:
        raise reject(e, f"cannot withhold more than the {payment.amount} payment", "8.6")
    outstanding = sum((p.held for p in facts.payments.values()), ZERO)
    if outstanding + e.amount > pending:
        raise reject(e, f"withholding would total {outstanding + e.amount}, above the {pending} pending claims", "8.6")
    payment.withheld += e.amount
    payment.withheld_on = payment.withheld_on or e.occurred_on
    payment.covers.update(c.claim_id for c in facts.claims_of("buyer", "pending"))
    payment.positions.append(e.position)
    facts.cite(Cited.OFFSET, e.position)


def _withheld_released(facts: Facts, e: WithheldPaymentReleased) -> None:
    """8.6: the part not offset ("the remainder") is paid with 6% simple interest from withholding
    to payment; what was offset against a resolved claim satisfied it and is not paid back."""
    payment = _payment(facts, e)
    if e.amount > payment.held:
        offset = f" ({payment.offset} was offset against resolved claims)" if payment.offset else ""
        raise reject(e, f"only {payment.held} of payment {e.payment_id} is withheld{offset}", "8.6")
    payment.released += e.amount
    payment.released_on = e.occurred_on
    if payment.withheld_on is not None:
        payment.interest += offset_interest(facts.terms, e.amount, payment.withheld_on, e.occurred_on)
    payment.positions.append(e.position)
    facts.cite(Cited.OFFSET, e.position)


OFFSET_HANDLERS: dict[type[LedgerEvent], Handler] = {  # type: ignore[dict-item]
    PaymentDue: _payment_due,
    PaymentWithheld: _withheld,
    WithheldPaymentReleased: _withheld_released,
}
"""The fold's checks of 8.6, each fact checked then applied (``projections.ledger``)."""
