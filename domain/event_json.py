"""The ledger's one JSON writer: an event's stored row, the form its hash covers, its payload.

The form is the project's own, written from the event's fields and each field's declared
type, so that no hash depends on how a library chooses to serialise a value:

- str, int, bool and None as JSON has them; a ``Literal`` as its value;
- a date as ``YYYY-MM-DD``; a UTC timestamp as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``; a UUID as
  its canonical text;
- money (``domain.values.Money``) through ``format_money``: exactly two places; any other
  Decimal (a rate of the terms) as ``str``;
- a tuple as a list, a dict as an object, a nested model (the terms, a notice) as an object
  of its own fields in this same form;
- a field declared ``omitted_at_default`` left out while it holds its default
  (``domain.stored_form``), so that fields added later leave old events' bytes alone.

This is, byte for byte, what pydantic's JSON dump gave when the stored hashes were taken
(``tests/test_hash_pin.py`` pins both the hashes and that equality), but it no longer asks
pydantic. A class with a field of any other type cannot be written (``TypeError`` when its
plan is made): the test of every event class makes that a failing test, not a stored event.

Three forms, one writer:

- ``stored_json``: the row the store keeps, the fields in declaration order without the
  envelope the row's columns hold (agreement and position);
- ``hashed_json``: sorted keys, no whitespace, with the event's type and without its own
  hash (and without ``batch`` when it is empty, as before batch ids existed);
- ``payload_json``: the fact's own fields, sorted, for the read model.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, PlainSerializer

from domain.values import format_money

Convert = Callable[[Any], Any]
ROW_ENVELOPE = ("originator_id", "originator_version")  # the store's columns, not its JSON


def stamp_text(value: Any) -> Any:
    """A UTC timestamp or a UUID as its JSON text (``...Z``, the UUID's ``str``), remembered
    for the same object; any other value as it is, for orjson. Every event of a batch carries
    the same ``recorded_at`` and agreement id, so they are written once a batch."""
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


@dataclass(frozen=True, slots=True)
class Plan:
    """How one model class is written: (attribute, JSON key, conversion or None) per field in
    declaration order, and the JSON keys omitted at their default with that default."""

    fields: tuple[tuple[str, str, Convert | None], ...]
    omitted: tuple[tuple[str, Any], ...]


@cache
def plan(cls: type[BaseModel]) -> Plan:
    """The writing plan of ``cls`` (``TypeError`` for a field whose form is not defined here)."""
    from domain.stored_form import omitted_fields

    fields = []
    for name, info in cls.model_fields.items():
        convert = _converter(info.annotation, info.metadata, f"{cls.__name__}.{name}")
        fields.append((name, info.alias or name, convert))
    converters = {key: convert for _, key, convert in fields}
    # each default as written (an empty tuple is the list []), to compare with written values
    omitted = tuple(
        (key, default if converters[key] is None else converters[key](default))
        for key, default in omitted_fields(cls).items()
    )
    return Plan(tuple(fields), omitted)


def _money_or_number(metadata: list[Any], where: str) -> Convert:
    serializers = [m for m in metadata if isinstance(m, PlainSerializer)]
    if not serializers:
        return str  # a plain Decimal (a rate of the terms): its exact text
    if len(serializers) == 1 and serializers[0].func is format_money:
        return format_money
    raise TypeError(f"{where}: a Decimal serialised otherwise than as money has no defined JSON form")


def _converter(annotation: Any, metadata: list[Any], where: str) -> Convert | None:
    """How a value of this type becomes JSON orjson writes as defined above (None: as it is)."""
    if any(isinstance(m, PlainSerializer) for m in metadata) and annotation is not Decimal:
        raise TypeError(f"{where}: a serializer other than money's has no defined JSON form")
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *inner = typing.get_args(annotation)
        return _converter(base, [*inner, *metadata], where)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"{where}: a union of several types has no defined JSON form")
        inner_convert = _converter(options[0], metadata, where)
        if inner_convert is None:
            return None
        return lambda v: None if v is None else inner_convert(v)
    if origin is typing.Literal:
        if not all(type(a) in (str, int, bool) for a in typing.get_args(annotation)):
            raise TypeError(f"{where}: a Literal of other than str, int or bool")
        return None
    if origin in (tuple, list):
        args = typing.get_args(annotation)
        if not (len(args) == 2 and args[1] is Ellipsis) and origin is tuple:
            raise TypeError(f"{where}: only homogeneous tuples (tuple[X, ...]) have a defined JSON form")
        item = _converter(args[0], [], where)
        return list if item is None else (lambda v: [item(x) for x in v])
    if origin is dict:
        key, value = typing.get_args(annotation)
        if key is not str or _converter(value, [], where) is not None:
            raise TypeError(f"{where}: only dict[str, str|int|bool] has a defined JSON form")
        return None
    if annotation is Decimal:
        return _money_or_number(metadata, where)
    if annotation in (str, int, bool, date, UUID):
        return None
    if annotation is datetime:
        return stamp_text
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        plan(annotation)  # refuse an unwritable nested model now, not on first use
        return model_values
    raise TypeError(f"{where}: {annotation!r} has no defined JSON form")


def model_values(model: BaseModel) -> dict[str, Any]:
    """The model's fields as JSON-ready values in declaration order, by JSON key, without the
    fields omitted at their default (``domain.stored_form``)."""
    cls = type(model)
    return (_writers.get(cls) or _writer(cls))(model.__dict__)


_writers: dict[type[BaseModel], Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _writer(cls: type[BaseModel]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``model_values`` of a ``cls`` as one function written out from its plan (a dict display,
    each field's conversion named, and each field omitted at its default written only when it
    does not hold it), rather than a loop over the plan, because every appended event is
    written once and every event of the read model once. A field omitted at its default is
    converted only when its value is not the default itself (no event's empty ``evidence`` is
    made a list to be found empty). Made on first use, kept."""
    from domain.stored_form import omitted_fields

    p = plan(cls)
    raw = omitted_fields(cls)  # each omitted field's default as the model holds it
    written = dict(p.omitted)  # and as it is written
    env: dict[str, Any] = {}
    items: list[str] = []
    lines: list[str] = []
    for n, (name, key, convert) in enumerate(p.fields):
        read = f"attrs[{name!r}]"
        if key in written:
            env[f"default_{n}"] = raw[key]
            if convert is None:
                lines.append(f"    if {read} != default_{n}:\n        values[{key!r}] = {read}")
                continue
            env[f"convert_{n}"], env[f"written_{n}"] = convert, written[key]
            lines.append(
                f"    if (v := {read}) != default_{n} and (w := convert_{n}(v)) != written_{n}:\n"
                f"        values[{key!r}] = w"
            )
            continue
        if convert is not None:
            env[f"convert_{n}"] = convert
            read = f"convert_{n}({read})"
        if lines:  # after an omitted field: in order, after it
            lines.append(f"    values[{key!r}] = {read}")
        else:
            items.append(f"{key!r}: {read}")
    source = "def write(attrs):\n" + f"    values = {{{', '.join(items)}}}\n" + "".join(f"{line}\n" for line in lines)
    exec(source + "    return values\n", env)  # the source is made here, from the class's own field names
    writer = _writers[cls] = env["write"]
    return writer  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    """A date, timestamp or UUID as orjson writes it, for the stdlib encoder."""
    if isinstance(value, datetime):
        return stamp_text(value) if value.tzinfo is UTC else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def _encode(values: object, sort: bool) -> bytes:
    """JSON bytes with no whitespace, keys sorted if ``sort``: what ``json.dumps(values,
    separators=(",", ":"), ensure_ascii=False, sort_keys=sort)`` writes, through orjson (the
    same escapes, keys sorted by code point; pinned for every character), and through the
    stdlib for an int beyond 64 bits, which orjson refuses."""
    try:
        return orjson.dumps(values, option=orjson.OPT_UTC_Z | orjson.OPT_SORT_KEYS if sort else orjson.OPT_UTC_Z)
    except TypeError:
        return json.dumps(values, sort_keys=sort, separators=(",", ":"), ensure_ascii=False, default=_plain).encode()


def canonical_json(body: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the canonical form of a JSON-ready value."""
    return _encode(body, sort=True)


def hashed_values(event: BaseModel, event_type: str) -> dict[str, Any]:
    """The values the event's hash covers: every field but ``hash``, with its ``type``;
    ``batch`` left out when empty (events recorded before batch ids existed keep their hashes)."""
    return hashed_of(model_values(event), event_type)


def hashed_of(values: dict[str, Any], event_type: str) -> dict[str, Any]:
    """``hashed_values`` from the event's ``model_values`` (changed in place)."""
    del values["hash"]
    values["type"] = event_type
    if not values.get("batch"):
        values.pop("batch", None)
    return values


def hashed_json(event: BaseModel, event_type: str) -> bytes:
    """The canonical bytes the event's hash is taken over (``domain.chain``)."""
    return canonical_json(hashed_values(event, event_type))


def stored_json(event: BaseModel) -> bytes:
    """The JSON the store keeps for ``event``: every field in declaration order but the row's
    envelope columns. ``verify`` requires every stored record to be exactly these bytes."""
    return stored_of(model_values(event))


def stored_of(values: dict[str, Any]) -> bytes:
    """``stored_json`` from the event's ``model_values`` (changed in place)."""
    for key in ROW_ENVELOPE:
        del values[key]
    return _encode(values, sort=False)


def payload_json(event: BaseModel, envelope: frozenset[str]) -> str:
    """The event's own fields (all but ``envelope``) as canonical JSON: sorted keys, no spaces
    (``model_values`` less the envelope, whose fields are never converted)."""
    fields, omitted = _payload_plan(type(event), envelope)
    attrs = event.__dict__
    values = {key: attrs[name] if convert is None else convert(attrs[name]) for name, key, convert in fields}
    for key, default in omitted:
        if values[key] == default:
            del values[key]
    return canonical_json(values).decode()


@cache
def _payload_plan(cls: type[BaseModel], envelope: frozenset[str]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``plan(cls)`` without the fields and defaults of ``envelope`` (by JSON key)."""
    p = plan(cls)
    return tuple(f for f in p.fields if f[1] not in envelope), tuple(o for o in p.omitted if o[0] not in envelope)
