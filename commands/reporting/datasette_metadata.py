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

AS_OF = "valid_from <= :date AND (:date < valid_to OR valid_to IS NULL)"
VALID = {
    "valid_from": "First date (valid time) on which this row holds",
    "valid_to": "First date on which it no longer holds (exclusive); empty while it still holds",
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
    "state_timeline": {
        "title": "State over time",
        "description": "Headline figures per agreement, one row per interval of valid time over which they hold.",
        "columns": {
            **VALID,
            "released_shares": "Earnout Shares released to Sellers (1.5(b))",
            "cancelled_shares": "Earnout Shares cancelled, reducing the Purchase Price (1.5(c))",
            "pending_shares": "Earnout Shares neither released nor cancelled (1.5(b))",
            "delivered_shares": "Earnout Shares CRS is recorded to have delivered (1.5(b))",
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
        "columns": {"kind": "catch-up, installment, settlement (M) or cancellation (A - M)"},
    },
    "escrow_movements": {
        "title": "Escrow movements",
        "description": "Deposits, surrenders for resolved claims and releases of escrow shares (8.1(c)).",
        "columns": {"balance_after": "Escrow balance after the movement", "claim_id": "Claim a surrender satisfied"},
    },
    "claims": {
        "title": "Claims",
        "description": "Indemnification claims (8.1 Buyer, 8.2 Sellers) with their status over time (8.3, 8.4).",
        "columns": {
            **VALID,
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
            "expires_on": "Expiry: two years after Closing (7.3); 2.11 to the statute of limitations (7.3(ii))",
            "status": "surviving, extended (a timely claim is pending, 7.3(iv)), expired, indefinite (7.3(i))",
        },
    },
    "obligations": {
        "title": "Obligations calendar",
        "description": "Every dated duty and right with its status over time (1.5, 4.7, 5.1, 5.6, 7.1, 7.3, 8.3, 8.6).",
        "columns": {
            **VALID,
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

QUERIES: dict[str, dict[str, Any]] = {
    "state_as_of": {
        "title": "State as of :date",
        "description": "Headline figures of every agreement on a date, as `apa-ledger state --as-of` shows them.",
        "sql": f"SELECT * FROM state_timeline_in_dollars WHERE {AS_OF} ORDER BY agreement_id",
    },
    "pending_claims_and_reserves": {
        "title": "Pending claims and escrow reserves as of :date",
        "description": "Claims pending on a date with the escrow shares reserved for them (8.1(c), 8.3).",
        "sql": (
            "SELECT c.agreement_id, c.claim_id, c.claimant, c.sections, c.asserted_on, c.amount_cents, c.amount, "
            "t.buyer_pending_losses, t.escrow_balance_shares, t.escrow_reserved_shares, t.escrow_available_shares "
            "FROM claims_in_dollars c JOIN state_timeline_in_dollars t ON t.agreement_id = c.agreement_id "
            "AND t.valid_from <= :date AND (:date < t.valid_to OR t.valid_to IS NULL) "
            "WHERE c.status = 'pending' AND c.valid_from <= :date AND (:date < c.valid_to OR c.valid_to IS NULL) "
            "ORDER BY c.agreement_id, c.asserted_on, c.claim_id"
        ),
    },
    "upcoming_obligations": {
        "title": "Obligations open on :as_of and due before :before",
        "description": "What is upcoming, due or overdue on one date and falls due before another.",
        "sql": (
            "SELECT agreement_id, due_on, status, clause, description FROM obligations "
            "WHERE valid_from <= :as_of AND (:as_of < valid_to OR valid_to IS NULL) "
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
