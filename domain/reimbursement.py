"""Payment deadlines counted from an event: 4.7 (rehired employees), 8.3(b)(i)-(ii) (Taxes).

Pure date rules over the terms; the fold (projections/ledger.py) checks the
facts against them and the obligations calendar shows the resulting due dates.
"""

from __future__ import annotations

from datetime import date

from domain.dates import add_days
from domain.terms import Terms

# 4.7: "In the event Buyer shall employ within 45 days following the Effective Date ..."
# A constant rather than a Terms field: adding a field to Terms would change the
# canonical bytes (and so the hash) of every AgreementRegistered already stored.
EMPLOYEE_HIRE_WINDOW_DAYS = 45

SECTIONS = ("4.7", "8.3(b)(i)", "8.3(b)(ii)")


def hire_window_end(effective_date: date) -> date:
    """4.7: the last day on which employing a former employee triggers reimbursement."""
    return add_days(effective_date, EMPLOYEE_HIRE_WINDOW_DAYS)


def severance_reimbursement_due(terms: Terms, commenced_on: date) -> date:
    """4.7: Buyer reimburses Sellers' severance and vacation payments "within 10 days following
    the date the employee commences employment with Buyer"."""
    return add_days(commenced_on, terms.employee_reimbursement_days)


def tax_reimbursement_due(terms: Terms, notified_on: date) -> date:
    """8.3(b)(i): the Tax Reimbursement Amount is paid "within ten days after being notified"."""
    return add_days(notified_on, terms.tax_reimbursement_days)


def net_tax_benefit_due(terms: Terms, realized_on: date) -> date:
    """8.3(b)(ii): a Net Tax Benefit is paid "not later than 15 days after the date on which
    such Net Tax Benefit shall be realized"."""
    return add_days(realized_on, terms.net_tax_benefit_days)
