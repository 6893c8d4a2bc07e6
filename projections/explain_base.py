"""The shape of an explanation and the small helpers every explainer shares (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.events import Evidence, LedgerEvent
from projections.cited import Cited
from projections.clause_text import QUOTES
from projections.facts import Facts

CENT = Decimal("0.01")


class Source(BaseModel):
    """An event a figure rests on, with its provenance: when and by whom it was recorded, and
    the documents it was recorded on (``commands.provenance``)."""

    model_config = ConfigDict(frozen=True)

    position: int
    type: str
    recorded_at: datetime
    recorded_by: str | None  # None: recorded before the ledger kept who recorded a fact
    evidence: list[Evidence]


class Explanation(BaseModel):
    """How one figure of the state is derived: the formula with its numbers, the clause, a
    short quotation of the agreement, the positions of the events it rests on and (``explain``)
    those events' provenance."""

    model_config = ConfigDict(frozen=True)

    figure: str
    value: Any
    formula: str
    clause: str
    text: str
    positions: list[int]
    sources: list[Source] = []

    def with_sources(self, events: Sequence[LedgerEvent]) -> Explanation:
        """This explanation with the provenance of each event it cites."""
        cited = set(self.positions)
        found = [
            Source(
                position=e.position,
                type=e.type,
                recorded_at=e.recorded_at,
                recorded_by=e.recorded_by or None,
                evidence=list(e.evidence),
            )
            for e in events
            if e.position in cited
        ]
        return self.model_copy(update={"sources": found})


def num(value: Decimal | int | None) -> str:
    """A number as the agreement's arithmetic sees it: money with its cents, exact decimals
    (such as D) with every significant digit and no trailing zeros."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if value == value.quantize(CENT):
        return f"{value.quantize(CENT):f}"
    return f"{value.normalize():f}"


def cite(facts: Facts, *keys: str) -> list[int]:
    """Positions the figure rests on, from ``facts.sources``; a key ending in ":" takes every
    source with that prefix (e.g. "claim:" for all claims)."""
    positions: set[int] = set()
    for key in keys:
        Cited.of_key(key)  # ValueError for a name the fold never cites (a typo would match nothing)
        if key.endswith(":"):
            for name, found in facts.sources.items():
                if name.startswith(key):
                    positions.update(found)
        else:
            positions.update(facts.sources.get(key, ()))
    return sorted(positions)


def explained(figure: str, formula: str, clause: str, quote: str, positions: list[int]) -> Explanation:
    """An explanation whose quotation is looked up by ``quote`` in the clause texts (the value
    is filled in from ``state --json`` when the explanations are composed)."""
    return Explanation(
        figure=figure, value=None, formula=formula, clause=clause, text=QUOTES[quote], positions=positions
    )
