"""Fast decoding of stored events: the store's own JSON, checked field by field, built without pydantic.

Replaying a portfolio spends most of its decode time in pydantic's validation machinery
on data the ledger itself validated and sealed when it was appended. For every event
class this builds, from its pydantic fields, a strict converter per field: the JSON type
the ledger writes for it (a string for money, dates and timestamps, an int for shares:
``"71293"`` is not a share count here), the field's own validators and constraints, and
the one text the ledger writes for the value (``"80000.0"`` is not how it writes money).
The event is then built as ``model_construct`` would. A value any converter refuses, or a
key set that is not exactly the class's, goes to full ``model_validate``; and the mapper
(``commands.store.application``) compares every decoded event's ``stored_json`` with the
stored bytes, so what this path accepts is exactly what ``verify`` accepts as a record.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

import annotated_types
import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, PlainSerializer

from domain.event_json import model_values
from domain.events import TRUSTED_SETTERS, LedgerEvent, field_names
from domain.stored_form import omitted_fields
from domain.values import format_money, parse_money

Converter = Callable[[Any], Any]
ENVELOPE_SET = {"originator_id", "originator_version"}


class NotAsWritten(ValueError):
    """A stored value that is not the one text the ledger writes for a value of its field."""


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=4096)  # every event of a batch carries one recorded_at: parsed once, shared (immutable)
def _timestamp(value: str) -> datetime:
    stamp = datetime.fromisoformat(value)
    if stamp.tzinfo is not UTC or stamp.isoformat()[:-6] + "Z" != value:
        raise NotAsWritten(f"timestamp {value[:40]!r}")
    return stamp


@lru_cache(maxsize=4096)  # an agreement's events share a few hundred dates at most
def _date(value: str) -> date:
    day = date.fromisoformat(value)
    if day.isoformat() != value:  # fromisoformat also reads "20030801" and week dates
        raise NotAsWritten(f"date {value[:40]!r}")
    return day


def _typed(kind: type) -> Converter:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise NotAsWritten(f"{type(value).__name__} where the ledger writes {kind.__name__}")
        return value

    return check


def _text(kind: type, parse: Converter) -> Converter:
    def check(value: Any) -> Any:
        if type(value) is not str:
            raise NotAsWritten(f"{type(value).__name__} where the ledger writes a {kind.__name__} as text")
        return parse(value)

    return check


def _money(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise NotAsWritten(f"amount {value[:40]!r}") from None
    if format_money(amount) != value:
        raise NotAsWritten(f"amount {value[:40]!r} is not written with two places")
    return amount


MONEY_AS_WRITTEN = re.compile(r"-?(?:0|[1-9][0-9]{0,11})\.[0-9]{2}")
"""Every text ``format_money`` writes for an amount ``parse_money`` takes (at most two places,
below a trillion: ``str`` of a Decimal of exponent -2), and no other: the text of such an
amount read back is that amount, digit for digit."""


def _money_as_written(value: Any) -> Decimal:
    """A money field's stored text (``Money``): exactly what ``_money`` then ``parse_money`` take
    unchanged, checked by one pattern, because the pattern is that set of texts and amounts
    rarely repeat (a cache of them would miss)."""
    if type(value) is not str or MONEY_AS_WRITTEN.fullmatch(value) is None:
        raise NotAsWritten(f"amount {str(value)[:40]!r} is not as the ledger writes money")
    return Decimal(value)


def _steps(metadata: list[Any]) -> list[Converter] | None:
    """The field's validators and constraints as steps value -> value, in order; None for
    metadata this cannot apply."""
    steps: list[Converter] = []
    for m in metadata:
        if isinstance(m, BeforeValidator | AfterValidator):
            steps.append(m.func)  # type: ignore[arg-type]  # plain validators: value -> value
        elif isinstance(m, annotated_types.MinLen):
            steps.append(_bound(lambda v, n=m.min_length: len(v) >= n))
        elif isinstance(m, annotated_types.MaxLen):
            steps.append(_bound(lambda v, n=m.max_length: len(v) <= n))
        elif isinstance(m, annotated_types.Ge):
            steps.append(_bound(lambda v, n=m.ge: v >= n))
        elif not isinstance(m, PlainSerializer):
            return None
    return steps


def _unchanged_by(steps: list[Converter]) -> Callable[[Any], bool]:
    """True if the steps take the value and leave it as it is (a validator that would normalise
    it means it is not as the ledger wrote it); a refusal raises."""

    def unchanged(converted: Any) -> bool:
        result = converted
        for step in steps:
            result = step(result)
        if result != converted:
            raise NotAsWritten(f"{str(converted)[:40]!r} is not as the ledger writes it")
        return True

    return unchanged


def _checked(convert: Converter, metadata: list[Any]) -> Converter | None:
    """``convert`` followed by the field's validators and constraints, the value unchanged by
    them; None for metadata this cannot apply."""
    steps = _steps(metadata)
    if steps is None:
        return None
    if not steps:
        return convert
    unchanged = _unchanged_by(steps)

    def check(value: Any) -> Any:
        converted = convert(value)
        unchanged(converted)
        return converted

    return check


def _bound(holds: Callable[[Any], bool]) -> Converter:
    def check(value: Any) -> Any:
        if not holds(value):
            raise NotAsWritten("a value outside its field's bounds")
        return value

    return check


MEMO_SIZE = 8192


def _remembered(convert: Converter | None, json_type: type) -> Converter | None:
    """``convert`` of a scalar, remembered for values of the one JSON type the ledger writes for
    the field (``json_type``: a memo holds values of that exact type only, so 1 is never True):
    a portfolio's events repeat the same dates, months and ids, and every result is immutable.
    A refusal is not remembered. The decoder reads ``memo`` in line (a dict lookup, where an
    ``lru_cache`` with ``typed`` built and hashed a key tuple for every value); emptied when full."""
    if convert is None:
        return None
    memo: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        if type(value) is not json_type:
            return convert(value)  # refuses it: the converters check the JSON type
        result = memo.get(value)
        if result is None:
            result = convert(value)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[value] = result
        return result

    remembered.memo = memo  # type: ignore[attr-defined]
    remembered.json_type = json_type  # type: ignore[attr-defined]
    return remembered


def _converter(annotation: Any, metadata: list[Any] | None = None) -> Converter | None:
    """How to turn the stored JSON value of a field of this type back into Python, refusing any
    value the ledger would not have written (``NotAsWritten``), or None if this cannot."""
    metadata = metadata or []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *inner = typing.get_args(annotation)
        return _converter(base, [*inner, *metadata])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner_convert = _converter(options[0], metadata) if len(options) == 1 else None
        return None if inner_convert is None else (lambda v: None if v is None else inner_convert(v))
    if origin is typing.Literal:
        allowed = {(type(a), a) for a in typing.get_args(annotation)}

        def literal(value: Any) -> Any:
            if (type(value), value) not in allowed:
                raise NotAsWritten(f"{str(value)[:40]!r} is not one of the field's values")
            return value

        return _checked(literal, metadata)
    if origin in (tuple, list):
        args = typing.get_args(annotation)
        ok = args and (origin is list or args[-1] is Ellipsis)
        item = _converter(args[0]) if ok else None
        if item is None:
            return None

        def sequence(value: Any) -> Any:
            if type(value) is not list:
                raise NotAsWritten(f"{type(value).__name__} where the ledger writes a list")
            return origin([item(x) for x in value])  # a list display: cheaper than a generator

        return _checked(sequence, metadata)
    if annotation in (str, int, bool):
        return _remembered(_checked(_typed(annotation), metadata), annotation)
    if annotation is datetime:
        return _remembered(_checked(_text(datetime, _timestamp), metadata), str)
    if annotation is date:
        return _remembered(_checked(_text(date, _date), metadata), str)
    if annotation is Decimal:
        money = [m for m in metadata if isinstance(m, BeforeValidator) and m.func is parse_money]
        if money:  # the pattern stands for parse_money's check (and format_money's form)
            steps = _steps([m for m in metadata if all(m is not x for x in money)])
            if not steps:
                return None if steps is None else _money_as_written
            unchanged = _unchanged_by(steps)

            def money_checked(value: Any) -> Decimal:
                amount = _money_as_written(value)
                unchanged(amount)
                return amount

            money_checked.unchanged = unchanged  # type: ignore[attr-defined]  # the decoder's in-line form
            money_checked.steps = steps  # type: ignore[attr-defined]
            return money_checked
        return _remembered(_checked(_text(Decimal, _money), metadata), str)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and not metadata:
        return _shared(annotation) if annotation.model_config.get("frozen") else None
    return None


@cache
def _shared(model: type[BaseModel]) -> Converter:
    """``model.model_validate``, with one instance per distinct value: every agreement of a
    portfolio usually has the same terms, validated once (a frozen model can be shared).
    Keyed by the value's exact JSON (key order included: a dict field keeps its order); bounded."""

    @lru_cache(maxsize=256)
    def validated(text: bytes) -> BaseModel:
        value = model.model_validate(orjson.loads(text))
        if orjson.dumps(model_values(value), option=orjson.OPT_UTC_Z) != text:
            raise NotAsWritten(f"{model.__name__} is not as the ledger writes it")
        return value

    def convert(value: Any) -> BaseModel:
        if type(value) is not dict:
            raise NotAsWritten(f"{type(value).__name__} where the ledger writes {model.__name__} as an object")
        return validated(orjson.dumps(value))

    return convert


def _plain_type(annotation: Any, metadata: list[Any]) -> type | None:
    """``str``, ``int`` or ``bool`` for a field of that type with no validator or constraint."""
    return annotation if annotation in (str, int, bool) and not metadata else None


def _none(*args: Any) -> None:
    return None


def _refuse() -> Any:
    raise NotAsWritten("a value of another JSON type than the ledger writes")


@cache
def key_orders(cls: type[LedgerEvent]) -> frozenset[tuple[str, ...]]:
    """The key orders of the JSON ``stored_json`` writes for ``cls``: its fields in declaration
    order but the row's envelope, each field omitted at its default present or not."""
    keys = [info.alias or name for name, info in cls.model_fields.items() if name not in ENVELOPE_SET]
    omitted = [key for key in keys if key in omitted_fields(cls)]
    orders = set()
    for mask in range(2 ** len(omitted)):
        left_out = {key for bit, key in enumerate(omitted) if mask >> bit & 1}
        orders.add(tuple(key for key in keys if key not in left_out))
    return frozenset(orders)


@cache
def usual_order(cls: type[LedgerEvent]) -> tuple[str, ...]:
    """The key order of ``cls``'s rows with every field omitted at its default left out, as
    almost every row is stored: compared first, because one tuple comparison costs half of
    hashing the row's keys to look them up in ``key_orders``."""
    omitted = omitted_fields(cls)
    return tuple(
        info.alias or name
        for name, info in cls.model_fields.items()
        if name not in ENVELOPE_SET and (info.alias or name) not in omitted
    )


def trusted_decoder(cls: type[LedgerEvent]) -> Callable[..., LedgerEvent]:
    """``decode(state, otherwise=validate)`` for stored events of ``cls`` (``_decoders``)."""
    return _decoders(cls)[0]


def usual_decoder(cls: type[LedgerEvent]) -> Callable[..., LedgerEvent | None]:
    """``decode(state, originator_id, originator_version)`` for a row of ``cls`` whose keys are
    its ``usual_order``, None for a value not as written (``_decoders``): the same converters, no
    key's presence asked and no envelope added to the row, because almost every row is so."""
    return _decoders(cls)[1]


@cache
def _decoders(cls: type[LedgerEvent]) -> tuple[Callable[..., LedgerEvent], Callable[..., LedgerEvent | None]]:
    """A decoder for stored events of ``cls`` (state already holds originator_id and _version).

    What ``model_construct`` does, without its per-call alias and default search, with every
    value checked by its field's strict converter: the store writes every field but those
    omitted at their default, so a state with exactly those keys whose values the converters
    take is built directly; anything else goes through ``model_validate``. A field with a
    validator of the class (a notice checked against occurred_on) is validated by pydantic
    whenever it holds a value other than its default.
    The decoder is written out for the class's fields (one dict display, each field's
    converter named, a bare str, int or bool checked in line) rather than looping over them,
    because a replay decodes every event and a loop or a call per field would be paid once
    an event."""
    env: dict[str, Any] = {"cls": cls, "validate": cls.model_validate, "new": object.__new__}
    env |= dict(zip(("set_dict", "set_fields_set", "set_extra", "set_private"), TRUSTED_SETTERS, strict=True))
    env["fields_set"] = field_names(cls)  # shared by the class's models (domain.events.field_names)
    env["refuse"] = _refuse
    items = []  # in the class's field order, as validation sets them
    omitted = omitted_fields(cls)  # left out of the stored JSON at their default (domain.stored_form)
    validated_by_class = {
        field for d in cls.__pydantic_decorators__.field_validators.values() for field in d.info.fields
    }
    if cls.__pydantic_decorators__.model_validators:
        return cls.model_validate, _none
    checks, usual_checks = [], []
    usual = []  # the same fields read from a row with exactly the usual keys
    for n, (name, info) in enumerate(cls.model_fields.items()):
        convert = _same if name in ENVELOPE_SET else _converter(info.annotation, info.metadata)
        if name in validated_by_class:
            env[f"default_of_{n}"] = info.default
            checks.append(f"values[{name!r}] != default_of_{n}")
            if (info.alias or name) not in omitted:
                usual_checks.append(f"values[{name!r}] != default_of_{n}")
        if (info.alias or name) in omitted:  # present only when not at its default, as stored_json writes
            env[f"omitted_{n}"] = omitted[info.alias or name]
            checks.append(f"({(info.alias or name)!r} in state and values[{name!r}] == omitted_{n})")
        if convert is None or cls.__pydantic_post_init__ or cls.__pydantic_root_model__:
            return cls.model_validate, _none
        key = info.alias or name
        read = f"state[{key!r}]"
        plain = None if convert is _same else _plain_type(info.annotation, info.metadata)
        if plain is not None:  # a bare str, int or bool: its type checked in line (a hash is never met twice)
            read = f"(v if type(v := {read}) is {plain.__name__} else refuse())"
        elif convert is _money_as_written or hasattr(convert, "unchanged"):  # money: its pattern in line
            env["Decimal"], env["money_text"] = Decimal, MONEY_AS_WRITTEN.fullmatch
            if convert is _money_as_written:
                read = f"(Decimal(v) if type(v := {read}) is str and money_text(v) else refuse())"
            elif len(convert.steps) == 1:  # type: ignore[attr-defined]  # its one validator (not negative) in line
                env[f"step_{n}"] = convert.steps[0]  # type: ignore[attr-defined]
                taken = f"type(v := {read}) is str and money_text(v) and step_{n}(d := Decimal(v)) == d"
                read = f"(d if {taken} else refuse())"
            else:  # its validators too, the value unchanged by them
                env[f"unchanged_{n}"] = convert.unchanged  # type: ignore[attr-defined]
                taken = f"type(v := {read}) is str and money_text(v) and unchanged_{n}(d := Decimal(v))"
                read = f"(d if {taken} else refuse())"
        elif hasattr(convert, "memo"):  # a remembered value: the memo read in line, computed on a miss
            env[f"memo_{n}"], env[f"convert_{n}"] = convert.memo, convert  # type: ignore[attr-defined]
            kind = convert.json_type.__name__  # type: ignore[attr-defined]
            read = f"(c if type(v := {read}) is {kind} and (c := memo_{n}.get(v)) is not None else convert_{n}(v))"
        elif convert is not _same:
            env[f"convert_{n}"] = convert
            read = f"convert_{n}({read})"
        if name in ENVELOPE_SET:
            usual.append(f"{name!r}: {name}")
        elif key in omitted:  # the default as it is (a converter checks written values: () is not a list)
            env[f"default_{n}"] = omitted[key]
            usual.append(f"{name!r}: default_{n}")
            read = f"({read} if {key!r} in state else default_{n})"
        else:
            usual.append(f"{name!r}: {read}")
        items.append(f"{name!r}: {read}")
    # the row holds every field but those omitted at their default: exactly that many keys
    count = " + ".join([str(len(items) - len(omitted)), *(f"({key!r} in state)" for key in omitted)])
    source = (
        "def decode(state, otherwise=validate):\n"
        f"    if len(state) != {count}:\n"
        "        return otherwise(state)  # an older or altered shape: let pydantic decide\n"
        "    try:\n"
        f"        values = {{{', '.join(items)}}}\n"
        "    except (KeyError, ValueError, TypeError):  # a key missing, a value not as written\n"
        "        return otherwise(state)\n"
        + (f"    if {' or '.join(checks)}:\n        return otherwise(state)\n" if checks else "")
        + "    model = new(cls)  # trusted_model, in line: one call fewer an event\n"
        "    set_dict(model, values)\n"
        "    set_fields_set(model, fields_set)\n"
        "    set_extra(model, None)\n"
        "    set_private(model, None)\n"
        "    return model\n"
        # a row whose keys are the usual order: every key there, no field omitted at its default
        "\n\ndef decode_usual(state, originator_id, originator_version):\n"
        "    try:\n"
        f"        values = {{{', '.join(usual)}}}\n"
        "    except (ValueError, TypeError):  # a value not as written\n"
        "        return None\n"
        + (f"    if {' or '.join(usual_checks)}:\n        return None\n" if usual_checks else "")
        + "    model = new(cls)\n"
        "    set_dict(model, values)\n"
        "    set_fields_set(model, fields_set)\n"
        "    set_extra(model, None)\n"
        "    set_private(model, None)\n"
        "    return model\n"
    )
    exec(source, env)  # the source is made here, from the class's own field names
    # ``otherwise``: what to do with a state this cannot take (default: pydantic's validation;
    # the store's mapper passes its own, which also compares the bytes)
    return env["decode"], env["decode_usual"]
