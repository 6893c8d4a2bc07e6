"""Varied histories of the APA for the oracle comparison and the JSONL scenarios.

Each history is a list of facts (as a user would import them) with the dates at
which its state is compared; built by small functions, not giant literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.ledger import claim, fact, margin, resolve, signed

MONTHS = [f"2003-{m:02d}" for m in range(1, 13)] + ["2004-01", "2004-02"]


@dataclass(frozen=True)
class History:
    name: str
    facts: list[dict[str, Any]]
    as_of: tuple[str, ...]


def margins(first: str, amounts: list[str], last: str = "2004-02") -> list[dict[str, Any]]:
    """Gross Margin reports for consecutive months from ``first`` (cycling ``amounts``)."""
    months = ["2002-12", *MONTHS]
    chosen = months[months.index(first) : months.index(last) + 1]
    return [margin(m, amounts[i % len(amounts)]) for i, m in enumerate(chosen)]


def closing(on: str, extend_to: str | None = None) -> list[dict[str, Any]]:
    extra = [fact("ClosingDeadlineExtended", "2003-05-30", new_deadline=extend_to)] if extend_to else []
    return [*signed(), *extra, fact("ClosingOccurred", on)]


YEAR_END = ("2002-12-31", "2003-01-01", "2003-06-30", "2003-12-31", "2004-02-29", "2004-03-01")
SETTLEMENT = ("2004-03-29", "2004-03-30", "2004-03-31", "2004-12-31")

HISTORIES = [
    History("closing-2003-01-01-no-bp", closing("2003-01-01"), (*YEAR_END, "2003-01-31", "2003-02-01")),
    History(
        "closing-2002-12-20-no-bp",
        closing("2002-12-20"),
        (*YEAR_END, "2002-12-20", "2003-02-01", "2004-01-31", "2004-02-01"),
    ),
    History(
        "closing-2002-12-20-bp-a-january-2003",
        [
            *closing("2002-12-20"),
            *margins("2002-12", ["90000.00", "85000.00"], last="2003-01"),
            fact("BPEventDeclared", "2003-01-15", clause="a"),
            *margins("2003-02", ["40000.00"]),
        ],
        ("2002-12-31", "2003-01-01", "2003-01-15", "2003-02-01", *SETTLEMENT),
    ),
    History(
        "closing-2003-02-01-bp-b-first-of-month",
        [
            *closing("2003-02-01"),
            *margins("2003-01", ["101234.56", "99876.54", "98765.43"], last="2003-05"),
            fact("BPEventDeclared", "2003-06-01", clause="b"),
            *margins("2003-06", ["81234.56", "79876.54", "78765.43"]),
        ],
        ("2003-02-01", "2003-05-31", "2003-06-01", "2003-06-02", "2004-03-05", *SETTLEMENT),
    ),
    History(
        "closing-2003-07-31-bp-a-same-day-missing-months",
        [
            *closing("2003-07-31", extend_to="2003-08-31"),
            *margins("2003-01", ["88000.10"], last="2003-07"),
            fact("BPEventDeclared", "2003-07-31", clause="a"),
            *margins("2003-07", ["70000.01", "0.99"], last="2003-11"),
            margin("2004-01", "50000.00"),
        ],
        ("2003-07-30", "2003-07-31", "2003-08-01", "2004-03-30", "2004-12-31"),
    ),
    History(
        "closing-2004-05-01-bp-before-closing",
        [
            *closing("2004-05-01", extend_to="2004-06-30"),
            *margins("2003-01", ["100000.00", "90000.00"], last="2003-08"),
            fact("BPEventDeclared", "2003-09-15", clause="a"),
            *margins("2003-09", ["80000.00", "75000.00", "70000.00", "72000.00", "68000.00", "65000.00"]),
        ],
        ("2003-09-15", "2004-03-30", "2004-04-30", "2004-05-01", "2004-12-31"),
    ),
    History(
        "closing-2004-05-01-no-bp",
        closing("2004-05-01", extend_to="2004-06-30"),
        ("2004-03-01", "2004-04-30", "2004-05-01"),
    ),
    History(
        "deemed-event-clause-c",
        [
            *closing("2003-04-10"),
            *margins("2003-01", ["95000.00", "94000.50"], last="2003-07"),
            *margins("2003-08", ["85000.00", "74000.50", "79999.99"]),
            fact("DeemedEventAgreed", "2003-05-01", promotion_implemented_on="2003-03-15", deemed_on="2003-08-15"),
        ],
        ("2003-05-01", "2003-08-01", "2003-08-14", "2003-08-15", "2003-09-01", *SETTLEMENT),
    ),
    History(
        "n-above-d-is-capped",
        [
            *closing("2003-04-10"),
            *margins("2003-01", ["60000.00"], last="2003-10"),
            fact("BPEventDeclared", "2003-11-03", clause="b"),
            *margins("2003-11", ["90000.00"]),
        ],
        ("2003-11-03", "2004-03-30"),
    ),
    History(
        "bp-january-2003-before-closing",
        [
            *closing("2003-04-10"),
            fact("BPEventDeclared", "2003-01-20", clause="b"),
            *margins("2002-12", ["120000.00", "80000.00", "-1500.25", "39000.75"]),
        ],
        ("2003-01-20", "2003-04-10", "2003-12-31", *SETTLEMENT),
    ),
    History(
        "bp-on-last-day-and-corrected-margin",
        [
            *closing("2003-04-10"),
            *margins("2003-01", ["100000.00"], last="2004-01"),
            fact("BPEventDeclared", "2004-02-29", clause="a"),
            margin("2004-02", "1000.00", on="2004-03-02"),
            margin("2004-02", "91000.37", on="2004-03-20"),
        ],
        ("2004-02-28", "2004-02-29", "2004-03-01", "2004-03-19", *SETTLEMENT),
    ),
    History(
        "deemed-event-then-an-earlier-clause-a-event",
        [
            *closing("2003-04-10"),
            *margins("2003-01", ["95000.00", "91000.00"], last="2003-08"),
            fact("DeemedEventAgreed", "2003-05-01", promotion_implemented_on="2003-05-15", deemed_on="2003-10-31"),
            fact("BPEventDeclared", "2003-09-15", clause="a"),
            *margins("2003-09", ["85000.00", "74000.50", "79999.99"]),
        ],
        ("2003-09-14", "2003-09-15", "2003-10-01", "2003-10-31", "2003-11-01", *SETTLEMENT),
    ),
    History(
        "terminated-after-a-bp-event",
        [
            *signed(),
            fact("BPEventDeclared", "2003-03-03", clause="b"),
            fact("AgreementTerminated", "2003-06-01", reason="deadline"),
        ],
        ("2003-03-03", "2003-05-31", "2003-06-01", *SETTLEMENT),
    ),
    History(
        "tax-claims-on-the-statute-date-and-in-the-tail",
        [
            *closing("2003-04-10"),
            fact("TaxLimitationPeriodRecorded", "2004-02-01", expires_on="2006-09-15"),
            claim("T1", "2006-09-15", "5000.00", sections=["2.11"]),
            resolve("T1", "2007-02-10", "5000.00"),
            claim("T2", "2007-05-09", "1000.00", sections=["2.11"]),
            resolve("T2", "2007-06-30", "1000.00"),
        ],
        ("2006-09-15", "2006-09-16", "2007-02-10", "2007-05-09", "2007-05-10", "2007-09-29", "2007-09-30"),
    ),
    History(
        "offset-and-surrender-together",
        [
            *closing("2003-04-10"),
            claim("B0", "2003-06-01", "20000.00"),
            resolve("B0", "2003-07-01", "20000.00"),
            claim("B1", "2003-12-01", "30000.00"),
            fact("PaymentDue", "2004-01-15", payment_id="P1", amount="50000.00"),
            fact("PaymentWithheld", "2004-01-15", payment_id="P1", amount="25000.00"),
            fact("EscrowReleased", "2003-05-01", shares=24000),
            resolve("B1", "2005-01-15", "28000.05"),
        ],
        ("2003-05-01", "2004-01-15", "2005-01-14", "2005-01-15", "2005-01-20"),
    ),
    History(
        "the-issue-example-offset-not-surrender",
        [
            *closing("2003-04-10"),
            claim("B1", "2003-12-01", "30000.00"),
            fact("PaymentDue", "2004-01-15", payment_id="P1", amount="50000.00"),
            fact("PaymentWithheld", "2004-01-15", payment_id="P1", amount="30000.00"),
            resolve("B1", "2005-01-15", "28000.00"),
            fact("WithheldPaymentReleased", "2005-01-15", payment_id="P1", amount="2000.00"),
        ],
        ("2004-01-15", "2005-01-14", "2005-01-15", "2005-01-16"),
    ),
    History(
        "claims-allowance-cap-and-fraction",
        [
            *closing("2003-04-10"),
            claim("B1", "2003-05-01", "15000.00"),
            resolve("B1", "2003-06-01", "15000.00"),
            claim("B2", "2003-06-15", "10000.00", sections=["2.7"]),
            resolve("B2", "2003-07-01", "10000.00"),
            claim("B3", "2003-07-15", "5.01", sections=["2.13"]),
            resolve("B3", "2003-08-01", "5.01"),
            claim("S1", "2003-08-15", "30000.00", sections=["3.5"], claimant="sellers"),
            resolve("S1", "2003-09-01", "26000.50"),
            claim("B4", "2004-01-10", "300000.00", sections=["2.12", "8.1(a)(iii)"]),
            resolve("B4", "2004-06-01", "240000.00"),
        ],
        ("2003-06-01", "2003-07-01", "2003-08-01", "2003-09-01", "2004-05-31", "2004-06-01"),
    ),
]
