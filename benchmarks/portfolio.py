"""A synthetic portfolio: agreements on this APA's terms with realistic, valid histories.

Each agreement's history is built in code as JSON Lines facts (no I/O, no
validation), deterministic from a seed: signing and escrow (1.4, 8.1(c)), the
closing conditions and Closing (6.1, 1.5), monthly Gross Margin reports with
revisions (1.5(b)), a BP Event for one agreement in three, Earnout Share
deliveries, indemnity claims asserted, revised, resolved or withdrawn (8.1-8.4,
7.3), payments due (8.6), a tax statute date (7.3(ii)), a retraction and,
once the claims are closed, escrow releases. About 150 events an agreement.

`python -m benchmarks.portfolio DIR [--agreements N]` (``write_files``) writes the
portfolio as `apa-ledger import` reads it, to import it into stores by hand.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CONDITIONS = ("6.1(a)", "6.1(b)", "6.1(c)", "6.1(d)", "6.1(e)", "6.1(f)", "6.1(g)")
MONTHS = ["2002-12", *(f"2003-{m:02d}" for m in range(1, 13)), "2004-01", "2004-02"]
BUYER_SECTIONS = ("2.4", "2.5", "2.7", "2.9", "2.12", "2.13", "2.14", "2.16")
SELLER_SECTIONS = ("3.3", "3.5", "3.6", "3.7")


def agreement_ids(count: int) -> list[str]:
    return [f"APA-{i:05d}" for i in range(count)]


def _fact(kind: str, on: date, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "occurred_on": on.isoformat(), **fields}


def _first_of_next(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:])
    return date(year + mon // 12, mon % 12 + 1, 1)


def _amount(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low * 100, high * 100) / 100:.2f}"


def history(index: int, claims: int = 20, revisions: int = 2) -> list[dict[str, Any]]:
    """One agreement's facts, in occurred_on order (so a batch never needs a back-dated refold)."""
    rng = random.Random(index)
    signing = date(2002, 12, 6)
    closing = date(2003, 2, 1) + timedelta(days=rng.randint(0, 100))  # before the 7.1 deadline
    facts = [_fact("EffectiveDateReached", signing), _fact("EscrowDeposited", signing, shares=25000)]
    facts += [
        _fact("ClosingConditionSatisfied", signing + timedelta(days=5 + 7 * i), condition=c)
        for i, c in enumerate(CONDITIONS)
    ]
    facts.append(_fact("ClosingOccurred", closing))
    base = rng.randint(80_000, 120_000)
    for month in MONTHS:  # Gross Margin: reported after the month ends, then revised
        reported = _first_of_next(month) + timedelta(days=rng.randint(2, 10))
        for r in range(1 + revisions):
            amount = _amount(rng, base * 7 // 10, base * 11 // 10)
            later = reported + timedelta(days=20 * r if revisions < 10 else r)
            facts.append(_fact("GrossMarginReported", later, month=month, amount=amount))
    if index % 3 == 0:
        facts.append(
            _fact("BPEventDeclared", date(2003, 6, 1) + timedelta(days=rng.randint(0, 180)), clause=rng.choice("ab"))
        )
    for k in range(10):  # CRS deliveries, well inside what is released at Closing (1.5(b))
        facts.append(_fact("EarnoutSharesDelivered", closing + timedelta(days=1 + 30 * k), shares=500))
    facts.append(_fact("TaxLimitationPeriodRecorded", closing + timedelta(days=40), expires_on="2008-04-15"))
    facts += _claims(rng, closing, claims)
    for k in range(4):
        facts.append(
            _fact(
                "PaymentDue",
                closing + timedelta(days=90 * (k + 1)),
                payment_id=f"P{k + 1}",
                amount=_amount(rng, 5_000, 20_000),
            )
        )
    last = max(date.fromisoformat(f["occurred_on"]) for f in facts)
    for k in range(5):  # Escrow Agreement: release unreserved shares once the claims are closed
        facts.append(_fact("EscrowReleased", last + timedelta(days=30 * (k + 1)), shares=1000))
    facts.sort(key=lambda f: f["occurred_on"])
    retract_at = next(i for i, f in enumerate(facts) if f["type"] == "GrossMarginReported") + 2
    facts.append(
        _fact(
            "EventRetracted",
            date.fromisoformat(facts[-1]["occurred_on"]),
            event_id=retract_at + 2,
            reason="reported against the wrong month",
        )
    )
    return facts


def _claims(rng: random.Random, closing: date, count: int) -> list[dict[str, Any]]:
    """Claims asserted within the 7.3 survival period, each revised and then closed."""
    facts = []
    for n in range(count):
        buyer = n % 4 != 3
        asserted = closing + timedelta(days=30 + 30 * n)
        claim_id = f"C{n + 1}"
        sections = [rng.choice(BUYER_SECTIONS if buyer else SELLER_SECTIONS)]
        amount = rng.randint(2_000, 12_000)
        facts.append(
            _fact(
                "ClaimAsserted",
                asserted,
                claim_id=claim_id,
                claimant="buyer" if buyer else "sellers",
                sections=sections,
                amount=f"{amount}.00",
            )
        )
        facts.append(
            _fact("ClaimRevised", asserted + timedelta(days=10), claim_id=claim_id, amount=f"{amount - 500}.00")
        )
        closed_on = asserted + timedelta(days=20)
        if n % 5 == 4:
            facts.append(_fact("ClaimWithdrawn", closed_on, claim_id=claim_id))
        else:
            facts.append(_fact("ClaimResolved", closed_on, claim_id=claim_id, amount=f"{amount - 1000}.00"))
    return facts


def jsonl(facts: list[dict[str, Any]]) -> bytes:
    """A line a fact, each ended by a newline (so that a line appended later starts a line)."""
    return "".join(json.dumps(f) + "\n" for f in facts).encode()


def revisions_for(events: int) -> int:
    """Gross Margin revisions per month that make a history of about ``events`` events
    (15 months reported; the rest of a history is about 105 events)."""
    return max(0, round((events - 105) / 15) - 1)


def write_files(directory: Path, count: int) -> list[str]:
    """The first ``count`` agreements as `apa-ledger import` reads them, one AGREEMENT_ID.jsonl
    each in ``directory`` (made if missing); returns their ids."""
    directory.mkdir(parents=True, exist_ok=True)
    ids = agreement_ids(count)
    for index, agreement_id in enumerate(ids):
        (directory / f"{agreement_id}.jsonl").write_bytes(jsonl(history(index)))
    return ids


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.portfolio DIR [--agreements N]`: the benchmark's portfolio as files."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.portfolio", description=main.__doc__)
    parser.add_argument("directory", type=Path, help="where to write AGREEMENT_ID.jsonl files")
    parser.add_argument("--agreements", type=int, default=1000, help="how many (default 1000)")
    args = parser.parse_args(argv)
    ids = write_files(args.directory, args.agreements)
    print(f"wrote {len(ids)} agreements' files to {args.directory}")


if __name__ == "__main__":
    main()
