"""The reporting read model's rows for one agreement (pure; commands/reporting/export.py writes them).

Tables whose figures depend on the date carry ``valid_from`` / ``valid_to``
(exclusive; NULL = still valid), one row per interval over which the row is
constant. The rows here are as known from the events given (all recorded events, retractions
applied: "as known now"); ``projections.versions`` makes one version of them per recording
moment, so the read model also answers "as known at T".
Money is INTEGER whole cents (columns ending in ``_cents``), shares INTEGER, dates TEXT (ISO 8601).
No row depends on the wall clock, so a rebuild reproduces the tables exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.event_json import canonical_json, payload_json
from domain.events import ENVELOPE, AgreementRegistered, EventRetracted, LedgerEvent
from domain.values import money_cents
from projections.changes import Changes, Row, changes
from projections.facts import Facts
from projections.models import ScheduleItem

Rows = list[dict[str, Any]]
PAYLOAD_EXCLUDED = ENVELOPE | {"occurred_on"}  # what ``LedgerEvent.payload`` leaves out


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _json(value: Any) -> str:
    """A JSON-ready value as the ledger writes JSON (``domain.event_json``: sorted keys, no spaces)."""
    return canonical_json(value).decode()


def event_rows(agreement_id: str, events: list[LedgerEvent], first: int = 0) -> Rows:
    """Every recorded event (after the ``first``) with both times, its clause, its payload as
    JSON, who recorded it and the documents it rests on."""
    retracted = {e.event_id: e.position for e in events if isinstance(e, EventRetracted)}
    texts: dict[tuple[date, object], str] = {}  # a batch's events share a recording time, many a date

    def iso(moment: date) -> str:
        key = (moment, getattr(moment, "tzinfo", None))  # one instant at two offsets prints twice
        text = texts.get(key)
        if text is None:
            text = texts[key] = moment.isoformat()
        return text

    return [
        {
            "agreement_id": agreement_id,
            "position": e.position,
            "type": e.type,
            "clause": e.clause,
            "occurred_on": iso(e.occurred_on),
            "recorded_at": iso(e.timestamp),
            "payload": payload_json(e, PAYLOAD_EXCLUDED),
            "retracted_by": retracted.get(e.position),
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            "recorded_by": e.recorded_by or None,  # provenance (commands.provenance), last as added
            "evidence": _evidence_json(e),
        }
        for e in events[first:]
    ]


def _evidence_json(event: LedgerEvent) -> str:
    """The documents an event rests on as a JSON list of {name, sha256[, size]} ("[]": none)."""
    if not event.evidence:
        return "[]"
    return _json([d.model_dump(mode="json", exclude_none=True) for d in event.evidence])


def agreement_row(
    agreement_id: str, events: list[LedgerEvent], effective_date: date | None, closing_date: date | None, status: str
) -> dict[str, Any]:
    """The agreement: its store id, registration, latest dates and status, events and terms."""
    registered = events[0]
    assert isinstance(registered, AgreementRegistered)
    return {
        "agreement_id": agreement_id,
        "originator_id": str(registered.originator_id),
        "registered_at": registered.timestamp.isoformat(),
        "effective_date": _iso(effective_date),
        "closing_date": _iso(closing_date),
        "status": status,
        "event_count": len(events),
        "last_position": events[-1].position,
        "last_recorded_at": events[-1].timestamp.isoformat(),
        "last_hash": events[-1].hash,
        "terms": _json(registered.terms.model_dump(mode="json")),
    }


def _intervals(
    points: list[tuple[date, Row | None]], since: date | None, texts: dict[date | None, str | None]
) -> list[tuple[str, str | None, Row]]:
    """A row's values between the points where it changed: (valid_from, valid_to or None, value),
    as ISO texts, less those that end before ``since``. ``texts``: each date's text once (the
    change points of one agreement's rows are a few dates, each met by many rows)."""
    rows = []
    for (day, value), (until, _) in zip(points, [*points[1:], (None, None)], strict=True):
        if value is not None and (since is None or until is None or until >= since):
            begins, ends = texts.get(day), texts.get(until)
            if begins is None:
                begins = texts[day] = day.isoformat()
            if ends is None and until is not None:
                ends = texts[until] = until.isoformat()
            rows.append((begins, ends, value))
    return rows


def _timed(
    agreement_id: str,
    changes: dict[str, list[tuple[date, Row | None]]],
    key: str,
    since: date | None,
    keys: set[str] | None,
    texts: dict[date | None, str | None],
) -> Rows:
    return [
        {"agreement_id": agreement_id, key: k, "valid_from": a, "valid_to": b, **value}
        for k in sorted(changes if keys is None else keys & changes.keys())
        for a, b, value in _intervals(changes[k], since, texts)
    ]


def claim_columns(row: dict[str, Any], basis: str) -> None:
    """A claim's ``state --json`` row as the claims table holds it: its sections in one text,
    its basis, and its amounts in whole cents."""
    row["sections"] = ", ".join(row["sections"])
    row["basis"] = basis
    row["amount_cents"] = money_cents(row.pop("amount"))
    resolved = row.pop("resolved_amount")
    row["resolved_amount_cents"] = None if resolved is None else money_cents(resolved)


def schedule_rows(agreement_id: str, schedule: Sequence[ScheduleItem]) -> Rows:
    """1.5(b)-(c): each release and the cancellation, with the shares released so far."""
    rows, cumulative = [], 0
    for seq, item in enumerate(schedule, start=1):
        cumulative += item.shares if item.kind != "cancellation" else 0
        rows.append(
            {
                "agreement_id": agreement_id,
                "seq": seq,
                "due_on": item.on.isoformat(),
                "kind": item.kind,
                "shares": item.shares,
                "cumulative_released": cumulative,
            }
        )
    return rows


def movement_rows(agreement_id: str, facts: Facts) -> Rows:
    """8.1(c) and the Escrow Agreement: each deposit, surrender and release, with the balance after it."""
    rows, balance = [], 0
    for seq, m in enumerate(sorted(facts.escrow_movements, key=lambda m: (m.on, m.position)), start=1):
        balance += m.shares if m.kind == "deposit" else -m.shares
        rows.append(
            {
                "agreement_id": agreement_id,
                "seq": seq,
                "moved_on": m.on.isoformat(),
                "kind": m.kind,
                "shares": m.shares,
                "claim_id": m.ref or None,
                "position": m.position,
                "balance_after": balance,
            }
        )
    return rows


def timeline_tables(agreement_id: str, events: list[LedgerEvent]) -> tuple[dict[str, Rows], Facts]:
    """The timeline tables of one agreement as known from ``events`` (valid time only), and the
    facts of all of them."""
    return tables_of(agreement_id, changes(events))


def tables_of(
    agreement_id: str, walked: Changes, since: date | None = None, only: dict[str, set[str]] | None = None
) -> tuple[dict[str, Rows], Facts]:
    """The timeline tables of a walk of one agreement's change points, and its facts; ``since``:
    less the rows with a valid time that end before it (``projections.versions``); ``only``: per
    table of points (``projections.changes.CHANGED``), the keys whose rows to build (the others
    are those of the version before)."""
    facts = walked.facts
    assert facts is not None
    keys = only or {}
    texts: dict[date | None, str | None] = {}
    timeline = (
        []
        if only is not None and "" not in keys["state_timeline"]
        else [
            {"agreement_id": agreement_id, "valid_from": a, "valid_to": b, **value}
            for a, b, value in _intervals(walked.headline, since, texts)  # type: ignore[arg-type]
        ]
    )
    claims = _timed(agreement_id, walked.claims, "claim_id", since, keys.get("claims"), texts)
    for row in claims:
        claim_columns(row, facts.claims[row["claim_id"]].basis)
    tables = {
        "state_timeline": timeline,
        "earnout_schedule": schedule_rows(agreement_id, walked.schedule),
        "escrow_movements": movement_rows(agreement_id, facts),
        "claims": claims,
        "survival": _timed(agreement_id, walked.survival, "section", since, keys.get("survival"), texts),
        "obligations": _timed(agreement_id, walked.obligations, "ref", since, keys.get("obligations"), texts),
    }
    return tables, facts


def agreement_tables(agreement_id: str, events: list[LedgerEvent]) -> dict[str, Rows]:
    """All rows of one agreement as known now, table by table, in a deterministic order
    (``projections.versions`` adds system time)."""
    tables, facts = timeline_tables(agreement_id, events)
    return {
        "agreements": [agreement_row(agreement_id, events, facts.effective_date, facts.closing_date, facts.status)],
        "events": event_rows(agreement_id, events),
        **tables,
    }
