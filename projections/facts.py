"""What the fold accumulates: the facts of an agreement as of a date, with their sources.

Plain mutable records, owned by one fold at a time (never shared), so the fold
stays cheap; the state built from them is immutable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache, wraps
from operator import attrgetter
from types import FunctionType
from typing import Any, TypeVar

from domain import earnout as earnout_rules
from domain.events import base_section
from domain.notices import Notice
from domain.terms import Terms
from projections.cited import KEYED, Cited

ZERO = Decimal(0)
EARNOUT_FIGURES = frozenset({Cited.CLOSING_DATE, Cited.STATUS, Cited.BP_EVENT})
"""1.5(b)-(c): besides each month's Gross Margin, what the release schedule reads."""
Losses = dict[tuple[str, str], Decimal]
"""Each side's Losses by status: (claimant, "resolved" | "pending") -> total (``Facts.losses``)."""
T = TypeVar("T")
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
    citing: dict[str, list[Claim]] = field(default_factory=dict, repr=False, compare=False)
    """7.3: each numbered section with the claims citing it, in order of assertion; kept by
    ``add_claim`` so that the survival of a new claim's sections reads their own claims only."""
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
    revisions: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    """Per figure (a ``Cited`` member, every key of a keyed one together): how many times it was cited."""
    touched: set[str] = field(default_factory=set, repr=False, compare=False)
    """Every figure an event was cited for since the last ``drain`` (what a timeline recomputes)."""
    memo: dict[str, tuple[tuple[object, ...], tuple[tuple[str, int], ...], object]] | None = field(
        default_factory=dict, repr=False, compare=False
    )
    """Per ``recalled`` function: its arguments, the revision of each figure it read, its result;
    None for a fold asked for one state (``fold(..., remember=False)``), where noting every read
    costs more than the few results asked twice would save."""
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

        Every handler of the fold cites each figure its event changes, after changing it
        (``tests/test_timeline_memo.py`` checks it field by field, ``FIELD_FIGURES``): so a
        ``recalled`` result, and a timeline's ``drain``, see every change."""
        held = None if replace else self.sources.get(figure)
        if held is None:
            self.sources[figure] = [position]
        else:
            held.append(position)
        self.touched.add(figure)
        kind = figure.partition(":")[0]
        self.revisions[kind] = self.revisions.get(kind, 0) + 1

    def cite_key(self, kind: Cited, key: str, position: int, replace: bool = False) -> None:
        """``cite(kind.of(key), position, replace)``, the name joined here and its kind known, not
        split again: a keyed figure (a claim's, a month's) is cited at most of the fold's events,
        and ``cite``'s lines are written out here because a call costs as much as they do."""
        assert kind in KEYED, f"{kind} is one figure, not one per key"
        figure = kind + ":" + key
        held = None if replace else self.sources.get(figure)
        if held is None:
            self.sources[figure] = [position]
        else:
            held.append(position)
        self.touched.add(figure)
        self.revisions[kind] = self.revisions.get(kind, 0) + 1

    def drain(self) -> set[str]:
        """The figures cited since the last call (every handler cites what its event changes)."""
        touched, self.touched = self.touched, set()
        return touched

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

    def add_claim(self, claim: Claim) -> None:
        """A newly asserted claim, listed under each numbered section it cites (``citing``)."""
        self.claims[claim.claim_id] = claim
        for section in base_sections(claim.sections):
            self.citing.setdefault(section, []).append(claim)

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


class ReadOnce(Facts):
    """The facts of a fold read once (``fold(..., remember=False)``): no ``recalled`` result is kept
    and no timeline drains them, so a cite notes only its sources (the explanations), not the
    revisions and touched figures nothing of such a fold reads (about 140 cites an agreement)."""

    def cite(self, figure: str, position: int, replace: bool = False) -> None:
        held = None if replace else self.sources.get(figure)
        if held is None:
            self.sources[figure] = [position]
        else:
            held.append(position)

    def cite_key(self, kind: Cited, key: str, position: int, replace: bool = False) -> None:
        assert kind in KEYED, f"{kind} is one figure, not one per key"
        self.cite(kind + ":" + key, position, replace)


@lru_cache(maxsize=4096)
def base_sections(sections: tuple[str, ...]) -> tuple[str, ...]:
    """The numbered sections a claim's citations fall under, each once, in order (pure; cached)."""
    return tuple(dict.fromkeys(base_section(s) for s in sections))


FIELD_FIGURES: dict[str, Cited | None] = {
    "terms": None,  # None: fixed for a fold
    "agreement_id": None,
    "claimable": None,
    "margin_months": None,
    "effective_date": Cited.EFFECTIVE_DATE,
    "closing_date": Cited.CLOSING_DATE,
    "terminated_on": Cited.STATUS,
    "termination_reason": Cited.STATUS,
    "deadline": Cited.DEADLINE,
    "conditions": Cited.CONDITIONS,
    "margins": Cited.MARGIN,
    "bp_declared_on": Cited.BP_EVENT,
    "bp_clause": Cited.BP_EVENT,
    "deemed_agreed_on": Cited.BP_EVENT,
    "promotion_implemented_on": Cited.BP_EVENT,
    "deemed_on": Cited.BP_EVENT,
    "delivered_shares": Cited.DELIVERED,
    "deliveries": Cited.DELIVERED,
    "claims": Cited.CLAIM,
    "citing": Cited.CLAIM,
    "escrow_deposited": Cited.ESCROW,
    "escrow_surrendered": Cited.ESCROW,
    "escrow_released": Cited.ESCROW,
    "escrow_movements": Cited.ESCROW,
    "outside_shares": Cited.LOSSES,
    "tax_statute": Cited.SURVIVAL,
    "payments": Cited.OFFSET,
    "redeemed_shares": Cited.REDEMPTION,
    "redemptions": Cited.REDEMPTION,
    "reimbursements": Cited.REIMBURSEMENT,
}
"""The figure each field of ``Facts`` is cited as when a handler changes it (anything in it: a
claim's status is a change of ``claims``). ``recalled`` keys a result on the figures of the fields
it read; a field not named here (the explanations' ``sources``, the fold's ``last_date``) cannot be
read by a ``recalled`` function at all."""

MEMOISE = True
"""False: every ``recalled`` function is computed afresh (the tests compare both ways)."""


class _Reading:
    """The facts as a ``recalled`` function sees them: each field it reads, directly or through a
    property or method of ``Facts`` (the same functions, run on this), is noted as the figure it is
    cited as (``FIELD_FIGURES``). A property per field, made below: a read is one attribute lookup."""

    __slots__ = ("_facts", "_read")

    def __init__(self, facts: Facts) -> None:
        object.__setattr__(self, "_facts", facts)
        object.__setattr__(self, "_read", set())

    def __getattr__(self, name: str) -> Any:  # only for a name that is not a field below
        raise AttributeError(f"a recalled function may not read Facts.{name}: no figure is cited when it changes")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a recalled function is pure: it may not set Facts.{name}")


def _field(name: str, figure: Cited | None) -> property:
    get = attrgetter(name)
    if figure is None:  # fixed for a fold
        return property(lambda reading: get(reading._facts))

    def read(reading: _Reading) -> Any:
        reading._read.add(figure)
        return get(reading._facts)

    return property(read)


for _name, _figure in FIELD_FIGURES.items():
    setattr(_Reading, _name, _field(_name, _figure))
for _name, _member in vars(Facts).items():
    if isinstance(_member, property | FunctionType) and not _name.startswith("__"):
        setattr(_Reading, _name, _member)


def recalled(function: Callable[..., T]) -> Callable[..., T]:
    """``function(facts, *args)``, a pure function of the facts and its (hashable) arguments,
    reused while the arguments are the same and no figure it read has been cited since: the key
    is what the call read (``_Reading``), never written by hand, so a forgotten input cannot
    leave a stale result. One entry per function in ``facts.memo``: a timeline asks for the
    state at each change point of one fold, and memory stays bounded however long the history.
    The result is shared: it must be immutable (a tuple, a frozen model)."""
    slot = f"{function.__module__}.{function.__qualname__}"

    @wraps(function)
    def recall(facts: Facts | _Reading, *args: Any) -> T:
        outer = None
        if type(facts) is _Reading:  # called by another recalled function: it read what this one reads
            outer, facts = facts, facts._facts
        memo = facts.memo  # type: ignore[union-attr]
        if memo is None or not MEMOISE:
            return function(facts, *args)
        revisions = facts.revisions  # type: ignore[union-attr]
        held = memo.get(slot)
        if held is not None and held[0] == args:
            for figure, revision in held[1]:
                if revisions.get(figure, 0) != revision:
                    held = None
                    break
        else:
            held = None
        if held is None:
            reading = _Reading(facts)  # type: ignore[arg-type]
            value = function(reading, *args)
            held = memo[slot] = (args, tuple((f, revisions.get(f, 0)) for f in reading._read), value)
        if outer is not None:
            outer._read.update(f for f, _ in held[1])
        return held[2]  # type: ignore[return-value]

    return recall
