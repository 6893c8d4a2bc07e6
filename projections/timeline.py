"""The state of an agreement over valid time: one state per change point.

A figure changes only on the date of an event (``occurred_on``) or on a date the
state itself names (an installment or settlement date, the cancellation, a
survival expiry, an obligation's due date and the day after it). Between two
change points every figure of ``project(events, d)`` is constant, so the states
at the change points describe ``as_of`` queries on every date, as known now.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from domain.events import LedgerEvent
from projections.ledger import Fold, effective_events
from projections.models import AgreementState
from projections.state import state_of

ONE_DAY = timedelta(days=1)


def trigger_dates(state: AgreementState) -> set[date]:
    """Dates on which the state changes by itself, with no new event (readings 2, 3, 6, 8)."""
    dates = {item.on for item in state.earnout.schedule}
    bp = state.earnout.bp_event
    if bp is not None:
        dates |= {bp.settlement_due_by, bp.cancellation_on}
    dates |= {row.expires_on for row in state.survival if row.expires_on is not None}
    for obligation in state.obligations:
        dates |= {obligation.due_on, obligation.due_on + ONE_DAY}  # due on the date, overdue after it
    return dates


def change_points(events: Iterable[LedgerEvent]) -> Iterator[tuple[date, AgreementState]]:
    """Each change point in date order with the state as of it (``project(events, d)``).

    The fold advances once through the events in ``occurred_on`` order instead of
    refolding from scratch at every date; the first point is the earlier of the
    agreement's date and its first event.
    """
    registered, chosen = effective_events(events)
    ledger = Fold(registered)
    start = min([registered.terms.agreement_date, *(e.occurred_on for e in chosen[:1])])
    queue = sorted({start, *(e.occurred_on for e in chosen)})
    seen = set(queue)
    applied = 0
    while queue:
        day = heapq.heappop(queue)
        while applied < len(chosen) and chosen[applied].occurred_on <= day:
            ledger.apply(chosen[applied], strict=False)
            applied += 1
        state = state_of(ledger, day)
        yield day, state
        for later in trigger_dates(state):
            if later > day and later not in seen:
                seen.add(later)
                heapq.heappush(queue, later)


def intervals(points: Iterable[tuple[date, Any]]) -> list[tuple[date, date | None, Any]]:
    """Collapse consecutive equal values: [(valid_from, valid_to or None, value)]."""
    rows: list[tuple[date, date | None, Any]] = []
    for day, value in points:
        if rows and rows[-1][2] == value:
            continue
        if rows:
            rows[-1] = (rows[-1][0], day, rows[-1][2])
        rows.append((day, None, value))
    return rows


def keyed_intervals(points: Iterable[tuple[date, dict[str, Any]]]) -> list[tuple[str, date, date | None, Any]]:
    """Per key, the intervals over which its value is constant; a key absent at a change
    point closes its interval there (e.g. the 7.1 termination right once Closing occurs)."""
    open_rows: dict[str, tuple[date, Any]] = {}
    closed: list[tuple[str, date, date | None, Any]] = []
    for day, values in points:
        for key in list(open_rows):
            since, value = open_rows[key]
            if values.get(key, _ABSENT) != value:
                closed.append((key, since, day, value))
                del open_rows[key]
        for key, value in values.items():
            if key not in open_rows:
                open_rows[key] = (day, value)
    closed += [(key, since, None, value) for key, (since, value) in open_rows.items()]
    return sorted(closed, key=lambda row: (row[0], row[1]))


_ABSENT = object()
