"""System time in the read model: the timeline tables as known at each recording moment (pure).

``projections.read_model`` builds an agreement's rows as known now, each with its valid time
(``valid_from`` / ``valid_to``). The read model also keeps what was believed before: a row
version carries ``recorded_from`` and ``recorded_to``, the recording moments (``recorded_at``,
UTC) of the batch whose events made it and of the one whose events ended it (NULL: still
believed). There is one version of the tables per distinct recording moment of the agreement's
events, each the tables of the events recorded by then, retractions known by then applied:
exactly what ``state --as-of D --known-at T`` folds (readings 9). So the state on D as known
at T is the row with ``valid_from <= D < valid_to`` and ``recorded_from <= T < recorded_to``.

Between two versions a row that is the same in every column stays as it is; one that changed
is ended (its ``recorded_to`` set, the only change a row ever sees) and its new value begins a
new row. ``agreement_versions`` works out the versions after the first ``seen`` events (those
the read model already holds) against the open rows of the version the model holds, so an
incremental export ends and inserts rows and a rebuild writes the same rows at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from domain.agreement import register
from domain.event_json import canonical_json
from domain.events import AgreementRegistered, EventRetracted, LedgerEvent
from domain.terms import Terms
from projections.changes import Changes, Row, Walker, changes
from projections.read_model import Rows, agreement_row, event_rows, tables_of

RECORDED = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How ``recorded_from`` and ``recorded_to`` write a moment: UTC, always to the microsecond, so
that comparing the text compares the moments ('2026-01-01T00:00:01.000000Z')."""

TIMELINE: dict[str, tuple[str, ...]] = {
    "state_timeline": ("valid_from",),
    "earnout_schedule": ("seq",),
    "escrow_movements": ("seq",),
    "claims": ("claim_id", "valid_from"),
    "survival": ("section", "valid_from"),
    "obligations": ("ref", "valid_from"),
}
"""The tables with system time, each with the columns that tell apart an agreement's rows of one
version (among the rows still believed, one row has these values)."""


def recorded(moment: datetime) -> str:
    """A recording moment as ``recorded_from`` / ``recorded_to`` write it (``RECORDED``)."""
    return moment.astimezone(UTC).strftime(RECORDED)


@dataclass
class Versions:
    """What an export writes for one agreement: the rows to insert (its ``agreements`` row, its new
    events, the new row versions), the held rows it ends and the held events newly retracted.
    ``seen`` is how many of the agreement's events the rows were worked out against (0: all rows
    afresh, the agreement's held rows replaced)."""

    agreement_id: str
    seen: int
    count: int
    """How many events the rows are worked out from (all the agreement's events then)."""
    tables: dict[str, list[Any]]
    """Per table, its rows to insert: dicts, or tuples in the table's column order once an export
    has put them so (``commands.reporting.export_workers.tuple_rows``)."""
    ended: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    """Per timeline table: (recorded_to, agreement_id, *its ``TIMELINE`` key) of each held row ended."""
    retracted: list[tuple[int, str, int]] = field(default_factory=list)
    """(retracted_by, agreement_id, position) of each held event retracted since."""


def moments(events: Sequence[LedgerEvent]) -> list[datetime]:
    """The distinct recording moments of ``events``, in order (one instant at two offsets is one)."""
    return sorted({e.timestamp for e in events})


def agreement_versions(agreement_id: str, events: list[LedgerEvent], seen: int = 0) -> Versions:
    """The read model's rows of one agreement whose first ``seen`` events the model holds.

    The versions after those events are worked out against the open rows of the version the model
    holds (the tables of its first ``seen`` events). When a later event bears a recording moment
    not after the held ones (a clock that stepped back), the versions are not a continuation of
    the held ones: every version is worked out again (``seen`` 0)."""
    if seen and (seen >= len(events) or min(e.timestamp for e in events[seen:]) <= events[seen - 1].timestamp):
        if seen == len(events):
            return Versions(agreement_id, seen, seen, {})
        seen = 0
    walked = changes(events[:seen]) if seen else None  # the points of the version the model holds
    held = _open(tables_of(agreement_id, walked)[0], None) if walked else {t: {} for t in TIMELINE}
    inserted: dict[str, Rows] = {table: [] for table in TIMELINE}
    ended: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TIMELINE}
    by_position = {e.position: e for e in events}
    facts = None
    recordings: Rows = []
    walker: Walker | None = None  # the walk of the version before, if a later recording can resume it
    before: Changes | None = None  # the version ``walker`` was walked from ``before_since`` after
    before_since: date | None = None
    recorded_at = moments(events[seen:])
    for moment in recorded_at:
        stamp = recorded(moment)
        known = [e for e in events if e.timestamp <= moment]
        batch = [e for e in events if e.timestamp == moment]
        recordings.append({"agreement_id": agreement_id, "recorded_at": stamp, "first_position": batch[0].position})
        recordings[-1] |= {"last_position": batch[-1].position, "events": len(batch)}
        since = None if walked is None else earliest_change(batch, by_position)
        if since is not None and since <= min(e.occurred_on for e in known):  # nothing before it to keep
            since = None
        only = None  # every row built and compared
        if walker is not None and walker.takes(batch):  # later than every day walked: the walk goes on
            walked = walker.resume(batch)
            only = walker.changed  # the rows of a key whose points are the same are the same
            if before is not None:
                walked = joined(before, walked, before_since)  # type: ignore[arg-type]
        elif walked is None and len(known) == 1:  # the registration alone (`new`, before any fact)
            walked = registered_only(canonical_json(known[0].terms.model_dump(mode="json")).decode())
        else:
            before, before_since = (None, None) if walked is None or since is None else (walked, since)
            walker = Walker(known, since=before_since)
            if moment != recorded_at[-1]:  # a later recording may resume it
                walker.save()
            walked = walker.to_end()
            if before is not None:
                walked = joined(before, walked, before_since)  # type: ignore[arg-type]
        # the rows that end before ``since`` are the same in both versions: neither worked out nor compared
        after = None if since is None else since.isoformat()
        tables, facts = tables_of(agreement_id, walked, since, only)
        for table, key in TIMELINE.items():
            keys, column = None if only is None else only.get(table), GROUPS.get(table)
            if keys is not None and column is None:  # the headline: one key
                if not keys:
                    continue
                keys = None
            now = {tuple(row.values()): row for row in tables[table]}
            rows = held[table]
            for values in [
                v
                for v, (_, row) in rows.items()
                if v not in now and not _ends_before(row, after) and (keys is None or row[column] in keys)
            ]:
                began, row = rows.pop(values)
                if began is None:  # held by the model
                    ended[table].append((stamp, agreement_id, *(row[k] for k in key)))
                else:  # each row is a new dict of its walk's tables, inserted once: completed in place
                    row["recorded_from"], row["recorded_to"] = began, stamp
                    inserted[table].append(row)
            for values, row in now.items():
                if values not in rows:
                    rows[values] = (stamp, row)
    for table in TIMELINE:
        for began, row in held[table].values():
            if began is not None:
                row["recorded_from"], row["recorded_to"] = began, None
                inserted[table].append(row)
    assert facts is not None
    agreement = agreement_row(agreement_id, events, facts.effective_date, facts.closing_date, facts.status)
    retracted = [
        (e.position, agreement_id, e.event_id)
        for e in events[seen:]
        if type(e) is EventRetracted and e.event_id <= seen
    ]
    return Versions(
        agreement_id,
        seen,
        len(events),
        {
            "agreements": [agreement],
            "events": event_rows(agreement_id, events, first=seen),
            "recordings": recordings,
            **inserted,
        },
        ended,
        retracted,
    )


def _ends_before(row: Row, day: str | None) -> bool:
    """True if the row has a valid time that ends before ``day`` (ISO text; None: no such day)."""
    until = row.get("valid_to")
    return day is not None and until is not None and until < day


GROUPS = {"claims": "claim_id", "survival": "section", "obligations": "ref"}
"""The column whose value is the key of a row's points in a walk (``Walker.changed``)."""


def _open(tables: dict[str, Rows], since: str | None) -> dict[str, dict[tuple[Any, ...], tuple[str | None, Any]]]:
    """Each table's rows by their values, each with the moment it was first believed (None: held)."""
    return {table: {tuple(row.values()): (since, row) for row in tables[table]} for table in TIMELINE}


@lru_cache(maxsize=64)
def registered_only(terms: str) -> Changes:
    """The walk of an agreement registered on ``terms`` (JSON) with no fact recorded yet: a
    function of the terms alone (its rows name no agreement), so the agreements of a portfolio
    on the same terms share it. Nothing reads it but to build rows (``tables_of``, ``joined``)."""
    return changes([register("APA", Terms.model_validate_json(terms), datetime(2000, 1, 1, tzinfo=UTC))])


def earliest_change(batch: Sequence[LedgerEvent], by_position: dict[int, LedgerEvent]) -> date | None:
    """The first date whose state the events of ``batch`` can change: the earliest ``occurred_on``
    of its facts and of the events it retracts (None: any date, for a registration).

    The fold takes the events in ``occurred_on`` order (readings 9), so the state on a date
    depends only on the events that occurred by then: a back-dated fact changes the state from
    its date on, a retraction from the retracted event's date, and a superseding Gross Margin
    report, which governs from its own date (1.5(b), ``projections.earnout``), from its date."""
    days = []
    for e in batch:
        if isinstance(e, AgreementRegistered):
            return None
        if type(e) is EventRetracted:
            target = by_position.get(e.event_id)
            if target is not None:
                days.append(target.occurred_on)
        else:
            days.append(e.occurred_on)
    return min(days, default=None)


def joined(before: Changes, after: Changes, since: date) -> Changes:
    """The points of ``before`` (a walk of the earlier events) before ``since`` followed by those of
    ``after`` (a walk of them all from ``since`` on): the walk of them all, since none of the new
    events changes a date before ``since`` (``earliest_change``)."""
    out = Changes(facts=after.facts, schedule=after.schedule)
    out.headline = _join(before.headline, after.headline, since)  # type: ignore[arg-type]
    for name in ("claims", "survival", "obligations"):
        old, new, into = getattr(before, name), getattr(after, name), getattr(out, name)
        for key in old.keys() | new.keys():
            points = _join(old.get(key, []), new.get(key, []), since, keyed=True)
            if points:
                into[key] = points
    return out


def _join(
    old: list[tuple[date, Row | None]], new: list[tuple[date, Row | None]], since: date, keyed: bool = False
) -> list[tuple[date, Row | None]]:
    """One part's points: ``old``'s before ``since``, then ``new``'s (which work out every part on
    ``since``: a keyed part missing there is gone from it), the value on ``since`` left out when it
    is the one held before."""
    kept = [point for point in old if point[0] < since]
    held = kept[-1][1] if kept else None
    if keyed and held is not None and not (new and new[0][0] == since):
        new = [(since, None), *new]
    if new and new[0][0] == since and new[0][1] == held:
        new = new[1:]
    return kept + new
