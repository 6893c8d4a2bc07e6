"""The ledger against an independent, naive calculator (tests/oracle.py), key by key."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import oracle
from tests.histories import HISTORIES, History
from tests.ledger import new_ledger

BP_KEYS = (
    "clause",
    "governing_date",
    "undelivered_shares",
    "months",
    "measurement_start",
    "assumed_margin_total",
    "actual_margin_total",
    "capped_margin",
    "settlement_shares",
    "missing_months",
)
SIDE_KEYS = (
    "resolved_losses",
    "allowance_exceeded",
    "payable",
    "offset",
    "satisfied_in_shares",
    "shares_due_outside_escrow",
    "cash_due",
)


def ledger_figures(state: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``state --json`` that the oracle computes, in the oracle's shape."""
    e = state["earnout"]
    bp = e["bp_event"]
    return {
        "earnout": {
            "released_shares": e["released_shares"],
            "cancelled_shares": e["cancelled_shares"],
            "pending_shares": e["pending_shares"],
            "terminated_shares": e["terminated_shares"],
            "bp_event": None if bp is None else {k: bp[k] for k in BP_KEYS},
            "reduction": state["purchase_price"]["reduction"],
        },
        "escrow": {k: state["escrow"][k] for k in ("surrendered_shares", "balance_shares")},
        **{side: {k: state["indemnity"][side][k] for k in SIDE_KEYS} for side in ("buyer", "sellers")},
        "survival_2_11": next(
            {k: r[k] for k in ("status", "expires_on")} for r in state["survival"] if r["section"] == "2.11"
        ),
    }


@pytest.mark.parametrize("history", HISTORIES, ids=lambda h: h.name)
def test_ledger_matches_the_oracle_at_every_date(history: History, tmp_path: Path) -> None:
    """1.5(b)-(c), 8.1(b)-(c): every figure the oracle derives from the text equals the ledger's."""
    ledger = new_ledger(tmp_path / "l.sqlite")
    ledger.apply(*history.facts)
    events = ledger.store.load(ledger.agreement_id).events
    from projections.state import project

    for as_of in history.as_of:
        day = date.fromisoformat(as_of)
        got = ledger_figures(project(events, day).model_dump(mode="json"))
        assert got == oracle.figures(history.facts, day), f"{history.name} as of {as_of}"


def test_oracle_reproduces_the_design_reference_settlement() -> None:
    """reference figures (docs/readings.md): A = 32,143, D = 486,051.47, N = 430,000, M = 28,436, 3,707 cancelled."""
    from tests.ledger import closed, reference_bp

    facts = [*closed(), *reference_bp()]
    earnout = oracle.earnout(facts, date(2004, 3, 30))
    bp = earnout["bp_event"]
    assert (bp["undelivered_shares"], bp["months"], bp["settlement_shares"]) == (32143, 6, 28436)
    assert (bp["assumed_margin_total"], bp["capped_margin"]) == ("486051.47", "430000.00")
    assert (earnout["cancelled_shares"], earnout["reduction"]) == (3707, "37070.00")
