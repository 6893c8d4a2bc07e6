"""`apa-ledger compare OTHER`: two stores compared agreement by agreement and event by event.

Two imports of the same files - one into SQLite, one into PostgreSQL, say - record
the same facts at different moments, so their ``recorded_at`` differ, and with them
the hashes, which cover it (readings 9). "The same ledger apart from
recorded_at" is then checked literally: each event of the other store, given this
store's ``recorded_at`` and ``prev_hash`` for it, must be this store's event field
for field, and hash to this store's stored hash. An event whose fields differ is
named with each differing field and both values; each side's own chain is checked
as `verify` checks it. Then each agreement's state on the date asked is projected
from both stores' events and compared figure by figure (``projections.diff``), as
`state --json` would show it.

The reading is pure (``compare_agreement``) apart from loading events by agreement
id; a large portfolio is compared on every core (``commands.workers``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from commands import workers as pool_of
from commands.store.application import LedgerStore
from domain.chain import digest, first_break
from domain.events import LedgerEvent
from projections.diff import changes
from projections.state import project

SHOWN = 80
"""Characters of a value a line of text shows (``--json`` gives every value whole)."""


class Difference(BaseModel):
    """One thing that is not the same: an agreement on one side only, an event on one side only,
    one field of an event, or one figure of the state (``position`` None: the agreement or state)."""

    model_config = ConfigDict(frozen=True)

    agreement_id: str
    position: int | None
    through: int | None = None  # the same difference at every position up to this one
    what: str  # "agreement", "event", "chain", a field name, or "state:" + a dotted figure
    here: Any
    there: Any


class AgreementComparison(BaseModel):
    """One agreement present in both stores."""

    model_config = ConfigDict(frozen=True)

    agreement_id: str
    events_here: int
    events_there: int
    recorded_at_differs: int  # events compared whose recorded_at differ (hashes differ with them)
    differences: list[Difference]


class StoreComparison(BaseModel):
    """What `apa-ledger compare --json` writes."""

    model_config = ConfigDict(frozen=True)

    here: str
    there: str
    as_of: date
    agreements_here: int
    agreements_there: int
    agreements_in_both: int
    events_here: int
    events_there: int
    recorded_at_differs: int
    agreements_differing: int
    same_apart_from_recorded_at: bool
    identical: bool  # recorded_at (and so every hash) included
    differences: list[Difference]


def _event_differences(agreement_id: str, ours: LedgerEvent, candidate: LedgerEvent, hashed: bool) -> list[Difference]:
    """How the other store's event, given our recorded_at and prev_hash (``candidate``), differs
    from ours: its type, or each field with both values; with every field equal, its digest
    must be our stored hash (checked where ``hashed``: our chain holds up to this event)."""
    if type(ours) is not type(candidate):
        return [_difference(agreement_id, ours.position, "type", ours.type, candidate.type)]
    mine, theirs = ours.__dict__, candidate.__dict__
    if all(mine[name] == theirs[name] for name in mine if name != "hash"):
        there = digest(candidate) if hashed else ours.hash
        same = there == ours.hash
        return [] if same else [_difference(agreement_id, ours.position, "hash", ours.hash, there)]
    here, there = ours.model_dump(mode="json", by_alias=True), candidate.model_dump(mode="json", by_alias=True)
    return [
        _difference(agreement_id, ours.position, name, here[name], there.get(name))
        for name in here
        if here[name] != there.get(name) and name != "hash"
    ]


def _difference(agreement_id: str, position: int | None, what: str, here: Any, there: Any) -> Difference:
    return Difference(agreement_id=agreement_id, position=position, what=what, here=here, there=there)


def _chain_break(agreement_id: str, events: Sequence[LedgerEvent], here: bool) -> list[Difference]:
    """The first place where one side's hash chain does not hold (``domain.chain.first_break``,
    as `verify` finds it): its stored hashes do not vouch for its events from there on."""
    found = first_break(list(events))
    if found is None:
        return []
    position, reason = found
    return [_difference(agreement_id, position, "chain", reason if here else None, None if here else reason)]


def compare_agreement(
    agreement_id: str, ours: Sequence[LedgerEvent], theirs: Sequence[LedgerEvent], as_of: date
) -> AgreementComparison:
    """One agreement's events here and there, position by position, then its state on ``as_of``.

    readings 9: ``recorded_at`` is when the ledger learnt a fact, so two
    stores that learnt the same facts at other moments hold the same ledger apart
    from it. Each event there is given our ``recorded_at`` and our ``prev_hash``;
    it must then be our event, field for field, and its digest must be our stored
    hash - so equal hashes, not just equal-looking fields, back the verdict. Each
    side's own chain is checked as `verify` checks it (``first_break``)."""
    differences = _chain_break(agreement_id, ours, True) + _chain_break(agreement_id, theirs, False)
    broken_here = next((d.position or 0 for d in differences if d.here is not None), len(ours) + 1)
    moved = 0
    for mine, other in zip(ours, theirs, strict=False):
        if other.timestamp != mine.timestamp:
            moved += 1
        candidate = other.model_copy(update={"timestamp": mine.timestamp, "prev_hash": mine.prev_hash})
        differences += _event_differences(agreement_id, mine, candidate, hashed=mine.position < broken_here)
    differences = _runs(differences)
    for extra, here in ((ours[len(theirs) :], True), (theirs[len(ours) :], False)):
        differences += [
            _difference(agreement_id, e.position, "event", e.type if here else None, None if here else e.type)
            for e in extra
        ]
    state_here, state_there = (project(events, as_of).model_dump(mode="json") for events in (ours, theirs))
    differences += [
        _difference(agreement_id, None, f"state:{c.figure}", c.old, c.new) for c in changes(state_here, state_there)
    ]
    return AgreementComparison(
        agreement_id=agreement_id,
        events_here=len(ours),
        events_there=len(theirs),
        recorded_at_differs=moved,
        differences=differences,
    )


def _runs(differences: list[Difference]) -> list[Difference]:
    """Differences of successive events that are the same difference (two files' batch ids, one
    event's worth each) as one, with the last position in ``through``."""
    merged: list[Difference] = []
    last: dict[tuple[str, str, str], int] = {}  # (what, here, there) -> its run's index in merged
    for d in differences:
        key = (d.what, json.dumps(d.here, default=str), json.dumps(d.there, default=str))
        at = last.get(key)
        if at is not None and d.position == (merged[at].through or merged[at].position or 0) + 1:
            merged[at] = merged[at].model_copy(update={"through": d.position})
            continue
        last[key] = len(merged)
        merged.append(d)
    return merged


_others: dict[tuple[tuple[str, str], ...], LedgerStore] = {}
"""The other store, opened once per process (a worker opens it from its settings)."""


def _key(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(env.items()))


def _compare_in(store: LedgerStore, agreement_id: str, other: dict[str, str], as_of: date) -> AgreementComparison:
    theirs = _others.get(_key(other))
    if theirs is None:
        theirs = _others[_key(other)] = LedgerStore(env=other)
    return compare_agreement(agreement_id, store.load(agreement_id).events, theirs.load(agreement_id).events, as_of)


def _only(store: LedgerStore, agreement_id: str, here: bool) -> Difference:
    events = len(store.load(agreement_id).events)
    side = f"{events} event{'s' if events != 1 else ''}"
    return _difference(agreement_id, None, "agreement", side if here else None, None if here else side)


def compare_stores(
    ours: LedgerStore, theirs: LedgerStore, here: str, there: str, as_of: date, workers: int | None = None
) -> StoreComparison:
    """Every agreement of either store: on one side only, or compared by ``compare_agreement``
    (``workers``: processes, this one among them; None: every core from ``AGREEMENTS_FROM``)."""
    ids_here, ids_there = ours.agreement_ids(), theirs.agreement_ids()
    known_there = set(ids_there)
    both = [agreement_id for agreement_id in ids_here if agreement_id in known_there]
    other = {**theirs.env, "CREATE_TABLE": "n"}  # as a worker opens it: no DDL on a store in use
    _others[_key(other)] = theirs
    try:
        compared = list(
            pool_of.each_on_every_core(
                ours, both, _compare_in, workers, pool_of.AGREEMENTS_FROM, other=other, as_of=as_of
            )
        )
    finally:
        del _others[_key(other)]
    common = set(both)
    differences = [_only(ours, a, True) for a in ids_here if a not in common]
    differences += [_only(theirs, a, False) for a in ids_there if a not in common]
    differences += [d for c in compared for d in c.differences]
    moved = sum(c.recorded_at_differs for c in compared)
    same = not differences
    return StoreComparison(
        here=here,
        there=there,
        as_of=as_of,
        agreements_here=len(ids_here),
        agreements_there=len(ids_there),
        agreements_in_both=len(both),
        events_here=sum(c.events_here for c in compared),
        events_there=sum(c.events_there for c in compared),
        recorded_at_differs=moved,
        agreements_differing=len({d.agreement_id for d in differences}),
        same_apart_from_recorded_at=same,
        identical=same and moved == 0,
        differences=differences,
    )


def render_comparison(result: StoreComparison, limit: int = 20) -> Iterator[str]:
    """The comparison as lines: what was compared, the first ``limit`` differences, the verdict."""
    r = result
    yield f"compared {r.here} (here) with {r.there} (there)"
    yield f"agreements  {r.agreements_here:,} here, {r.agreements_there:,} there, {r.agreements_in_both:,} in both"
    yield f"events      {r.events_here:,} here, {r.events_there:,} there, in the agreements in both"
    if r.recorded_at_differs:
        yield (
            f"recorded_at differs on {r.recorded_at_differs:,} events: each was hashed again with this store's "
            "recorded_at and prev_hash to compare it"
        )
    for d in r.differences[:limit]:
        yield "  " + _difference_line(d)
    if len(r.differences) > limit:
        yield f"  ... and {len(r.differences) - limit:,} more (--json lists every one)"
    if r.identical:
        yield f"identical: every event, both times and every hash; the state as of {r.as_of} is the same"
    elif r.same_apart_from_recorded_at:
        yield (
            f"the same ledger apart from recorded_at: every fact and every hash, given the same recording "
            f"times, and the state as of {r.as_of}"
        )
    else:
        n = r.agreements_differing
        yield f"{n:,} agreement{'s differ' if n != 1 else ' differs'}"


def _difference_line(d: Difference) -> str:
    if d.what == "agreement":
        return f"{d.agreement_id}: only {'here' if d.here else 'there'} ({d.here or d.there})"
    if d.position is None:
        where = f"{d.agreement_id} state"
    elif d.through is None:
        where = f"{d.agreement_id} position {d.position}"
    else:
        where = f"{d.agreement_id} positions {d.position}-{d.through}"
    if d.what == "event":
        return f"{where}: only {'here' if d.here else 'there'} ({d.here or d.there})"
    if d.what == "chain":
        return f"{where}: hash chain broken {'here' if d.here else 'there'}: {d.here or d.there}"
    return f"{where}: {d.what.removeprefix('state:')} {_text(d.here)} here, {_text(d.there)} there"


def _text(value: Any) -> str:
    """A value as its JSON, cut to ``SHOWN`` characters (the terms of a registration run to kilobytes)."""
    if value is None:
        return "(none)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."
