"""What changes on each change point of an agreement's timeline, computed part by part.

``projections.timeline.change_points`` builds the whole state at every change point.
The read model needs only what changed there, and most of the state does not change
at a given point: a Gross Margin report leaves the claims, the survival rows and the
calendar as they were; an installment date changes the released shares and one
duty's status, nothing else. So the state is taken apart into parts - the headline
figures, each claim, each representation's survival, each duty of the calendar -
and a part is worked out again at a point only

- when an event folded there cites a figure the part reads (every handler of the
  fold cites what its event changes: ``Facts.cite``, drained once per point), or
- on a date the part itself names as one on which it can change with no event
  (an installment, an expiry, a due date and the day after it).

Each part is worked out by the same functions that compose ``state --json``, so the
values are those of ``project(events, day)``; ``tests/test_changes.py`` checks the
tables built from here against tables built from ``change_points`` on rich and
random histories.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.earnout import purchase_price_reduction
from domain.events import AgreementRegistered, EventRetracted, LedgerEvent
from projections.cited import KEYED, Cited
from projections.earnout import release_schedule, share_counts
from projections.escrow import escrow_state
from projections.facts import EARNOUT_FIGURES, Facts, base_sections
from projections.headline import PARTS, part_columns, part_values
from projections.indemnity import claim_state, indemnity_side
from projections.ledger import ORDER_KEY, Fold, effective_events
from projections.models import BPEventState, OffsetState, ScheduleItem
from projections.obligations import (
    Duty,
    closing_duties,
    covenant_duties,
    earnout_duties,
    indemnity_duties,
    offset_duties,
    reimbursement_duties,
    survival_duties,
)
from projections.offset import offset_state
from projections.survival import Survival, claims_citing, survival_of

Row = dict[str, Any]
MONEY = frozenset({Cited.ESCROW, Cited.OFFSET, Cited.STATUS, Cited.CLOSING_DATE})
"""Besides every claim and each side's Losses, what escrow, indemnity and 8.6 read."""
SURVIVAL = frozenset({Cited.CLOSING_DATE})
"""Besides the 7.3(ii) statute date (``Cited.SURVIVAL``), what every survival row reads."""
SIDES = ("buyer", "sellers")
_ALL_MONEY = MONEY | {Cited.LOSSES}
_ALL_SURVIVAL = SURVIVAL | {Cited.SURVIVAL}
_EARNOUT_ENDED = frozenset({Cited.DELIVERED, Cited.STATUS})  # 7.2: a termination ends what is pending
_CLOSING = frozenset({Cited.DEADLINE, Cited.CLOSING_DATE, Cited.STATUS, Cited.CONDITIONS})


@dataclass
class Changes:
    """Per table, the value of each row at each point where it changed (None once it is gone, e.g.
    a duty that left the calendar)."""

    headline: list[tuple[date, Row]] = field(default_factory=list)
    claims: dict[str, list[tuple[date, Row | None]]] = field(default_factory=lambda: defaultdict(list))
    survival: dict[str, list[tuple[date, Row | None]]] = field(default_factory=lambda: defaultdict(list))
    obligations: dict[str, list[tuple[date, Row | None]]] = field(default_factory=lambda: defaultdict(list))
    facts: Facts | None = None
    schedule: tuple[ScheduleItem, ...] = ()


class _Walk:
    """One pass over an agreement's change points, keeping each part's current value."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.out = Changes(facts=facts)
        self.bounds: dict[date, set[tuple[str, str]]] = defaultdict(set)  # date -> parts that can change then
        self.queue: list[date] = []
        self.day = date.min
        self.schedule: list[ScheduleItem] = []
        self.bp: BPEventState | None = None
        self.parts: dict[tuple[str, ...], Row] = {}  # headline part -> its columns (``projections.headline``)
        self.part_figures: dict[tuple[str, ...], tuple[Any, ...]] = {}  # headline part -> its figures' values
        self.offset_in_part: OffsetState | None = None
        self.headline_changed = False
        self.offset: OffsetState | None = None  # until a figure it reads is cited again
        self.claims: dict[str, Row] = {}
        self.claim_dates: dict[str, tuple[str, date | None]] = {}  # claim -> what 7.3 reads of it
        self.survival: dict[str, Survival] = {}
        self.survival_rows: dict[str, Row] = {}
        self.duties: dict[str, dict[str, Duty]] = {}  # area -> ref -> duty
        self.obligation_rows: dict[str, Row] = {}
        self.dumped: dict[tuple[int, str | None], tuple[object, Row]] = {}  # (id, drop) -> (row, its JSON)
        self.again = False  # the day is walked a second time (``Walker.resume``): its points are replaced

    _KEPT = ("parts", "part_figures", "claims", "claim_dates", "survival", "survival_rows", "duties")
    _KEPT += ("obligation_rows",)
    _HELD = ("day", "schedule", "bp", "offset_in_part", "headline_changed", "offset")

    def saved(self) -> tuple[Any, ...]:
        """The walk's state now, for ``restore``: the values it holds are never changed in place
        (each is replaced), so a copy of each mapping keeps them; the points so far by count."""
        return (
            [dict(getattr(self, name)) for name in self._KEPT],
            [getattr(self, name) for name in self._HELD],
            {day: set(parts) for day, parts in self.bounds.items()},
            list(self.queue),
            *(_counts(table) for table in self._tables()),
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        """Back to the state ``saved`` held: the points walked since it are dropped."""
        kept, held, bounds, queue, *counts = saved
        for name, value in zip(self._KEPT, kept, strict=True):
            setattr(self, name, dict(value))
        for name, value in zip(self._HELD, held, strict=True):
            setattr(self, name, value)
        self.bounds = defaultdict(set, {day: set(parts) for day, parts in bounds.items()})
        self.queue[:] = queue
        for table, table_counts in zip(self._tables(), counts, strict=True):
            for key in [key for key in table if key not in table_counts]:
                del table[key]
            for key, count in table_counts.items():
                del table[key][count:]

    def _tables(self) -> tuple[dict[str, list[tuple[date, Row | None]]], ...]:
        """The points of each table by key (the headline's under "")."""
        return ({"": self.out.headline}, self.out.claims, self.out.survival, self.out.obligations)

    def expect(self, days: tuple[date, ...] | list[date], part: tuple[str, str]) -> None:
        """Re-read ``part`` on each of ``days`` still to come."""
        for day in days:
            if day > self.day:
                if day not in self.bounds:
                    heapq.heappush(self.queue, day)
                self.bounds[day].add(part)

    def _dump(self, row: Any, drop: str | None = None) -> Row:
        """An immutable row's JSON form (less ``drop``), worked out once per distinct row."""
        key = (id(row), drop)
        held = self.dumped.get(key)
        if held is None:
            dumped = row.model_dump(mode="json")
            if drop is not None:
                del dumped[drop]
            held = self.dumped[key] = (row, dumped)  # holding the row keeps its id unique
        return held[1]

    def offset_now(self) -> OffsetState:
        if self.offset is None:
            self.offset = offset_state(self.facts)
        return self.offset

    def release_schedule(self) -> bool:
        """1.5(b)-(c): the schedule and the BP Event worked out again; True if either changed."""
        schedule, bp = release_schedule(self.facts)
        if schedule == self.schedule and (bp is self.bp or bp == self.bp):
            return False
        self.schedule, self.bp = schedule, bp
        self.expect([item.on for item in schedule], ("earnout", ""))
        return True

    def earnout(self) -> None:
        """1.5(b)-(c): released, cancelled, pending and delivered Earnout Shares; the Price reduction."""
        terms = self.facts.terms
        terminated = self.facts.terminated_on is not None
        released, cancelled, pending, _ = share_counts(terms, self.schedule, self.day, terminated)
        figures = {
            "released_shares": released,
            "cancelled_shares": cancelled,
            "pending_shares": pending,
            "delivered_shares": self.facts.delivered_shares,
        }
        self.part(("earnout",), figures)
        reduction = purchase_price_reduction(terms, cancelled)
        self.part(("purchase_price",), {"reduction": reduction})

    def money_figures(self, sides: Iterable[str] = SIDES) -> None:
        """8.1-8.2, 8.6 and the Escrow Agreement: the figures that never read the date. Only the
        claims of ``sides`` changed when fewer than both: the escrow (its reserve, 8.1(c)) and the
        Buyer's side read the Buyer's claims only, the Sellers' side (8.2) theirs."""
        facts = self.facts
        losses = facts.losses()
        self.part((), {"status": facts.status})
        for side in sides:
            if side == "buyer":
                self.part(("escrow",), escrow_state(facts, losses))
            self.part(("indemnity", side), indemnity_side(facts, side, losses))
        offset = self.offset_now()
        if offset is not self.offset_in_part:  # worked out again only when a figure it reads was cited
            self.offset_in_part = offset
            self.part(("offset",), offset)

    def part(self, part: tuple[str, ...], figures: Any) -> None:
        """One part of the headline (``projections.headline.PARTS``) worked out from its figures
        (its columns only when a figure's value changed: equal amounts have equal cents)."""
        values = part_values(part, figures)
        if values != self.part_figures.get(part):
            self.part_figures[part] = values
            columns = part_columns(part, values)
            if columns != self.parts.get(part):
                self.parts[part] = columns
                self.headline_changed = True

    def emit_headline(self) -> None:
        """The ``state_timeline`` row (``projections.headline``), from the parts as they are now
        (each part's columns were worked out when its figures were), if a part changed."""
        if self.headline_changed:
            self.headline_changed = False
            headline: Row = {}
            for part in PARTS:
                headline.update(self.parts[part])
            points = self.out.headline
            if self.again and points and points[-1][0] == self.day:  # this day's point, worked out again
                points.pop()
                if points and points[-1][1] == headline:
                    return
            points.append((self.day, headline))

    def claim(self, claim_id: str) -> bool:
        """8.3-8.4: one claim's row; True if what 7.3 reads of it changed (a revision changes
        only the amount: ``survival_of`` reads a claim's dates and whether it is pending)."""
        claim = self.facts.claims.get(claim_id)
        row = None if claim is None else claim_state(claim).model_dump(mode="json")
        self._emit(self.out.claims, self.claims, claim_id, row)
        dates = None if claim is None else (claim.status, claim.closed_on)
        if dates == self.claim_dates.get(claim_id):
            return False
        self.claim_dates[claim_id] = dates  # type: ignore[assignment]
        return True

    def survival_spec(self, section: str, title: str, citing: dict[str, list[Any]]) -> None:
        """7.3: one representation's survival, worked out again from the facts (its row, if that
        changed; on a date the row names, the row is read again anyway)."""
        spec = survival_of(self.facts, section, title, citing)
        if spec != self.survival.get(section):
            self.survival[section] = spec
            self.expect(spec.bounds(), ("survival", section))
            self.survival_row(section)

    def survival_row(self, section: str) -> None:
        row = self._dump(self.survival[section].at(self.day), drop="section")
        self._emit(self.out.survival, self.survival_rows, section, row)

    def area_duties(self, area: str, duties: list[Duty]) -> None:
        """The calendar's duties of one area, worked out again: a duty no longer there is closed."""
        before = self.duties.get(area, {})
        now = {duty.ref: duty for duty in duties}
        self.duties[area] = now
        for ref in before.keys() - now.keys():
            self._emit(self.out.obligations, self.obligation_rows, ref, None)
        for ref, duty in now.items():
            held = before.get(ref)
            if held is not duty and held != duty:
                self.expect(duty.bounds(), ("duty", f"{area}\x00{ref}"))
                self.duty_row(duty)

    def duty_row(self, duty: Duty) -> None:
        self._emit(self.out.obligations, self.obligation_rows, duty.ref, self._dump(duty.at(self.day)))

    def _emit(
        self, changes: dict[str, list[tuple[date, Row | None]]], current: dict[str, Row], key: str, row: Row | None
    ) -> None:
        held = current.get(key)
        if held is row or held == row:
            return
        if row is None:
            del current[key]
        else:
            current[key] = row
        points = changes[key]
        if self.again and points and points[-1][0] == self.day:  # this day's point, worked out again
            points.pop()
            before = points[-1][1] if points else None
            if before is row or before == row:
                if not points:
                    del changes[key]
                return
        points.append((self.day, row))


def _counts(table: dict[str, list[Any]]) -> dict[str, int]:
    return {key: len(points) for key, points in table.items()}


def changes(events: list[LedgerEvent], since: date | None = None) -> Changes:
    """Walk the change points of an agreement's events (as known now) part by part; ``since``:
    only from that date on (the events before it folded without working out any part, every
    part worked out on it: ``projections.versions`` joins these points to those before it)."""
    return Walker(events, since).to_end()


CHANGED = ("state_timeline", "claims", "survival", "obligations")
"""The tables of a walk's points (``Walker.changed``), the headline's keyed by ""."""


class Walker:
    """``changes`` that can take a later recording's events: a recording whose events all occur
    after the last day this walk folded an event on changes nothing up to that day, so the walk
    goes on from its state there (``save``, then ``resume``) instead of folding every event again."""

    def __init__(self, events: list[LedgerEvent], since: date | None = None) -> None:
        registered, chosen = effective_events(events)
        self.ledger = Fold(registered)
        facts = self.ledger.facts
        self.walk = _Walk(facts)
        start = min([registered.terms.agreement_date, *(e.occurred_on for e in chosen[:1])])
        applied = 0
        if since is not None and since > start:
            while applied < len(chosen) and chosen[applied].occurred_on < since:
                self.ledger.apply(chosen[applied], strict=False)
                applied += 1
            facts.drain()
            start = since
        self.chosen, self.applied, self.first = chosen, applied, True
        self.retracted = {e.event_id for e in events if type(e) is EventRetracted}
        self.days = sorted({start, *(e.occurred_on for e in chosen[applied:])})  # the event days, in order
        self.next_day = 0  # the first of ``days`` not walked yet
        self.walked_to: date | None = None  # the last day walked
        self.saved: tuple[Any, ...] | None = None
        self.changed: dict[str, set[str]] | None = None
        """After ``resume``: per table (``CHANGED``), the keys whose points differ from the version before."""

    def to_end(self) -> Changes:
        """The points of every day to come."""
        self._walk_to(None)
        self.walk.out.schedule = tuple(self.walk.schedule)
        return self.walk.out

    def save(self) -> None:
        """Walk up to the last day an event occurs on and keep the walk's state there (``resume``)."""
        self._walk_to(self.chosen[-1].occurred_on if self.chosen else self.days[0])
        self.saved = (self.walk.saved(), self.walked_to)

    def takes(self, batch: Sequence[LedgerEvent]) -> bool:
        """True if ``batch`` (a recording's events) neither retracts nor is retracted and each of
        its events occurs on or after the day the walk was saved on (``save``): the fold takes it
        after every event before it, and no day before is changed."""
        if self.saved is None or self.saved[1] is None:
            return False
        last = self.saved[1]
        for e in batch:
            if type(e) is EventRetracted or isinstance(e, AgreementRegistered) or e.position in self.retracted:
                return False
            if e.occurred_on < last:
                return False
        return True

    def resume(self, batch: Sequence[LedgerEvent]) -> Changes:
        """The walk of the events so far and ``batch`` (``takes(batch)``): the state saved, the
        batch's events folded after those before it, its first day's point worked out again if
        the walk was saved on it (the parts its events cite), then every day to come."""
        assert self.saved is not None
        starts = [{key: max(count - 1, 0) for key, count in counts.items()} for counts in self.saved[0][4:]]
        before = [  # each key's points from its last one saved on: what a version after it may change
            {key: points[start.get(key, 0) :] for key, points in table.items()}
            for table, start in zip(self.walk._tables(), starts, strict=True)
        ]
        self.walk.restore(self.saved[0])
        last = self.walked_to = self.saved[1]
        added = sorted(batch, key=ORDER_KEY)
        self.chosen.extend(added)
        self.days.extend(sorted({e.occurred_on for e in added} - {last}))
        if added and added[0].occurred_on == last:
            self.walk.again = True
            self._walk_to(last, again=last)
            self.walk.again = False
        self.save()
        out = self.to_end()
        self.changed = {}
        for name, table, was, start in zip(CHANGED, self.walk._tables(), before, starts, strict=True):
            keys = was.keys() | table.keys()
            self.changed[name] = {key for key in keys if table.get(key, [])[start.get(key, 0) :] != was.get(key, [])}
        return out

    def _walk_to(self, last: date | None, again: date | None = None) -> None:
        """Walk the change points up to ``last`` (None: every one), first ``again`` if given (a day
        walked before: the events of it not folded yet, then the parts they cite)."""
        walk, ledger, chosen, days = self.walk, self.ledger, self.chosen, self.days
        facts, queue, bounds = walk.facts, walk.queue, walk.bounds
        representations = facts.terms.representations
        count, ends = len(chosen), len(days)
        applied, index, day = self.applied, self.next_day, again
        while True:
            if day is not None:
                due = None
            elif index < ends or queue:
                day = queue[0] if queue and (index == ends or queue[0] < days[index]) else days[index]
                if last is not None and day > last:
                    break
                if index < ends and days[index] == day:
                    index += 1
                if queue and queue[0] == day:
                    heapq.heappop(queue)
                due = bounds.pop(day, None)
            else:
                break
            walk.day = day
            while applied < count and chosen[applied].occurred_on <= day:
                ledger.apply(chosen[applied], strict=False)
                applied += 1
            touched = facts.drain()
            kinds = {key.partition(":")[0] for key in touched}  # each figure, every key of a keyed one together
            if self.first:
                _first_point(walk, representations)
                self.first = False
            elif due or not _unread(kinds, facts):
                _recompute(walk, touched, kinds, due or set(), representations)
            self.walked_to, day = day, None
        self.applied, self.next_day = applied, index


UNREAD = frozenset({Cited.TERMS, Cited.EFFECTIVE_DATE, Cited.REDEMPTION})
"""Figures no part of the timeline reads (5.6's redemptions ...)."""
_CLAIM = Cited.CLAIM.every
_UNREAD_ALWAYS = UNREAD | {Cited.DERIVED}
READ = MONEY | SURVIVAL | EARNOUT_FIGURES | KEYED - {Cited.DERIVED}
READ |= {Cited.DEADLINE, Cited.DELIVERED, Cited.CONDITIONS}
"""Figures some part reads (``_recompute``); derived records are read through their resolution."""
_undecided = set(Cited) - READ - UNREAD - {Cited.DERIVED}
assert not _undecided, f"the timeline neither reads nor ignores {sorted(_undecided)}"


def _unread(kinds: set[str], facts: Facts) -> bool:
    """True if no part reads any figure cited at this point: besides ``UNREAD``, the derived
    records of a resolution (the fold works them out from the resolution itself) and, while
    there is no BP Event, Gross Margin (1.5(b): it enters the schedule only through M)."""
    read = kinds - _UNREAD_ALWAYS
    if read and facts.bp_governing_date is None:
        read.discard(Cited.MARGIN)
    return not read


def _first_point(walk: _Walk, representations: dict[str, str]) -> None:
    """Every part worked out at the agreement's first change point."""
    facts = walk.facts
    walk.release_schedule()
    walk.earnout()
    walk.money_figures()
    walk.emit_headline()
    for claim_id in facts.claims:
        walk.claim(claim_id)
    citing = claims_citing(facts)
    for section, title in representations.items():
        walk.survival_spec(section, title, citing)
    for area in AREAS:
        walk.area_duties(area, _duties(walk, area))


AREAS = ("closing", "earnout", "survival", "offset", "indemnity", "reimbursement", "covenant")


def _duties(walk: _Walk, area: str) -> list[Duty]:
    facts = walk.facts
    if area == "closing":
        return closing_duties(facts)
    if area == "earnout":
        return earnout_duties(facts, walk.schedule, walk.bp)
    if area == "survival":
        return survival_duties(facts)
    if area == "offset":
        return offset_duties(walk.offset_now())
    if area == "indemnity":
        return indemnity_duties(facts)
    if area == "reimbursement":
        return reimbursement_duties(facts)
    return covenant_duties(facts)


def _recompute(
    walk: _Walk, touched: set[str], kinds: set[str], due: set[tuple[str, str]], representations: dict[str, str]
) -> None:
    """The parts that read a figure cited here (``kinds``: each figure, a keyed one by its kind),
    and those whose own dates fall here (``due``)."""
    facts = walk.facts
    claims = [key[len(_CLAIM) :] for key in touched if key.startswith(_CLAIM)] if Cited.CLAIM in kinds else []
    # 1.5(b): Gross Margin enters the schedule only through a BP Event's M
    margins = Cited.MARGIN in kinds and facts.bp_governing_date is not None
    schedule_changed = bool(kinds & EARNOUT_FIGURES or margins) and walk.release_schedule()
    # 8.6: the claims bear on the offset only through payments withheld against them
    offset_touched = Cited.OFFSET in kinds or (bool(claims) and any(p.withheld_on for p in facts.payments.values()))
    if offset_touched:
        walk.offset = None
    headline = False
    # 7.2: a termination ends what is pending even when the schedule was already empty
    if schedule_changed or kinds & _EARNOUT_ENDED or ("earnout", "") in due:
        walk.earnout()
        headline = True
    if kinds & _ALL_MONEY:
        walk.money_figures()
        headline = True
    elif claims:
        walk.money_figures({facts.claims[claim_id].claimant for claim_id in claims})
        headline = True
    if headline:
        walk.emit_headline()
    dated = [claim_id for claim_id in claims if walk.claim(claim_id)]
    # 7.3: every row after Closing or a statute date; else the rows of the sections the claims cite
    if kinds & _ALL_SURVIVAL:
        sections = set(representations)
    else:
        sections = {s for claim_id in dated for s in base_sections(facts.claims[claim_id].sections)}
        sections &= representations.keys()
    if sections:
        citing = claims_citing(facts)
        for section in sections:
            walk.survival_spec(section, representations[section], citing)
    areas = _touched_areas(kinds, offset_touched, schedule_changed)
    for area in areas:
        walk.area_duties(area, _duties(walk, area))
    for kind, key in due:
        if kind == "survival":
            walk.survival_row(key)
        elif kind == "duty":
            area, ref = key.split("\x00", 1)
            duty = walk.duties.get(area, {}).get(ref)
            if duty is not None:  # even if its area was just worked out: an unchanged duty's status moves
                walk.duty_row(duty)


def _touched_areas(kinds: set[str], offset_touched: bool, schedule_changed: bool) -> set[str]:
    """The calendar's areas whose duties read a figure cited at this point."""
    areas = set()
    if kinds & _CLOSING:  # conditions: the Closing Date (1.1)
        areas.add("closing")
    if schedule_changed or Cited.DELIVERED in kinds:
        areas.add("earnout")
    if Cited.CLOSING_DATE in kinds or Cited.SURVIVAL in kinds:
        areas.add("survival")
    if offset_touched:
        areas.add("offset")
    if Cited.LOSSES in kinds:  # 8.1(c): Buyer Securities due outside the escrow on a resolution
        areas.add("indemnity")
    if Cited.REIMBURSEMENT in kinds:
        areas.add("reimbursement")
    if Cited.STATUS in kinds:
        areas.add("covenant")
    return areas
