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
from datetime import UTC, datetime
from typing import Any

from domain.events import EventRetracted, LedgerEvent
from projections.read_model import Rows, agreement_row, event_rows, timeline_tables

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
    held = _open(timeline_tables(agreement_id, events[:seen])[0], None) if seen else {t: {} for t in TIMELINE}
    inserted: dict[str, Rows] = {table: [] for table in TIMELINE}
    ended: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TIMELINE}
    facts = None
    recordings: Rows = []
    for moment in moments(events[seen:]):
        stamp = recorded(moment)
        known = [e for e in events if e.timestamp <= moment]
        batch = [e.position for e in events if e.timestamp == moment]
        recordings.append({"agreement_id": agreement_id, "recorded_at": stamp, "first_position": batch[0]})
        recordings[-1] |= {"last_position": batch[-1], "events": len(batch)}
        tables, facts = timeline_tables(agreement_id, known)
        for table, key in TIMELINE.items():
            now = {tuple(row.values()): row for row in tables[table]}
            rows = held[table]
            for values in [v for v in rows if v not in now]:
                since, row = rows.pop(values)
                if since is None:  # held by the model
                    ended[table].append((stamp, agreement_id, *(row[k] for k in key)))
                else:
                    inserted[table].append({**row, "recorded_from": since, "recorded_to": stamp})
            for values, row in now.items():
                if values not in rows:
                    rows[values] = (stamp, row)
    for table in TIMELINE:
        inserted[table] += [
            {**row, "recorded_from": since, "recorded_to": None} for since, row in held[table].values() if since
        ]
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


def _open(tables: dict[str, Rows], since: str | None) -> dict[str, dict[tuple[Any, ...], tuple[str | None, Any]]]:
    """Each table's rows by their values, each with the moment it was first believed (None: held)."""
    return {table: {tuple(row.values()): (since, row) for row in tables[table]} for table in TIMELINE}
