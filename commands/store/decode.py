"""Fast decoding of stored events: the store's own JSON, converted field by field, no re-validation.

Replaying a portfolio spends most of its decode time re-running the input
validators (regexes, ranges) on data the ledger itself validated and sealed
when it was appended. For every event class this builds, from its pydantic
fields, a converter per field (ISO date and timestamp, decimal string, tuple)
and builds the event with ``model_construct``. Anything it does not know how to
convert, or a key set that is not exactly the class's fields, falls back to
full ``model_validate``. ``commands.audit`` (verify) always validates fully.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import orjson
from pydantic import BaseModel

from domain.events import LedgerEvent, built
from domain.stored_form import omitted_fields

Converter = Callable[[Any], Any]
ENVELOPE_SET = {"originator_id", "originator_version"}


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=4096)  # every event of a batch carries one recorded_at: parsed once, shared (immutable)
def _timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value)


@lru_cache(maxsize=4096)  # an agreement's events share a few hundred dates at most
def _date(value: str) -> date:
    return date.fromisoformat(value)


def _converter(annotation: Any) -> Converter | None:
    """How to turn the stored JSON value of a field of this type back into Python, or None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _converter(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = _converter(options[0]) if len(options) == 1 else None
        return None if inner is None else (lambda v: None if v is None else inner(v))
    if origin is typing.Literal:
        return _same
    if origin in (tuple, list):
        args = typing.get_args(annotation)
        item = _converter(args[0]) if args and (origin is list or len(args) == 1 or args[1] is Ellipsis) else None
        if item is None:
            return None
        return lambda v: origin(v) if item is _same else origin(item(x) for x in v)
    if annotation in (str, int, bool):
        return _same
    if annotation is datetime:
        return _timestamp
    if annotation is date:
        return _date
    if annotation is Decimal:
        return Decimal
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _shared(annotation) if annotation.model_config.get("frozen") else annotation.model_validate
    return None


@cache
def _shared(model: type[BaseModel]) -> Converter:
    """``model.model_validate``, with one instance per distinct value: every agreement of a
    portfolio usually has the same terms, validated once (a frozen model can be shared).
    Keyed by the value's exact JSON (key order included: a dict field keeps its order); bounded."""

    @lru_cache(maxsize=256)
    def validated(text: bytes) -> BaseModel:
        return model.model_validate(orjson.loads(text))

    return lambda value: validated(orjson.dumps(value))


@cache
def trusted_decoder(cls: type[LedgerEvent]) -> Callable[[dict[str, Any]], LedgerEvent]:
    """A decoder for stored events of ``cls`` (state already holds originator_id and _version).

    What ``model_construct`` does, without its per-call alias and default search: the
    store writes every field (``model_dump`` includes defaults), so a state with exactly
    the class's keys is built directly; any other key set goes through ``model_validate``.
    The decoder is written out for the class's fields (one dict display, each field's
    converter named) rather than looping over them: a replay decodes every event once,
    and the loop was the largest cost of a decode after JSON parsing (profiled)."""
    env: dict[str, Any] = {"built": built, "cls": cls, "validate": cls.model_validate}
    items = []  # in the class's field order, as validation sets them
    omitted = omitted_fields(cls)  # left out of the stored JSON at their default (domain.stored_form)
    for n, (name, info) in enumerate(cls.model_fields.items()):
        convert = _same if name in ENVELOPE_SET else _converter(info.annotation)
        if convert is None or cls.__pydantic_post_init__ or cls.__pydantic_root_model__:
            return cls.model_validate
        key = info.alias or name
        read = f"state[{key!r}]"
        if key in omitted:
            env[f"default_{n}"] = omitted[key]
            read = f"state.get({key!r}, default_{n})"
        if convert is not _same:
            env[f"convert_{n}"] = convert
            read = f"convert_{n}({read})"
        items.append(f"{name!r}: {read}")
    # the row holds every field but those omitted at their default: exactly that many keys
    count = " + ".join([str(len(items) - len(omitted)), *(f"({key!r} in state)" for key in omitted)])
    source = (
        "def decode(state):\n"
        f"    if len(state) != {count}:\n"
        "        return validate(state)  # an older or altered shape: let pydantic decide\n"
        "    try:\n"
        f"        values = {{{', '.join(items)}}}\n"
        "    except KeyError:\n"
        "        return validate(state)\n"
        "    return built(cls, values)\n"
    )
    exec(source, env)  # the source is made here, from the class's own field names
    return env["decode"]  # type: ignore[no-any-return]
