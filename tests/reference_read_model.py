"""The read model's rows for one agreement as first built: the whole state at every change point
(``projections.timeline.change_points``), then intervals of equal values. Kept as the oracle
that ``projections.read_model`` (part by part, ``projections.changes``) must match.

Tables whose figures depend on the date carry ``valid_from`` / ``valid_to`` (exclusive; NULL =
still valid), one row per interval over which the row is constant. Everything is "as known
now" (all recorded events, retractions applied).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.events import LedgerEvent
from projections import read_model
from projections.headline import headline_row
from projections.ledger import fold
from projections.models import AgreementState
from projections.read_model import Rows, _iso, _json
from projections.timeline import change_points, intervals, keyed_intervals


def event_rows(agreement_id: str, events: list[LedgerEvent]) -> Rows:
    """The events table, each payload as the stdlib writes pydantic's dump of it (the read model
    writes it straight from the fields: ``domain.event_json.payload_json``)."""
    rows = read_model.event_rows(agreement_id, events)
    for row, event in zip(rows, events, strict=True):
        row["payload"] = _json(event.payload())
    return rows


def _timed(agreement_id: str, rows: list[tuple[str, date, date | None, Any]], key: str) -> Rows:
    return [
        {"agreement_id": agreement_id, key: k, "valid_from": _iso(a), "valid_to": _iso(b), **value}
        for k, a, b, value in rows
    ]


def _point_dump(state: AgreementState, cache: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The parts of ``state.model_dump(mode="json")`` the tables read. Claims, survival rows,
    obligations, escrow, indemnity and offset are shared between change points (projections
    memoise them per fold), so each distinct one is serialised once (``cache`` by identity;
    ``points`` keeps them alive)."""

    def rows(items: list[Any]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            dumped = cache.get(id(item))
            if dumped is None:
                dumped = cache[id(item)] = item.model_dump(mode="json")
            out.append(dumped)
        return out

    escrow, indemnity, offset = rows([state.escrow, state.indemnity, state.offset])
    return {
        "status": state.status,
        "earnout": state.earnout.model_dump(mode="json", exclude={"schedule", "bp_event"}),
        "escrow": escrow,
        "indemnity": indemnity,
        "purchase_price": state.purchase_price.model_dump(mode="json"),
        "offset": offset,
        "claims": rows(state.claims),
        "survival": rows(state.survival),
        "obligations": rows(state.obligations),
    }


def reference_tables(agreement_id: str, events: list[LedgerEvent]) -> dict[str, Rows]:
    """All rows of one agreement, table by table, in a deterministic order."""
    points = list(change_points(events))
    last = points[-1][1]
    facts = fold(events).facts
    cache: dict[int, dict[str, Any]] = {}
    dumps = [(d, _point_dump(s, cache)) for d, s in points]
    timeline = [
        {"agreement_id": agreement_id, "valid_from": _iso(a), "valid_to": _iso(b), **value}
        for a, b, value in intervals((d, headline_row(s)) for d, s in dumps)
    ]
    claims_at = [(d, {c["claim_id"]: c for c in s["claims"]}) for d, s in dumps]
    claims = _timed(agreement_id, keyed_intervals(claims_at), "claim_id")
    for row in claims:
        claim = facts.claims.get(row["claim_id"])
        read_model.claim_columns(row, claim.basis if claim else "")
    unkeyed: dict[int, dict[str, Any]] = {}  # each distinct row's dump without its key, built once

    def without_section(row: dict[str, Any]) -> dict[str, Any]:
        if id(row) not in unkeyed:
            unkeyed[id(row)] = {k: v for k, v in row.items() if k != "section"}
        return unkeyed[id(row)]

    survival_at = [(d, {r["section"]: without_section(r) for r in s["survival"]}) for d, s in dumps]
    obligations_at = [
        (d, {o.ref: dumped for o, dumped in zip(state.obligations, s["obligations"], strict=True)})
        for (d, state), (_, s) in zip(points, dumps, strict=True)
    ]
    return {
        "agreements": [
            read_model.agreement_row(agreement_id, events, last.effective_date, last.closing_date, last.status)
        ],
        "events": event_rows(agreement_id, events),
        "state_timeline": timeline,
        "earnout_schedule": read_model.schedule_rows(agreement_id, last.earnout.schedule),
        "escrow_movements": read_model.movement_rows(agreement_id, facts),
        "claims": claims,
        "survival": _timed(agreement_id, keyed_intervals(survival_at), "section"),
        "obligations": _timed(agreement_id, keyed_intervals(obligations_at), "ref"),
    }
