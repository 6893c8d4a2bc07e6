"""The shape of an explanation and the small helpers every explainer shares (pure)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from projections.cited import Cited
from projections.clause_text import QUOTES
from projections.facts import Facts

CENT = Decimal("0.01")


class Explanation(BaseModel):
    """How one figure of the state is derived: the formula with its numbers, the clause, a
    short quotation of the agreement, and the positions of the events it rests on."""

    model_config = ConfigDict(frozen=True)

    figure: str
    value: Any
    formula: str
    clause: str
    text: str
    positions: list[int]


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
