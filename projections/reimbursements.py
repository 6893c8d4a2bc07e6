"""The fold's handlers for payments due a fixed time after an event: 4.7 and 8.3(b)(i)-(ii).

Registered in ``projections.ledger.HANDLERS``; each checks the event against the
facts so far (raising RuleViolation naming the clause) and records the due date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import reimbursement as rules
from domain.events import (
    FormerEmployeeHired,
    LedgerEvent,
    NetTaxBenefitRealized,
    ReimbursementPaid,
    TaxReimbursementNotified,
)
from projections.checks import reject, require_effective
from projections.cited import Cited
from projections.facts import Facts, Reimbursement


def _record(facts: Facts, event: LedgerEvent, item: Reimbursement) -> None:
    key = (item.section, item.reference)
    if key in facts.reimbursements:
        earlier = facts.reimbursements[key].triggered_on
        raise reject(event, f"{item.reference} is already recorded under {item.section} on {earlier}", item.section)
    facts.reimbursements[key] = item
    facts.cite(Cited.REIMBURSEMENT.of(item.section, item.reference), event.position)


def _employee_hired(facts: Facts, e: FormerEmployeeHired) -> None:
    """4.7: only a former employee Buyer employs within 45 days following the Effective Date
    triggers the reimbursement, due 10 days after employment commences."""
    require_effective(facts, e, "4.7")
    last = rules.hire_window_end(facts.effective_date)
    if not facts.effective_date <= e.commenced_on <= last:
        raise reject(
            e,
            f"employment commencing {e.commenced_on} is outside the 45 days following the Effective Date "
            f"({facts.effective_date} to {last}); no reimbursement is owed",
            "4.7",
        )
    due = rules.severance_reimbursement_due(facts.terms, e.commenced_on)
    _record(facts, e, Reimbursement("4.7", e.employee, e.commenced_on, due, e.amount))


def _resolved_claim(facts: Facts, event: TaxReimbursementNotified | NetTaxBenefitRealized, clause: str) -> None:
    claim = facts.claims.get(event.claim_id)
    if claim is None or claim.status != "resolved":
        state = "has not been asserted" if claim is None else f"is {claim.status}"
        raise reject(event, f"claim {event.claim_id} {state}; 8.3(b) adjusts amounts paid on a resolved Loss", clause)


def _tax_notified(facts: Facts, e: TaxReimbursementNotified) -> None:
    """8.3(b)(i): the Tax Reimbursement Amount is due "within ten days after being notified":
    counted from the day the notice is effective (9.11), which is the event's ``occurred_on``."""
    _resolved_claim(facts, e, "8.3(b)(i)")
    due = rules.tax_reimbursement_due(facts.terms, e.occurred_on)
    _record(facts, e, Reimbursement("8.3(b)(i)", e.claim_id, e.occurred_on, due, e.amount, notice=e.notice))


def _benefit_realized(facts: Facts, e: NetTaxBenefitRealized) -> None:
    """8.3(b)(ii): a Net Tax Benefit is paid not later than 15 days after it is realized."""
    _resolved_claim(facts, e, "8.3(b)(ii)")
    due = rules.net_tax_benefit_due(facts.terms, e.occurred_on)
    _record(facts, e, Reimbursement("8.3(b)(ii)", e.claim_id, e.occurred_on, due, e.amount))


def _paid(facts: Facts, e: ReimbursementPaid) -> None:
    """4.7, 8.3(b): a payment can be made once, for something recorded as owed."""
    item = facts.reimbursements.get((e.section, e.reference))
    if item is None:
        raise reject(e, f"nothing is owed under {e.section} for {e.reference} by this date", e.section)
    if item.paid_on is not None:
        raise reject(e, f"the {e.section} payment for {e.reference} was already made on {item.paid_on}", e.section)
    item.paid_on = e.occurred_on
    facts.cite(Cited.REIMBURSEMENT.of(e.section, e.reference), e.position)


REIMBURSEMENT_HANDLERS: dict[type[LedgerEvent], Callable[[Facts, Any], None]] = {
    FormerEmployeeHired: _employee_hired,
    TaxReimbursementNotified: _tax_notified,
    NetTaxBenefitRealized: _benefit_realized,
    ReimbursementPaid: _paid,
}
