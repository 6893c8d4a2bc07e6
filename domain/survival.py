"""7.3 (and 8.4): how long each representation and warranty survives (readings 6)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.dates import add_days, add_months, add_years
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


def tax_expiry(statute: date) -> date:
    """7.3(ii), readings 6: the first day on which 2.11 (Taxes) no longer survives by its own term,
    the day after the recorded statute of limitations date: 2.11 "shall continue through the
    expiration of the applicable statute of limitations", so it survives on that day itself (a
    claim then is timely). The state's row, the check on a new claim and the calendar read it."""
    return add_days(statute, 1)


def tax_survival_end(terms: Terms, statute: date, claims: Iterable[tuple[date, date | None]]) -> date | None:
    """7.3(ii), readings 6: the first day on which 2.11 (Taxes) no longer survives - for the state's
    row and for a new 2.11 claim alike - or None while a timely 2.11 claim is pending.

    2.11 "shall continue through the expiration of the applicable statute of limitations" (so a
    claim on the recorded ``statute`` day itself is timely) "or, if a claim has been asserted prior
    to such expiration, until three months after the date of its final resolution" (on that day it
    has expired). A claim asserted while 2.11 is so extended was asserted before its expiration
    too, and extends it in turn. ``claims``: each 2.11 claim's (asserted_on, closed_on)."""
    end = tax_expiry(statute)
    for asserted_on, closed_on in sorted(claims):
        if asserted_on >= end:
            continue  # not asserted before the expiration: it keeps nothing alive
        if closed_on is None:
            return None
        end = max(end, tax_claim_tail(terms, closed_on))
    return end
