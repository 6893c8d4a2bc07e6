"""Fields left out of the stored (and hashed) JSON while they hold their default.

A field added to an event or to the terms after stores exist would change the canonical
JSON, and so the hash, of every event already stored (``domain.chain``): ``verify`` would
fail on them all. A field declared with ``omitted_at_default`` is written only when its
value differs from its default, so an event or terms value that leaves it at the default
serialise exactly as before the field existed, and reading an old row back gives the
default. Pydantic honours the declaration in every dump (``exclude_if``); the fast
encoders of ``domain.event_json`` and ``domain.chain`` and the fast decoder of
``commands.store.decode`` ask ``omitted_fields`` for the same fields. ``tests/test_hash_pin.py``
pins the result.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, Field


class AtDefault:
    """The ``exclude_if`` predicate of a field omitted at its default: true while it holds it."""

    __slots__ = ("default",)

    def __init__(self, default: Any) -> None:
        self.default = default

    def __call__(self, value: Any) -> bool:
        return bool(value == self.default)

    def __repr__(self) -> str:
        return f"AtDefault({self.default!r})"


def omitted_at_default(default: Any, **kwargs: Any) -> Any:
    """``Field(default)`` that no dump writes while the value equals ``default``."""
    return Field(default=default, exclude_if=AtDefault(default), **kwargs)


@cache
def omitted_fields(cls: type[BaseModel]) -> dict[str, Any]:
    """The JSON key (alias or name) and default of every field of ``cls`` declared with
    ``omitted_at_default``; empty for most classes."""
    return {
        info.alias or name: info.exclude_if.default
        for name, info in cls.model_fields.items()
        if isinstance(info.exclude_if, AtDefault)
    }


def drop_defaults(values: dict[str, Any], omitted: dict[str, Any]) -> dict[str, Any]:
    """``values`` (JSON keys) without the omitted fields that hold their default, in place."""
    for key, default in omitted.items():
        if key in values and values[key] == default:
            del values[key]
    return values
