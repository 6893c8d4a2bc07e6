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

from collections.abc import Callable, Mapping
from decimal import Decimal
from operator import attrgetter, itemgetter
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
    ("indemnity", "buyer", "offset"),
    ("indemnity", "buyer", "shares_due_outside_escrow"),
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
    path
    for path in HEADLINE
    if path[-1].endswith(("_losses", "payable", "offset", "cash_due", "reduction", "_outstanding"))
)
"""The headline figures that are money (Decimal in ``state``, two-place strings in its JSON)."""


def figure_name(path: Path) -> str:
    """The figure at ``path`` of ``state --json`` named as the headline names it."""
    return "_".join([*(part for part in path[:-1] if part not in _PLACES), path[-1]])  # a figure keeps its name


def column(path: Path) -> str:
    """The read model's column for the figure at ``path``: money in whole cents (``_cents``)."""
    return figure_name(path) + ("_cents" if path in MONEY_FIGURES else "")


FIGURE_NAMES: tuple[str, ...] = tuple(figure_name(path) for path in HEADLINE)
HEADLINE_COLUMNS: tuple[str, ...] = tuple(column(path) for path in HEADLINE)
MONEY_COLUMNS: frozenset[str] = frozenset(column(path) for path in MONEY_FIGURES)


def _step(value: Any, part: str) -> Any:
    """One step down a path: a mapping's item or an object's attribute."""
    return value[part] if isinstance(value, Mapping) else getattr(value, part)


PARTS: tuple[Path, ...] = tuple(dict.fromkeys(path[:-1] for path in HEADLINE))
"""Where the headline figures live (each path less its figure's own name: ``()`` for the
status, ``("indemnity", "buyer")``, ...), in the columns' order: a part's columns are together."""
_FIGURES: dict[Path, tuple[tuple[str, str, str, bool], ...]] = {
    part: tuple(
        (path[-1], figure_name(path), column(path), path in MONEY_FIGURES) for path in HEADLINE if path[:-1] == part
    )
    for part in PARTS
}
"""Per part: each of its figures' key there, name, column and whether it is money."""
assert [c for p in PARTS for *_, c, _ in _FIGURES[p]] == list(HEADLINE_COLUMNS), "a part's columns are apart"


_GET: dict[Path, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    part: (
        itemgetter(*(key for key, *_ in figures)) if len(figures) > 1 else lambda m, k=figures[0][0]: (m[k],),
        attrgetter(*(key for key, *_ in figures)) if len(figures) > 1 else lambda o, k=figures[0][0]: (getattr(o, k),),
    )
    for part, figures in _FIGURES.items()
}
"""Per part: its figures' values in one call, as a tuple, from a mapping and from an object."""
_MAPPINGS: dict[type, bool] = {}


def part_values(part: Path, figures: Any) -> tuple[Any, ...]:
    """The part's figures from what holds them, in its columns' order (a mapping's items or an
    object's attributes; which one is asked once per type)."""
    mapping = _MAPPINGS.get(type(figures))
    if mapping is None:
        mapping = _MAPPINGS[type(figures)] = isinstance(figures, Mapping)
    return _GET[part][0 if mapping else 1](figures)


def _part_of(state: Any, part: Path) -> Any:
    for key in part:
        state = _step(state, key)
    return state


def headline_of(state: Any) -> dict[str, Any]:
    """The headline figures of a state by their names: an ``AgreementState``, its
    ``model_dump(mode="json")``, or any tree of objects and mappings with the same paths.
    Money as two-place strings, as ``state --json`` writes it."""
    row = {}
    for part in PARTS:
        for (_, name, _, money), value in zip(_FIGURES[part], part_values(part, _part_of(state, part)), strict=True):
            row[name] = format_money(value) if money and isinstance(value, Decimal) else value
    return row


_CENTS: dict[Decimal | str, int] = {}
"""Amounts already turned into cents: a portfolio's walk meets the same few amounts at most of
its change points (zero above all), and a lookup costs a tenth of the conversion."""


def _cents(amount: Decimal | str) -> int:
    """``domain.values.money_cents``, remembered (equal amounts have equal cents)."""
    cents = _CENTS.get(amount)
    if cents is None:
        if len(_CENTS) >= 1 << 16:  # bounded, for a long-running export
            _CENTS.clear()
        cents = _CENTS[amount] = money_cents(amount)
    return cents


def headline_part(part: Path, figures: Any) -> dict[str, Any]:
    """The ``state_timeline`` columns of the figures of one part (``PARTS``), from what holds
    them in a state (``state.escrow``, its JSON, or a mapping with the same keys): money in whole
    cents (``domain.values.money_cents``), every other figure as it is. The part-by-part walk
    works a part's columns out when its figures change and joins them (``headline_row`` is
    every part of one state)."""
    return part_columns(part, part_values(part, figures))


def part_columns(part: Path, values: tuple[Any, ...]) -> dict[str, Any]:
    """``headline_part`` from the part's figures as ``part_values`` reads them: the walk compares
    those first and works the columns out only for a part whose figures changed."""
    figures = zip(_FIGURES[part], values, strict=True)
    return {column: _cents(value) if money else value for (_, _, column, money), value in figures}


def headline_row(state: Any) -> dict[str, Any]:
    """The ``state_timeline`` row of a state (the same trees as ``headline_of``): money in
    whole cents (``domain.values.money_cents``), every other figure as it is."""
    row: dict[str, Any] = {}
    for part in PARTS:
        row.update(headline_part(part, _part_of(state, part)))
    return row
