"""Small helpers that build histories for tests: a settable clock, facts, a store, a query."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from commands.handlers import Outcome, apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.store.application import LedgerStore, open_store
from domain.terms import Terms
from projections.models import AgreementState
from projections.state import project

AGREEMENT = "APA"
REFERENCE_MARGINS = {  # reference figures (docs/readings.md): September 2003 - February 2004
    "2003-09": "80000",
    "2003-10": "75000",
    "2003-11": "70000",
    "2003-12": "72000",
    "2004-01": "68000",
    "2004-02": "65000",
}


@dataclass
class Clock:
    """The store's clock in tests: advances one second per reading unless set."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def set(self, moment: str) -> None:
        self.now = datetime.fromisoformat(moment.replace("Z", "+00:00"))


def fact(kind: str, on: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "occurred_on": on, **fields}


def to_jsonl(*facts: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(f) for f in facts).encode()


def write_portfolio(directory: Path, portfolio: dict[str, list[dict[str, Any]]]) -> Path:
    """``portfolio`` (agreement id -> facts) as `apa-ledger import` reads it: AGREEMENT_ID.jsonl each."""
    directory.mkdir(exist_ok=True)
    for agreement_id, facts in portfolio.items():
        (directory / f"{agreement_id}.jsonl").write_bytes(to_jsonl(*facts))
    return directory


def margin(month: str, amount: str, on: str | None = None) -> dict[str, Any]:
    """A Gross Margin report, by default on the 5th of the following month."""
    year, mon = int(month[:4]), int(month[5:])
    reported = on or (date(year + mon // 12, mon % 12 + 1, 5)).isoformat()
    return fact("GrossMarginReported", reported, month=month, amount=amount)


def claim(
    claim_id: str, on: str, amount: str, sections: list[str] | None = None, claimant: str = "buyer"
) -> dict[str, Any]:
    return fact("ClaimAsserted", on, claim_id=claim_id, claimant=claimant, sections=sections or ["2.14"], amount=amount)


def resolve(claim_id: str, on: str, amount: str) -> dict[str, Any]:
    return fact("ClaimResolved", on, claim_id=claim_id, amount=amount)


def signed() -> list[dict[str, Any]]:
    """Effective Date and the escrow deposit (1.4, 8.1(c))."""
    return [fact("EffectiveDateReached", "2002-12-06"), fact("EscrowDeposited", "2002-12-06", shares=25000)]


def closed(on: str = "2003-04-10") -> list[dict[str, Any]]:
    return [*signed(), fact("ClosingOccurred", on)]


def reference_bp() -> list[dict[str, Any]]:
    """The reference BP Event (docs/readings.md): GM Jan 100,000, Aug 90,000, clause (a) on 2003-09-15."""
    return [
        margin("2003-01", "100000.00"),
        margin("2003-08", "90000.00"),
        fact("BPEventDeclared", "2003-09-15", clause="a"),
        *(margin(m, a) for m, a in REFERENCE_MARGINS.items()),
    ]


@dataclass
class OneAgreement:
    """A store with one agreement, and shortcuts to apply facts and query state."""

    store: LedgerStore
    path: Path
    clock: Clock
    agreement_id: str = AGREEMENT
    url: str = ""  # the store as --store takes it (a SQLite path or a postgresql:// URL)

    def apply(self, *facts: dict[str, Any]) -> Outcome:
        return apply_facts(self.store, self.agreement_id, parse_jsonl(to_jsonl(*facts)))

    def state(self, as_of: str, known_at: datetime | None = None) -> AgreementState:
        return project(self.store.load(self.agreement_id).events, date.fromisoformat(as_of), known_at)

    def json(self, as_of: str, known_at: datetime | None = None) -> dict[str, Any]:
        return self.state(as_of, known_at).model_dump(mode="json")

    def events(self) -> list[Any]:
        return list(self.store.load(self.agreement_id).events)


def new_ledger(path: Path, terms: Terms | None = None, url: str | None = None) -> OneAgreement:
    clock = Clock()
    store = open_store(url or str(path), clock=clock)
    register_agreement(store, AGREEMENT, terms)
    return OneAgreement(store=store, path=path, clock=clock, url=url or str(path))
