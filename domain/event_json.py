"""An event's JSON as pydantic's ``model_dump(mode="json", by_alias=True)`` writes it, straight from its fields.

Sealing an event takes its JSON twice: the canonical bytes the hash covers and the
row the store keeps. Pydantic's dump was the costliest step of sealing (profiled on
the benchmark portfolio), so ``encode`` writes the same JSON with orjson from the
event's own values: orjson writes strings, ints, bools, None, tuples, dates, UUIDs and
UTC timestamps (``Z``) exactly as pydantic's JSON mode does, money goes through the
``format_money`` that the ``Money`` serializer calls, and a nested model (the terms)
through pydantic itself. A class with a field of any other form is not encoded here
(``field_keys`` is None), nor is a value orjson refuses (an int beyond 64 bits): the
caller then dumps with pydantic. ``tests/test_hash_pin.py`` compares the two on
every event of the test histories, and ``verify`` recomputes every hash through
pydantic, so a difference could not go unnoticed.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, PlainSerializer

from domain.stored_form import drop_defaults, omitted_fields
from domain.values import format_money

_SIMPLE = (str, int, bool, date, datetime, UUID)


def _default(value: Any) -> Any:
    if type(value) is Decimal:  # every Decimal field of an encodable class is money (see _known)
        return format_money(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(type(value).__name__)


def stamp_text(value: Any) -> Any:
    """A UTC timestamp or a UUID as the JSON text pydantic writes for it (``...Z``, the UUID's
    ``str``), remembered for the same object; any other value as it is, for orjson. Every
    event of a batch carries the same ``recorded_at`` and agreement id, so they are written
    once a batch instead of once an event (orjson asks a timezone for its offset in Python)."""
    kind = type(value)
    held = _last.get(kind)
    if held is not None and held[0] is value:
        return held[1]
    if kind is datetime and value.tzinfo is UTC:
        text = value.isoformat()[:-6] + "Z"  # "+00:00" -> "Z"
    elif kind is UUID:
        text = str(value)
    else:
        return value
    _last[kind] = (value, text)
    return text


_last: dict[type, tuple[Any, str]] = {}
"""The last timestamp and the last UUID written, each with its text."""


def encode(values: dict[str, Any], *, sort: bool = False) -> bytes | None:
    """The JSON bytes of ``values`` (an event's fields, renamed by ``field_keys``), keys sorted
    if ``sort``; None where orjson refuses a value."""
    option = orjson.OPT_UTC_Z | orjson.OPT_SORT_KEYS if sort else orjson.OPT_UTC_Z
    try:
        return orjson.dumps(values, default=_default, option=option)
    except TypeError:  # orjson.JSONEncodeError: e.g. an int beyond 64 bits
        return None


@cache
def field_keys(cls: type[BaseModel]) -> dict[str, str] | None:
    """The fields of ``cls`` whose JSON key is an alias (name -> alias), or None if some field's
    JSON form is not one ``encode`` writes as pydantic does."""
    if cls.__pydantic_decorators__.field_serializers or cls.__pydantic_decorators__.model_serializers:
        return None
    renames: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        if not _known(info.annotation, info.metadata):
            return None
        if info.alias and info.alias != name:
            renames[name] = info.alias
    return renames


def _known(annotation: Any, metadata: list[Any]) -> bool:
    """A field type whose JSON ``encode`` writes exactly as pydantic's JSON mode does."""
    serializers = [m for m in metadata if isinstance(m, PlainSerializer) or hasattr(m, "when_used")]
    if annotation is Decimal:  # money: exactly format_money, the one serializer _default applies
        return len(serializers) == 1 and getattr(serializers[0], "func", None) is format_money
    if serializers:
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *inner = typing.get_args(annotation)
        return _known(base, [*inner, *metadata])
    if origin in (typing.Union, types.UnionType):
        return all(a is type(None) or _known(a, []) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return all(type(a) in (str, int, bool) for a in typing.get_args(annotation))
    if origin is tuple:
        args = typing.get_args(annotation)
        return len(args) == 2 and args[1] is Ellipsis and _known(args[0], [])
    if annotation in _SIMPLE:
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def payload_json(event: BaseModel, envelope: frozenset[str]) -> str | None:
    """The event's own fields (all but ``envelope``) as canonical JSON - sorted keys, no spaces,
    what ``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
    writes - or None where ``encode`` cannot write it."""
    renames = field_keys(type(event))
    if renames is None:
        return None
    values = {renames.get(k, k): v for k, v in event.__dict__.items() if k not in envelope}
    omitted = omitted_fields(type(event))
    if omitted:
        drop_defaults(values, omitted)  # as pydantic's dump leaves them out (domain.stored_form)
    data = encode(values, sort=True)
    return None if data is None else data.decode()
