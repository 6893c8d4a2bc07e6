"""Impact reports: which figures of the state changed between two moments of knowledge, and why.

Pure: the state's JSON is flattened into dotted keys (``earnout.released_shares``,
``claims.C2.status``, ``survival.2.7.status``), list items keyed by their natural id
(claim_id, section, payment_id; schedule rows by date and kind; obligations by due
date and clause), so that two states compare figure by figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.events import EventRetracted, LedgerEvent

# Keys that describe the query, not the agreement: they differ by construction.
QUERY_KEYS = frozenset({"known_at", "as_of"})
ROW_IDS = ("claim_id", "section", "payment_id")
ROW_LISTS = frozenset({"claims", "survival", "obligations", "earnout.schedule", "offset.payments"})


class Change(BaseModel):
    """One figure that differs: its dotted key, the value known at T1 and at T2 (None = absent)."""

    model_config = ConfigDict(frozen=True)

    figure: str
    old: Any
    new: Any


class Cause(BaseModel):
    """An event recorded between T1 and T2 that is in effect for the queried date."""

    model_config = ConfigDict(frozen=True)

    position: int
    type: str
    occurred_on: date
    recorded_at: datetime
    clause: str
    payload: dict[str, Any]


class Impact(BaseModel):
    """What `apa-ledger diff` reports."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    known_at_before: datetime
    known_at_after: datetime | None
    changes: list[Change]
    causes: list[Cause]


def _row_key(prefix: str, item: dict[str, Any], index: int, seen: set[str]) -> str:
    if prefix == "earnout.schedule":
        key = f"{item['on']}.{item['kind']}"
    elif prefix == "obligations":
        key = f"{item['due_on']}.{item['clause']}"
    else:
        key = next((str(item[name]) for name in ROW_IDS if name in item), str(index))
    unique, n = key, 2
    while unique in seen:  # two rows with the same natural id keep apart by a counter
        unique, n = f"{key}#{n}", n + 1
    seen.add(unique)
    return unique


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """The state JSON as {dotted key: scalar}; lists of scalars stay whole values.

    A schedule row flattens to its share count (``earnout.schedule.2003-05-01.installment``).
    """
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if not prefix and key in QUERY_KEYS:
                continue
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(value, list) and prefix in ROW_LISTS and not value:
        return {}  # no rows: nothing to compare (a row that appears later shows as new figures)
    if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        flat, seen = {}, set()
        for index, item in enumerate(value):
            row = f"{prefix}.{_row_key(prefix, item, index, seen)}"
            if prefix == "earnout.schedule":
                flat[row] = item["shares"]
            else:
                flat.update(flatten({k: v for k, v in item.items() if k not in ROW_IDS}, row))
        return flat
    return {prefix: value}


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every figure whose value differs between two state JSONs, in the new state's key order."""
    before, after = flatten(old), flatten(new)
    keys = [*after, *(k for k in before if k not in after)]
    return [Change(figure=k, old=before.get(k), new=after.get(k)) for k in keys if before.get(k) != after.get(k)]


def causes(events: Iterable[LedgerEvent], as_of: date, after: datetime, until: datetime | None) -> list[Cause]:
    """readings 9: the events recorded in (after, until] that bear on the state on
    ``as_of`` - those that occurred by then, and every retraction (it acts from its recording)."""
    return [
        Cause(
            position=e.position,
            type=e.type,
            occurred_on=e.occurred_on,
            recorded_at=e.recorded_at,
            clause=e.clause,
            payload=e.payload(),
        )
        for e in events
        if e.recorded_at > after
        and (until is None or e.recorded_at <= until)
        and (e.occurred_on <= as_of or isinstance(e, EventRetracted))
    ]


def impact(
    events: list[LedgerEvent],
    as_of: date,
    before: dict[str, Any],
    after: dict[str, Any],
    t1: datetime,
    t2: datetime | None,
) -> Impact:
    """The impact report of two states of the same date known at ``t1`` and ``t2`` (None = now)."""
    return Impact(
        as_of=as_of,
        known_at_before=t1,
        known_at_after=t2,
        changes=changes(before, after),
        causes=causes(events, as_of, t1, t2),
    )
