"""The headline figures of an agreement: one mapping from ``state --json`` to the read model.

Each headline column is a figure of ``state --json`` named by its path there; the column's
name is that path joined with "_", less the group names that only say where the figure
lives (``earnout.released_shares`` is ``released_shares``, ``indemnity.buyer.payable`` is
``buyer_payable``), and a money column ends in ``_cents``: whole cents, INTEGER in SQL
(``buyer_payable_cents``). ``state_timeline`` (``projections.read_model``), the part-by-part walk
(``projections.changes``), the whole-state timeline (``projections.timeline``) and the tests
read the figures through this mapping only, so a new figure is one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.values import format_money, money_cents

Path = tuple[str, ...]

HEADLINE: tuple[Path, ...] = (
    ("status",),
    ("earnout", "released_shares"),
    ("earnout", "cancelled_shares"),
    ("earnout", "pending_shares"),
    ("earnout", "delivered_shares"),
    ("escrow", "balance_shares"),
    ("escrow", "reserved_shares"),
    ("escrow", "available_shares"),
    ("escrow", "surrendered_shares"),
    ("escrow", "released_shares"),
    ("indemnity", "buyer", "pending_losses"),
    ("indemnity", "buyer", "resolved_losses"),
    ("indemnity", "buyer", "payable"),
    ("indemnity", "buyer", "cash_due"),
    ("indemnity", "sellers", "pending_losses"),
    ("indemnity", "sellers", "payable"),
    ("indemnity", "sellers", "cash_due"),
    ("purchase_price", "reduction"),
    ("offset", "withheld_outstanding"),
)
"""The headline figures, each by its path in ``state --json``, in the columns' order."""

_PLACES = frozenset({"earnout", "indemnity", "offset"})
"""Groups of ``state --json`` whose figures' names say enough without them."""

MONEY_FIGURES: frozenset[Path] = frozenset(
    path for path in HEADLINE if path[-1].endswith(("_losses", "payable", "cash_due", "reduction", "_outstanding"))
)
"""The headline figures that are money (Decimal in ``state``, two-place strings in its JSON)."""


def figure_name(path: Path) -> str:
    """The figure at ``path`` of ``state --json`` named as the headline names it."""
    return "_".join(part for part in path if part not in _PLACES)


def column(path: Path) -> str:
    """The read model's column for the figure at ``path``: money in whole cents (``_cents``)."""
    return figure_name(path) + ("_cents" if path in MONEY_FIGURES else "")


FIGURE_NAMES: tuple[str, ...] = tuple(figure_name(path) for path in HEADLINE)
HEADLINE_COLUMNS: tuple[str, ...] = tuple(column(path) for path in HEADLINE)
MONEY_COLUMNS: frozenset[str] = frozenset(column(path) for path in MONEY_FIGURES)
_MONEY_AT = tuple(path in MONEY_FIGURES for path in HEADLINE)


def _at(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return value


def headline_of(state: Any) -> dict[str, Any]:
    """The headline figures of a state by their names: an ``AgreementState``, its
    ``model_dump(mode="json")``, or any tree of objects and mappings with the same paths.
    Money as two-place strings, as ``state --json`` writes it."""
    row = {}
    for path, name in zip(HEADLINE, FIGURE_NAMES, strict=True):
        value = _at(state, path)
        row[name] = format_money(value) if isinstance(value, Decimal) else value
    return row


def headline_row(state: Any) -> dict[str, Any]:
    """The ``state_timeline`` row of a state (the same trees as ``headline_of``): money in
    whole cents (``domain.values.money_cents``), every other figure as it is."""
    return {
        name: money_cents(_at(state, path)) if money else _at(state, path)
        for path, name, money in zip(HEADLINE, HEADLINE_COLUMNS, _MONEY_AT, strict=True)
    }
