"""7.3 (and 8.4): how long each representation and warranty survives (readings 6)."""

from __future__ import annotations

from datetime import date

from domain.dates import add_months, add_years
from domain.terms import Terms


def representation_expiry(terms: Terms, closing_date: date) -> date:
    """7.3: representations "expire on the date that is two years following the Closing Date"."""
    return add_years(closing_date, terms.survival_years)


def is_indefinite(terms: Terms, section: str) -> bool:
    """7.3(i): 2.1, 2.15, 3.1, 3.2 and 3.4 survive indefinitely (3.4 by number, not the
    "No Brokers" heading: 9.6 makes headings no part of the agreement)."""
    return section in terms.indefinite_sections


def is_representation(terms: Terms, section: str) -> bool:
    """7.3 governs the representations and warranties of Articles II and III."""
    return section in terms.representations


def tax_claim_tail(terms: Terms, resolved_on: date) -> date:
    """7.3(ii): a 2.11 claim asserted in time keeps 2.11 alive "until three months after
    the date of its final resolution"."""
    return add_months(resolved_on, terms.tax_claim_tail_months)


def claim_deadline(terms: Terms, section: str, closing_date: date | None, statute: date | None) -> date | None:
    """7.3: the first date on which a claim citing ``section`` can no longer be asserted,
    or None when no cut-off applies (yet): indefinite sections, covenants, 2.11 without a
    recorded statute date, and every representation before Closing."""
    if not is_representation(terms, section) or is_indefinite(terms, section):
        return None
    if section == terms.tax_section:
        return statute
    if closing_date is None:
        return None
    return representation_expiry(terms, closing_date)
