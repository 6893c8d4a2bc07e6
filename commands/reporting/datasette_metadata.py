"""Datasette metadata for the reporting read model: titles, column notes with clauses, canned queries.

Plain data (no datasette import), so it is tested against an exported file with
sqlite3 whether or not datasette is installed. `apa-ledger serve` writes it to a
JSON file and passes it to ``datasette --metadata``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from domain.events import EVENT_TYPES
from domain.terms import Terms
from projections.headline import HEADLINE_COLUMNS

NOW = "recorded_to IS NULL"
"""The rows still believed: the read model as known now."""
AS_OF = f"{NOW} AND valid_from <= :date AND (:date < valid_to OR valid_to IS NULL)"
MOMENT = (
    "CASE WHEN length(:known_at) = 10 THEN :known_at || 'T23:59:59.999999Z' ELSE "
    "substr(rtrim(replace(:known_at, ' ', 'T'), 'Zz') || substr('0000-00-00T00:00:00.000000', "
    "length(rtrim(:known_at, 'Zz')) + 1), 1, 26) || 'Z' END"
)
"""``:known_at`` (UTC: a date, a date and time, or the columns' own form) written as
``recorded_from`` writes a moment, as ``--known-at`` reads it: a bare date is its last instant,
a time without a fraction its first microsecond (readings 9)."""


def valid_on(alias: str, day: str = ":date") -> str:
    """The rows of table ``alias`` that hold on ``day`` (valid time)."""
    return f"{alias}.valid_from <= {day} AND ({day} < {alias}.valid_to OR {alias}.valid_to IS NULL)"


def known_at(alias: str, moment: str = "k.t") -> str:
    """The rows of table ``alias`` believed at ``moment`` (system time: recorded by then, not
    yet ended by a later recording)."""
    return f"{alias}.recorded_from <= {moment} AND ({moment} < {alias}.recorded_to OR {alias}.recorded_to IS NULL)"


STATE_AS_KNOWN_AT = (
    f"WITH k(t) AS (SELECT {MOMENT}) SELECT s.* FROM k JOIN state_timeline s "
    f"ON {valid_on('s')} AND {known_at('s')} ORDER BY s.agreement_id"
)
"""The state of every agreement on ``:date`` as known at ``:known_at``: the headline of
``state --as-of DATE --known-at MOMENT --json``, one row an agreement (indexed:
``state_timeline_known``)."""
VALID = {
    "valid_from": "First date (valid time) on which this row holds",
    "valid_to": "First date on which it no longer holds (exclusive); empty while it still holds",
}
RECORDED = {
    "recorded_from": "When the ledger came to believe this row (UTC; the recorded_at of the batch that made it)",
    "recorded_to": "When a later recording ended it (UTC; that batch's recorded_at); empty while still believed",
}

TABLES: dict[str, dict[str, Any]] = {
    "agreements": {
        "title": "Agreements",
        "description": "One row per agreement in the event store, after every recorded event.",
        "columns": {
            "agreement_id": "The agreement's id in the ledger",
            "effective_date": "Effective Date (1.4)",
            "closing_date": "Closing Date (1.5, 6)",
            "status": "signed, closed or terminated (7.1, 7.2)",
            "terms": "The terms the rules read, as JSON (this APA's by default)",
            "last_hash": "SHA-256 hash of the latest event: the head of the tamper-evident chain",
        },
    },
    "events": {
        "title": "Events",
        "description": "Every recorded fact: valid time (occurred_on) and recording time (recorded_at).",
        "columns": {
            "position": "Position in the agreement's stream (1 = AgreementRegistered)",
            "occurred_on": "When it happened under the agreement (valid time)",
            "recorded_at": "When the ledger learned it (UTC, set by the store)",
            "clause": "The clause of the agreement the event records",
            "payload": "The fact's fields as JSON",
            "retracted_by": "Position of the EventRetracted that withdrew this event, if any",
            "recorded_by": "Who recorded it (--recorded-by, $APA_LEDGER_USER, else the OS user); empty: not kept then",
            "evidence": 'The documents it rests on, as JSON [{"name", "sha256", "size"}]; [] for none',
        },
    },
    "recordings": {
        "title": "Recordings",
        "description": "Each moment the ledger learnt facts of an agreement (a batch): where versions begin and end.",
        "columns": {
            "recorded_at": "The batch's recording moment (UTC), as recorded_from and recorded_to write it",
            "first_position": "Its first event (events.position)",
            "last_position": "Its last event",
            "events": "How many events it appended",
        },
    },
    "state_timeline": {
        "title": "State over time",
        "description": "Headline figures per agreement, one row per interval of valid time over which they hold, "
        "per interval of recording time over which that was believed (recorded_to empty: as known now).",
        "columns": {
            **VALID,
            **RECORDED,
            "released_shares": "Earnout Shares released to Sellers (1.5(b))",
            "cancelled_shares": "Earnout Shares cancelled, reducing the Purchase Price (1.5(c))",
            "pending_shares": "Earnout Shares neither released nor cancelled (1.5(b))",
            "delivered_shares": "Earnout Shares recorded as delivered to the Sellers (1.5(b))",
            "escrow_balance_shares": "Shares held in escrow (8.1(c))",
            "escrow_reserved_shares": "Escrow shares reserved for pending Buyer claims (8.1(c), readings 5)",
            "escrow_available_shares": "Escrow balance less reserved shares (8.1(c))",
            "buyer_pending_losses_cents": "Buyer's Losses in pending claims, in cents (8.1, 8.3)",
            "buyer_payable_cents": "Buyer's payable Losses after the $25,000 Allowance, in cents (8.1(b))",
            "buyer_offset_cents": "Buyer's payable Losses offset against withheld payments, in cents (8.6)",
            "buyer_shares_due_outside_escrow": "Buyer Securities due for Losses beyond what the escrow held (8.1(c))",
            "buyer_cash_due_cents": "Buyer's Losses payable in cash beyond the $250,000 in shares, in cents (8.1(c))",
            "sellers_pending_losses_cents": "Sellers' Losses in pending claims, in cents (8.2, 8.3)",
            "sellers_payable_cents": "Sellers' payable Losses after the Allowance, in cents (8.2(b))",
            "purchase_price_reduction_cents": "Price reduction: cancelled Earnout Shares at $10, in cents (1.5(c))",
            "withheld_outstanding_cents": "Payments still withheld against pending claims, in cents (8.6)",
        },
    },
    "state_timeline_in_dollars": {
        "title": "State over time, in dollars",
        "description": "state_timeline with each _cents column beside it as two-place text (sort and sum the cents).",
        "columns": {"buyer_payable": "Buyer's payable Losses, two places (8.1(b))"},
    },
    "claims_in_dollars": {
        "title": "Claims, in dollars",
        "description": "claims with amount and resolved_amount as two-place text beside their cents.",
        "columns": {"amount": "Amount claimed, two places (8.3)"},
    },
    "earnout_schedule": {
        "title": "Earnout schedule",
        "description": "Catch-up, installments, BP settlement and cancellation, per all recorded events (1.5(b)-(c)).",
        "columns": {"kind": "catch-up, installment, settlement (M) or cancellation (A - M)", **RECORDED},
    },
    "escrow_movements": {
        "title": "Escrow movements",
        "description": "Deposits, surrenders for resolved claims and releases of escrow shares (8.1(c)).",
        "columns": {
            "balance_after": "Escrow balance after the movement",
            "claim_id": "Claim a surrender satisfied",
            **RECORDED,
        },
    },
    "claims": {
        "title": "Claims",
        "description": "Indemnification claims (8.1 Buyer, 8.2 Sellers) with their status over time (8.3, 8.4).",
        "columns": {
            **VALID,
            **RECORDED,
            "sections": "Sections cited; a representation must be claimed before it expires (7.3)",
            "amount_cents": "Amount claimed, in cents (8.3)",
            "resolved_amount_cents": "Losses finally determined, in cents (8.3, 8.4)",
            "surrendered_shares": "Escrow shares its resolution surrendered (8.1(c))",
        },
    },
    "survival": {
        "title": "Survival",
        "description": "Survival of each representation of Articles II and III over time (7.3, 8.4).",
        "columns": {
            **VALID,
            **RECORDED,
            "expires_on": "Expiry: two years after Closing (7.3); 2.11 to the statute of limitations (7.3(ii))",
            "status": "surviving, extended (a timely claim is pending, 7.3(iv)), expired, indefinite (7.3(i))",
        },
    },
    "obligations": {
        "title": "Obligations calendar",
        "description": "Every dated duty and right with its status over time (1.5, 4.7, 5.1, 5.6, 7.1, 7.3, 8.3, 8.6).",
        "columns": {
            **VALID,
            **RECORDED,
            "ref": "Stable id of the obligation (also the calendar UID's source)",
            "due_on": "The date it falls due or the period ends",
            "status": "upcoming, due (on the date), overdue (after it, not done) or done",
        },
    },
}

DERIVED_TYPES = ", ".join(
    f"'{name}'" for name, cls in EVENT_TYPES.items() if cls.derived or name == "AgreementRegistered"
)
"""The events no user records as a fact: the ledger derives them (8.1(c)) or `new` writes them."""

FIGURES = (
    "status",
    "released_shares",
    "cancelled_shares",
    "escrow_balance_shares",
    "buyer_payable_cents",
    "buyer_cash_due_cents",
    "sellers_payable_cents",
    "purchase_price_reduction_cents",
)
"""The headline figures the restatement and quarter-end queries show side by side (every one is compared)."""


def _changed(before: str, after: str) -> str:
    """The names of the headline figures that differ between rows ``before`` and ``after``, as one text."""
    tests = " || ".join(f"CASE WHEN {before}.{c} IS NOT {after}.{c} THEN ' {c}' ELSE '' END" for c in HEADLINE_COLUMNS)
    return f"ltrim({tests})"


def _side_by_side(before: str, after: str, names: tuple[str, str]) -> str:
    return ", ".join(f"{before}.{c} AS {names[0]}_{c}, {after}.{c} AS {names[1]}_{c}" for c in FIGURES)


END_OF = "'T23:59:59.999999Z'"
"""Appended to a date: its last instant, as ``recorded_from`` writes a moment (readings 9)."""

RESTATEMENTS = (
    f"SELECT s.agreement_id, :date AS as_of, p.recorded_from AS believed_from, s.recorded_from AS restated_at, "
    f"{_changed('p', 's')} AS changed, {_side_by_side('p', 's', ('before', 'after'))}, "
    "(SELECT group_concat(e.position || ' ' || e.type || ' ' || e.occurred_on, '; ') FROM recordings r "
    "JOIN events e ON e.agreement_id = r.agreement_id AND e.position BETWEEN r.first_position AND r.last_position "
    "WHERE r.agreement_id = s.agreement_id AND r.recorded_at = s.recorded_from) AS recorded_events "
    "FROM state_timeline s JOIN state_timeline p ON p.agreement_id = s.agreement_id "
    "AND p.recorded_to = s.recorded_from "
    f"AND {valid_on('p')} WHERE {valid_on('s')} AND s.recorded_from > :date || {END_OF} "
    f"AND {_changed('p', 's')} <> '' ORDER BY s.agreement_id, s.recorded_from"
)
"""Each change of a headline figure on ``:date`` that was recorded after that date had passed:
the row believed before (from ``believed_from``) and the one that replaced it at ``restated_at``,
the figures that changed, and the events of that recording."""

QUARTER_ENDS = (
    "WITH RECURSIVE q(quarter_end) AS (SELECT date(:from, 'start of month', "
    "'+' || ((3 - CAST(strftime('%m', :from) AS INTEGER) % 3) % 3) || ' months', '+1 month', '-1 day') "
    "UNION ALL SELECT date(quarter_end, '+1 day', '+3 months', '-1 day') FROM q WHERE quarter_end < :to) "
    f"SELECT q.quarter_end, n.agreement_id, CASE WHEN r.agreement_id IS NOT NULL THEN {_changed('r', 'n')} END "
    "AS restated, "
    f"{_side_by_side('r', 'n', ('reported', 'now'))} "
    f"FROM q JOIN state_timeline n ON n.recorded_to IS NULL AND {valid_on('n', 'q.quarter_end')} "
    f"LEFT JOIN state_timeline r ON r.agreement_id = n.agreement_id AND {valid_on('r', 'q.quarter_end')} "
    f"AND {known_at('r', 'q.quarter_end || ' + END_OF)} "
    "WHERE q.quarter_end <= :to ORDER BY q.quarter_end, n.agreement_id"
)
"""For each quarter end from ``:from`` to ``:to``: each agreement's figures on that day as
reported then (known at its last instant; empty if the agreement was not yet recorded) and as
known now, with the figures that differ."""

QUERIES: dict[str, dict[str, Any]] = {
    "state_as_of": {
        "title": "State as of :date",
        "description": "Headline figures of every agreement on a date, as `apa-ledger state --as-of` shows them.",
        "sql": f"SELECT * FROM state_timeline_in_dollars WHERE {AS_OF} ORDER BY agreement_id",
    },
    "state_as_known_at": {
        "title": "State on :date as known at :known_at",
        "description": "Headline figures of every agreement on a date as the ledger knew them at a moment (UTC; "
        "a date is its end), as `apa-ledger state --as-of DATE --known-at MOMENT` shows them.",
        "sql": STATE_AS_KNOWN_AT,
    },
    "restatements": {
        "title": "Restatements of :date",
        "description": "Figures for a date that changed after the date had passed, before and after, with the "
        "facts recorded then that changed them (back-dated facts, superseding reports, retractions).",
        "sql": RESTATEMENTS,
    },
    "as_reported_at_quarter_ends": {
        "title": "As reported at each quarter end from :from to :to, and as known now",
        "description": "Each agreement's figures on each quarter end as known at the end of that day beside the "
        "same date as known now; restated names the figures that differ.",
        "sql": QUARTER_ENDS,
    },
    "pending_claims_and_reserves": {
        "title": "Pending claims and escrow reserves as of :date",
        "description": "Claims pending on a date with the escrow shares reserved for them (8.1(c), 8.3).",
        "sql": (
            "SELECT c.agreement_id, c.claim_id, c.claimant, c.sections, c.asserted_on, c.amount_cents, c.amount, "
            "t.buyer_pending_losses, t.escrow_balance_shares, t.escrow_reserved_shares, t.escrow_available_shares "
            "FROM claims_in_dollars c JOIN state_timeline_in_dollars t ON t.agreement_id = c.agreement_id "
            f"AND t.{NOW} AND {valid_on('t')} "
            f"WHERE c.status = 'pending' AND c.{NOW} AND {valid_on('c')} "
            "ORDER BY c.agreement_id, c.asserted_on, c.claim_id"
        ),
    },
    "upcoming_obligations": {
        "title": "Obligations open on :as_of and due before :before",
        "description": "What is upcoming, due or overdue on one date and falls due before another.",
        "sql": (
            "SELECT agreement_id, due_on, status, clause, description FROM obligations "
            f"WHERE {NOW} AND valid_from <= :as_of AND (:as_of < valid_to OR valid_to IS NULL) "
            "AND status <> 'done' AND due_on < :before ORDER BY due_on, agreement_id, clause"
        ),
    },
    "facts_recorded_by": {
        "title": "Facts recorded by :name",
        "description": "Every event a person (or service) recorded, with the documents it rests on.",
        "sql": (
            "SELECT agreement_id, position, type, occurred_on, recorded_at, evidence FROM events "
            "WHERE recorded_by = :name ORDER BY agreement_id, position"
        ),
    },
    "facts_without_evidence": {
        "title": "Facts recorded on no document",
        "description": "Facts a user recorded (not derived by the ledger) that name no evidence.",
        "sql": (
            "SELECT agreement_id, position, type, occurred_on, recorded_at, recorded_by FROM events "
            f"WHERE evidence = '[]' AND type NOT IN ({DERIVED_TYPES}) ORDER BY agreement_id, position"
        ),
    },
}


def model_terms(path: str | Path) -> list[Terms]:
    """The terms of every agreement in the read model at ``path`` (its ``agreements.terms``
    column; defaults restored), read only; none if it holds no agreement table yet."""
    try:
        with closing(sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT terms FROM agreements ORDER BY agreement_id").fetchall()
    except sqlite3.DatabaseError:
        return []
    return [Terms.model_validate_json(terms) for (terms,) in rows]


def describe(terms: Sequence[Terms]) -> str:
    """What the read model holds, named as the agreements' own terms name them (preamble)."""
    if not terms:
        return "Read model of an apa-ledger event store (no agreement exported yet)."
    kinds = sorted({(t.heading, t.parties) for t in terms})
    if len(kinds) == 1:
        (heading, parties), count = kinds[0], len(terms)
        several = f" ({count:,} agreements on its terms)" if count > 1 else ""
        return f"Read model of the {heading} among {parties}{several}."
    return f"Read model of {len(terms):,} agreements: " + "; ".join(f"the {h} among {p}" for h, p in kinds) + "."


def metadata(database: str = "reporting", terms: Sequence[Terms] = ()) -> dict[str, Any]:
    """Datasette metadata for the read model file named ``database`` (its stem), described by
    the ``terms`` of its agreements (``model_terms``)."""
    return {
        "title": "apa-ledger reporting",
        "description": describe(terms),
        "databases": {
            database: {
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }
