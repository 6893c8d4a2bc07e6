"""What the ledger's two recorders share: the tail of the library's ``select_events`` statement."""

from __future__ import annotations

from typing import Any


def select_tail(gt: int | None, lte: int | None, desc: bool, limit: int | None, mark: str) -> str:
    """The filters and order the library's ``select_events`` adds after ``WHERE originator_id=``."""
    statement = ""
    if gt is not None:
        statement += f" AND originator_version > {mark}"
    if lte is not None:
        statement += f" AND originator_version <= {mark}"
    statement += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
    if limit is not None:
        statement += f" LIMIT {mark}"
    return statement


def select_params(originator_id: Any, gt: int | None, lte: int | None, limit: int | None) -> list[Any]:
    return [originator_id, *(value for value in (gt, lte, limit) if value is not None)]
