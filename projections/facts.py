"""What the fold accumulates: the facts of an agreement as of a date, with their sources.

Plain mutable records, owned by one fold at a time (never shared), so the fold
stays cheap; the state built from them is immutable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from domain import earnout as earnout_rules
from domain.notices import Notice
from domain.terms import Terms
from projections.cited import Cited

ZERO = Decimal(0)
EARNOUT_FIGURES = frozenset({Cited.CLOSING_DATE, Cited.STATUS, Cited.BP_EVENT})
"""1.5(b)-(c): besides each month's Gross Margin, what the release schedule reads."""
Losses = dict[tuple[str, str], Decimal]
"""Each side's Losses by status: (claimant, "resolved" | "pending") -> total (``Facts.losses``)."""
T = TypeVar("T")
_MARGIN = Cited.MARGIN.every
EFFECTIVE_DATE_MISSING = (
    "no Effective Date is recorded on or before this date (1.4: the date the agreement is signed by all "
    "Parties); record it first with an EffectiveDateReached fact"
)
"""What a fact that needs the Effective Date is told while none is recorded (1.4)."""


@dataclass
class Claim:
    """A claim for indemnification under 8.1 (claimant "buyer") or 8.2 ("sellers")."""

    claim_id: str
    claimant: str
    sections: tuple[str, ...]
    basis: str
    asserted_on: date
    amount: Decimal
    status: str = "pending"  # pending | resolved | withdrawn
    resolved_amount: Decimal | None = None
    closed_on: date | None = None
    surrendered_shares: int = 0  # 8.1(c): escrow shares its resolution surrendered
    outside_shares: int = 0  # 8.1(c): Buyer Securities its resolution made due outside the escrow
    offset: Decimal = ZERO  # 8.6: what its resolution offset against withheld payments
    cash_due: Decimal = ZERO  # 8.1(c): change in cash due its resolution caused
    settled: bool = False  # readings 5: its amount has been counted in the Buyer's payable Losses
    positions: list[int] = field(default_factory=list)
    notice: Notice | None = None  # 9.11: how it was given; asserted_on is the day the notice is effective


@dataclass
class Payment:
    """A payment due from Buyer to Sellers on the Buyer Securities (8.6)."""

    payment_id: str
    due_on: date
    amount: Decimal
    withheld: Decimal = ZERO
    withheld_on: date | None = None
    released: Decimal = ZERO
    released_on: date | None = None
    interest: Decimal = ZERO
    offset: Decimal = ZERO  # 8.6: offset against the claims it was withheld for, once resolved
    covers: set[str] = field(default_factory=set)  # 8.6: the buyer claims pending when it was withheld
    positions: list[int] = field(default_factory=list)

    @property
    def held(self) -> Decimal:
        """8.6: what is still withheld and not offset - the remainder owed back to Sellers."""
        return self.withheld - self.released - self.offset


@dataclass
class Reimbursement:
    """A payment due a fixed number of days after an event: 4.7, 8.3(b)(i) or 8.3(b)(ii)."""

    section: str
    reference: str  # the employee (4.7) or the claim (8.3(b))
    triggered_on: date
    due_on: date
    amount: Decimal | None = None
    paid_on: date | None = None
    notice: Notice | None = None  # 9.11: the notice that triggered it (8.3(b)(i)); triggered_on is its effective day


@dataclass
class Movement:
    """One movement of escrow shares (deposit, surrender, release) or earnout delivery."""

    on: date
    kind: str
    shares: int
    ref: str
    position: int


@dataclass
class Facts:
    terms: Terms
    agreement_id: str
    effective_date: date | None = None
    closing_date: date | None = None
    terminated_on: date | None = None
    termination_reason: str | None = None
    deadline: date | None = None
    conditions: dict[str, tuple[date, bool]] = field(default_factory=dict)
    margins: dict[str, Decimal] = field(default_factory=dict)
    bp_declared_on: date | None = None
    bp_clause: str | None = None
    deemed_agreed_on: date | None = None
    promotion_implemented_on: date | None = None
    deemed_on: date | None = None
    delivered_shares: int = 0
    claims: dict[str, Claim] = field(default_factory=dict)
    escrow_deposited: int = 0
    escrow_surrendered: int = 0
    escrow_released: int = 0
    outside_shares: int = 0  # 8.1(c), readings 5: Buyer Securities due from Sellers outside the escrow
    escrow_movements: list[Movement] = field(default_factory=list)
    deliveries: list[Movement] = field(default_factory=list)
    tax_statute: date | None = None
    payments: dict[str, Payment] = field(default_factory=dict)
    redeemed_shares: int = 0
    redemptions: list[Movement] = field(default_factory=list)
    reimbursements: dict[tuple[str, str], Reimbursement] = field(default_factory=dict)  # (section, reference)
    sources: dict[str, list[int]] = field(default_factory=dict)
    last_date: date | None = None
    earnout_revision: int = field(default=0, repr=False, compare=False)
    """How many times a figure the release schedule reads was cited (``EARNOUT_FIGURES``, and
    Gross Margin once there is a BP Event): its memo holds until the next such citation."""
    touched: set[str] = field(default_factory=set, repr=False, compare=False)
    """Every figure an event was cited for since the last ``drain`` (what a timeline recomputes)."""
    memo: dict[str, tuple[object, object]] = field(default_factory=dict, repr=False, compare=False)
    """The last result of each memoised part of the state, with the inputs it was computed from."""
    claimable: frozenset[str] = field(init=False, repr=False, compare=False)
    """8.1, 8.2: the sections a claim may cite (the terms' representations and the other sections)."""
    margin_months: tuple[str, str] = field(init=False, repr=False, compare=False)
    """1.5(b): the first and last month whose Gross Margin plays a part (see ``_margin``)."""

    def __post_init__(self) -> None:
        # constants of the terms, asked for by every claim and every Gross Margin report of a fold
        self.claimable = frozenset(self.terms.claimable_sections())
        first = earnout_rules.margin_base_months(self.terms, self.terms.bp_window_start)[1]
        self.margin_months = (first, self.terms.measurement_last_month)

    def cite(self, figure: str, position: int, replace: bool = False) -> None:
        """Remember that ``figure`` rests on the event at ``position`` (for explanations).

        Every handler of the fold cites each figure its event changes, after changing it: so
        the memo keyed by ``earnout_revision``, and a timeline's ``drain``, see every change."""
        if replace:
            self.sources[figure] = [position]
        else:
            self.sources.setdefault(figure, []).append(position)
        self.touched.add(figure)
        # 1.5(b): a month's Gross Margin enters the schedule only through a BP Event's M
        if figure in EARNOUT_FIGURES or (figure.startswith(_MARGIN) and self.bp_governing_date is not None):
            self.earnout_revision += 1

    def drain(self) -> set[str]:
        """The figures cited since the last call (every handler cites what its event changes)."""
        touched, self.touched = self.touched, set()
        return touched

    def recall(self, part: str, key: object, compute: Callable[[], T]) -> T:
        """``compute()``, unless ``part`` was last computed from inputs equal to ``key``: then that
        (immutable) result. A timeline asks for the state at each change point of one fold, and a
        part whose inputs did not change since the previous point is reused. One entry per part,
        so memory stays bounded however long the history."""
        held = self.memo.get(part)
        if held is not None and held[0] == key:
            return held[1]  # type: ignore[return-value]
        value = compute()
        self.memo[part] = (key, value)
        return value

    @property
    def status(self) -> str:
        """The agreement's status: "terminated" (7.1-7.2), "closed" once Closing occurred, else "signed"."""
        return "terminated" if self.terminated_on else ("closed" if self.closing_date else "signed")

    @property
    def bp_governing_date(self) -> date | None:
        """readings 3: the Deemed Event date for clause (c) when one is agreed, else the BP Event's date;
        a clause (a) or (b) event dated before an agreed Deemed Event date is the first BP Event and
        governs (the fold accepts it only then)."""
        if self.deemed_on is not None and (self.bp_declared_on is None or self.bp_clause == "c"):
            return self.deemed_on
        return self.bp_declared_on

    @property
    def bp_occurred_on(self) -> date | None:
        return self.bp_declared_on if self.bp_declared_on is not None else self.deemed_on

    def claims_of(self, claimant: str, status: str | None = None) -> list[Claim]:
        return [c for c in self.claims.values() if c.claimant == claimant and (status is None or c.status == status)]

    def losses(self) -> Losses:
        """Each side's resolved and pending Losses in one pass: (claimant, "resolved" | "pending")
        -> total, each summed in the claims' order exactly as ``resolved_losses`` and
        ``pending_losses`` sum it (the same Decimal, digit for digit)."""
        totals = {("buyer", "resolved"): ZERO, ("buyer", "pending"): ZERO}
        totals |= {("sellers", "resolved"): ZERO, ("sellers", "pending"): ZERO}
        for c in self.claims.values():
            if c.status == "resolved":
                totals[c.claimant, "resolved"] += c.resolved_amount or ZERO
            elif c.status == "pending":
                totals[c.claimant, "pending"] += c.amount
        return totals

    def resolved_losses(self, claimant: str) -> Decimal:
        total = ZERO  # summed in the claims' order, as sum() would: the same exact Decimal
        for c in self.claims.values():
            if c.status == "resolved" and c.claimant == claimant:
                total += c.resolved_amount or ZERO
        return total

    def pending_losses(self, claimant: str) -> Decimal:
        total = ZERO
        for c in self.claims.values():
            if c.status == "pending" and c.claimant == claimant:
                total += c.amount
        return total

    @property
    def escrow_balance(self) -> int:
        return self.escrow_deposited - self.escrow_surrendered - self.escrow_released
