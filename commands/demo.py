"""The main job: a realistic history of the APA in a fresh store, and its state over time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from commands.api import Ledger
from commands.cli.render import render_state
from commands.store.application import describe_store
from domain.dates import first_of_next_month, month_sequence

AGREEMENT_ID = "APA-2002-12-06"

# Monthly Gross Margin under the BP Agreement, December 2002 - February 2004.
MARGINS = [
    "104500.00",
    "100000.00",
    "98250.00",
    "97400.00",
    "95120.00",
    "94010.00",
    "92500.00",
    "91000.00",
    "90000.00",
    "80000.00",
    "75000.00",
    "70000.00",
    "72000.00",
    "68000.00",
    "65000.00",
]


def fact(kind: str, on: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "occurred_on": on, **fields}


def demo_history() -> list[dict[str, Any]]:
    """Effective Date, escrow, closing conditions, Closing on 2003-04-10, margins, a BP Event,
    claims on both sides (one resolved above the Allowance), an 8.6 withholding, a release."""
    facts = [
        fact("EffectiveDateReached", "2002-12-06"),
        fact("EscrowDeposited", "2002-12-06", shares=25000),
        *(fact("ClosingConditionSatisfied", "2003-04-07", condition=f"6.1({c})") for c in "abcdefg"),
        fact("ClosingOccurred", "2003-04-10"),
    ]
    for month, amount in zip(month_sequence("2002-12", len(MARGINS)), MARGINS, strict=True):
        reported = first_of_next_month(month).replace(day=5).isoformat()
        facts.append(fact("GrossMarginReported", reported, month=month, amount=amount))
    facts += [
        fact("BPEventDeclared", "2003-09-15", clause="a"),
        fact(
            "ClaimAsserted",
            "2003-06-02",
            claim_id="C1",
            claimant="buyer",
            sections=["2.14"],
            basis="Assigned contract with a carrier was not assignable",
            amount="15000.00",
        ),
        fact("ClaimResolved", "2003-08-01", claim_id="C1", amount="15000.00"),
        fact(
            "ClaimAsserted",
            "2004-01-15",
            claim_id="C2",
            claimant="buyer",
            sections=["2.7"],
            basis="Undisclosed liability after the balance sheet date",
            amount="30000.00",
        ),
        fact("PaymentDue", "2004-01-31", payment_id="DIV-2004Q1", amount="40000.00"),
        fact("PaymentWithheld", "2004-01-31", payment_id="DIV-2004Q1", amount="30000.00"),
        fact("ClaimResolved", "2004-03-01", claim_id="C2", amount="27500.00"),
        fact("WithheldPaymentReleased", "2004-03-15", payment_id="DIV-2004Q1", amount="2500.00"),
        fact("EarnoutSharesDelivered", "2004-04-15", shares=71293),
        fact(
            "ClaimAsserted",
            "2004-05-10",
            claim_id="S1",
            claimant="sellers",
            sections=["3.5"],
            basis="Undisclosed proceeding against Buyer",
            amount="10000.00",
        ),
        fact("ClaimWithdrawn", "2004-07-01", claim_id="S1"),
        fact(
            "ClaimAsserted",
            "2005-02-01",
            claim_id="C3",
            claimant="buyer",
            sections=["2.11"],
            basis="State sales tax assessment for 2002",
            amount="40000.00",
        ),
        fact("TaxLimitationPeriodRecorded", "2005-03-01", expires_on="2006-04-15"),
        fact("EscrowReleased", "2005-04-15", shares=10000),
    ]
    return facts


def summary(state: Any) -> str:
    e, x, b = state.earnout, state.escrow, state.indemnity.buyer
    return (
        f"{state.as_of}  earnout released {e.released_shares:>6}  cancelled {e.cancelled_shares:>5}  "
        f"pending {e.pending_shares:>6} | escrow balance {x.balance_shares:>6} reserved {x.reserved_shares:>5} "
        f"| buyer payable {b.payable:>10}"
    )


def run_demo(path: str, echo: Callable[[str], None]) -> None:
    """Build the demo store afresh and print the state at the dates people ask about."""
    if "://" not in path:
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    ledger = Ledger.open(path)
    ledger.register(AGREEMENT_ID)
    outcome = ledger.apply(AGREEMENT_ID, demo_history())
    events = ledger.events(AGREEMENT_ID)
    echo(f"Built {AGREEMENT_ID}: {len(events)} events ({len(outcome.appended)} from one all-or-nothing import).")
    echo("")
    dates = {
        "2003-12-31": "year end 2003",
        "2004-03-31": "the day after the BP settlement (M due 2004-03-30)",
        "2004-12-31": "year end 2004",
        "2005-04-10": "the survival cut-off, two years after Closing (7.3)",
    }
    for day, why in dates.items():
        echo(f"-- {why}")
        echo(summary(ledger.state(AGREEMENT_ID, day)))
    echo("")
    echo(render_state(ledger.state(AGREEMENT_ID, "2005-04-10")))
    where = describe_store(path)
    echo("")
    echo(f"The store is {where}. Try next (after `source .venv/bin/activate`, or as .venv/bin/apa-ledger):")
    echo(f"  apa-ledger --store {where} state {AGREEMENT_ID} --as-of 2004-03-31 --json")
    echo(f"  apa-ledger --store {where} explain {AGREEMENT_ID} earnout.bp_event.settlement_shares --as-of 2004-03-31")
    echo(f"  apa-ledger --store {where} history {AGREEMENT_ID}")
    echo(f"  apa-ledger --store {where} report {AGREEMENT_ID} --as-of 2004-06-30 --out report.html")
    echo(f"  apa-ledger --store {where} verify")
