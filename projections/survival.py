"""7.3 and 8.4: the survival of each representation in Articles II and III as of a date."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from domain.events import LedgerEvent, TaxLimitationPeriodRecorded
from domain.survival import is_indefinite, representation_expiry, tax_claim_tail, tax_expiry, tax_survival_end
from domain.terms import SURVIVAL_NOTES
from projections.checks import Handler
from projections.cited import Cited
from projections.facts import Claim, Facts, recalled
from projections.models import SurvivalRow


@lru_cache(maxsize=16384)
def _row(*, section: str, title: str, expires_on: date | None, status: str, note: str | None) -> SurvivalRow:
    """A SurvivalRow; equal fields give the same immutable instance (shared by change points)."""
    return SurvivalRow(section=section, title=title, expires_on=expires_on, status=status, note=note)  # type: ignore


def claims_citing(facts: Facts) -> dict[str, list[Claim]]:
    """Each numbered section with the claims citing it (``Facts.citing``; never changed by its callers)."""
    return facts.citing


class Survival(NamedTuple):
    """A representation's survival from the facts, before the date: its row on any date
    (``at``), the dates on which that row can change (``bounds``) and the first day a new claim
    citing it is refused (``new_claims_until``) - the state and the check on a claim read this one rule.
    Immutable as a named tuple, because a frozen dataclass sets each field through
    ``object.__setattr__`` and one is built for every section a new claim cites."""

    section: str
    title: str
    note: str | None
    status: str  # the status on every date, or "after-expiry": it then follows the dates below
    expiry: date | None = None  # the first day it no longer survives by its own term
    end: date | None = None  # the last claim's resolution (or 2.11 tail) keeps it alive to this date
    pending: bool = False  # a timely claim citing it is still pending
    last_day: date | None = None  # 7.3(ii): the statute date 2.11 survives through (expiry is the day after)
    tax: bool = False  # 7.3(ii): 2.11, where a timely claim keeps it open to new claims as well

    def at(self, as_of: date) -> SurvivalRow:
        section, title, note = self.section, self.title, self.note
        if self.status != "after-expiry":
            return _row(section=section, title=title, expires_on=None, status=self.status, note=note)
        assert self.expiry is not None and self.end is not None
        if as_of < self.expiry:
            return _row(
                section=section, title=title, expires_on=self.last_day or self.expiry, status="surviving", note=note
            )
        if self.pending:
            return _row(section=section, title=title, expires_on=None, status="extended", note=note)
        if as_of < self.end:
            return _row(section=section, title=title, expires_on=self.end, status="extended", note=note)
        shown = self.last_day if self.last_day is not None and self.end == self.expiry else self.end
        return _row(section=section, title=title, expires_on=shown, status="expired", note=note)

    def bounds(self) -> tuple[date, ...]:
        if self.expiry is None or self.end is None:
            return ()
        return (self.expiry,) if self.pending else (self.expiry, self.end)

    def new_claims_until(self) -> date | None:
        """7.3: the first day a new claim citing the section is refused, or None (none applies yet).
        A representation's own claims keep it alive for themselves only (7.3(iv)); a timely 2.11
        claim keeps 2.11 open to new claims too (7.3(ii), readings 6)."""
        if self.status != "after-expiry":
            return None
        if self.tax:
            return None if self.pending else self.end
        return self.expiry

    def expired_because(self) -> str:
        """Why a new claim is refused (``new_claims_until`` has passed), in the agreement's words."""
        if not self.tax:
            return f"the representation in {self.section} expired on {self.expiry}"
        if self.end == self.expiry:
            return (
                f"the representation in {self.section} continued through the expiration of the statute of "
                f"limitations on {self.last_day} and expired after it"
            )
        tail = "three months after the final resolution of its last claim"
        return f"the representation in {self.section} expired on {self.end}, {tail}"


def survival_of(facts: Facts, section: str, title: str, citing: dict[str, list[Claim]] | None = None) -> Survival:
    """7.3: two years after Closing; (i) some indefinitely; (ii) 2.11 through the statute of
    limitations, or three months after a timely 2.11 claim's final resolution (``tax_survival_end``);
    (iv) a timely claim keeps its section alive until the claim is finally resolved."""
    terms = facts.terms
    citing = facts.citing if citing is None else citing  # claims_citing(facts), without the call
    note = SURVIVAL_NOTES.get(section)
    if is_indefinite(terms, section):
        return Survival(section, title, note, "indefinite")
    if section == terms.tax_section:
        statute = facts.tax_statute
        if statute is None:
            return Survival(section, title, note, "until-statute-of-limitations")
        claims = [(c.asserted_on, c.closed_on) for c in citing.get(section, ())]
        end = tax_survival_end(terms, statute, claims)
        expiry = tax_expiry(statute)
        return Survival(section, title, note, "after-expiry", expiry, end or expiry, end is None, statute, tax=True)
    if facts.closing_date is None:
        return Survival(section, title, note, "not-started")
    expiry = representation_expiry(terms, facts.closing_date)
    end, pending = expiry, False  # one pass over the section's claims (asked for each section a new claim cites)
    for c in citing.get(section, ()):
        if c.asserted_on < expiry:  # 7.3(iv): given under Article VIII before the expiration date
            if c.closed_on is not None and c.closed_on > end:
                end = c.closed_on
            if c.status == "pending":
                pending = True
    return Survival(section, title, note, "after-expiry", expiry, end, pending)


def new_claim_refusal(facts: Facts, section: str, on: date) -> str | None:
    """7.3: why a claim citing ``section`` asserted on ``on`` comes too late, or None if it is timely
    (covenants and the other sections outside Articles II and III have no cut-off, 7.3(iii)).
    The same ``Survival`` as the state's row decides."""
    title = facts.terms.representations.get(section)
    if title is None:
        return None
    spec = survival_of(facts, section, title)
    until = spec.new_claims_until()
    return spec.expired_because() if until is not None and on >= until else None


def survival_row(
    facts: Facts, section: str, title: str, as_of: date, citing: dict[str, list[Claim]] | None = None
) -> SurvivalRow:
    """A representation's row as of ``as_of`` (``survival_of``)."""
    return survival_of(facts, section, title, citing).at(as_of)


def survival_state(facts: Facts, as_of: date) -> list[SurvivalRow]:
    """Every representation's row as of ``as_of``.

    The rows read ``as_of`` only through ``as_of < d`` for d among the expiry dates, the claims'
    closing dates and their 7.3(ii) tails (``_bounds``): on every date from one of those to the
    next the rows are the same, worked out once for the first of them."""
    bounds = _bounds(facts)
    slot = bisect_right(bounds, as_of)
    return list(_rows(facts, bounds[slot - 1] if slot else date.min))


@recalled
def _rows(facts: Facts, as_of: date) -> tuple[SurvivalRow, ...]:
    citing = claims_citing(facts)
    return tuple(survival_row(facts, s, title, as_of, citing) for s, title in facts.terms.representations.items())


@recalled
def _bounds(facts: Facts) -> tuple[date, ...]:
    """Every date ``survival_row`` may compare ``as_of`` with, sorted."""
    terms = facts.terms
    dates = {c.closed_on for c in facts.claims.values() if c.closed_on is not None}
    dates |= {tax_claim_tail(terms, d) for d in dates}
    if facts.tax_statute is not None:
        dates |= {facts.tax_statute, tax_expiry(facts.tax_statute)}  # 7.3(ii): surviving through that day
    if facts.closing_date is not None:
        dates.add(representation_expiry(terms, facts.closing_date))
    return tuple(sorted(dates))


# The fold's handlers of these facts (``projections.ledger`` dispatches to them).


def _statute(facts: Facts, e: TaxLimitationPeriodRecorded) -> None:
    """7.3(ii): 2.11 survives through the applicable statute of limitations "as the same may
    be extended"; the latest recorded date governs."""
    facts.tax_statute = e.expires_on
    facts.cite_key(Cited.SURVIVAL, "2.11", e.position, replace=True)


SURVIVAL_HANDLERS: dict[type[LedgerEvent], Handler] = {  # type: ignore[dict-item]
    TaxLimitationPeriodRecorded: _statute,
}
"""The fold's checks of 7.3(ii), each fact checked then applied (``projections.ledger``)."""
