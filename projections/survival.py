"""7.3 and 8.4: the survival of each representation in Articles II and III as of a date."""

from __future__ import annotations

from datetime import date

from domain.events import base_section
from domain.survival import is_indefinite, representation_expiry, tax_claim_tail
from domain.terms import SURVIVAL_NOTES
from projections.facts import Claim, Facts
from projections.models import SurvivalRow


def _claims_citing(facts: Facts, section: str, asserted_before: date) -> list[Claim]:
    """7.3(iv): claims given under Article VIII for the section before its expiration date."""
    return [
        c
        for c in facts.claims.values()
        if c.asserted_on < asserted_before and any(base_section(s) == section for s in c.sections)
    ]


def _after_expiry(
    section: str, title: str, note: str | None, expiry: date, end: date, claims: list[Claim], as_of: date
) -> SurvivalRow:
    if as_of < expiry:
        return SurvivalRow(section=section, title=title, expires_on=expiry, status="surviving", note=note)
    if any(c.status == "pending" for c in claims):
        return SurvivalRow(section=section, title=title, expires_on=None, status="extended", note=note)
    if as_of < end:
        return SurvivalRow(section=section, title=title, expires_on=end, status="extended", note=note)
    return SurvivalRow(section=section, title=title, expires_on=end, status="expired", note=note)


def survival_row(facts: Facts, section: str, title: str, as_of: date) -> SurvivalRow:
    """7.3: two years after Closing; (i) some indefinitely; (ii) 2.11 to the statute of
    limitations, or three months after a timely 2.11 claim's final resolution; (iv) a
    timely claim keeps its section alive until the claim is finally resolved."""
    terms = facts.terms
    note = SURVIVAL_NOTES.get(section)
    if is_indefinite(terms, section):
        return SurvivalRow(section=section, title=title, expires_on=None, status="indefinite", note=note)
    if section == terms.tax_section:
        statute = facts.tax_statute
        if statute is None:
            return SurvivalRow(
                section=section, title=title, expires_on=None, status="until-statute-of-limitations", note=note
            )
        claims = _claims_citing(facts, section, statute)
        tails = [tax_claim_tail(terms, c.closed_on) for c in claims if c.closed_on is not None]
        return _after_expiry(section, title, note, statute, max([statute, *tails]), claims, as_of)
    if facts.closing_date is None:
        return SurvivalRow(section=section, title=title, expires_on=None, status="not-started", note=note)
    expiry = representation_expiry(terms, facts.closing_date)
    claims = _claims_citing(facts, section, expiry)
    ends = [c.closed_on for c in claims if c.closed_on is not None]
    return _after_expiry(section, title, note, expiry, max([expiry, *ends]), claims, as_of)


def survival_state(facts: Facts, as_of: date) -> list[SurvivalRow]:
    return [survival_row(facts, section, title, as_of) for section, title in facts.terms.representations.items()]
