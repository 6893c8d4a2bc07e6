"""Reading facts: JSON Lines (one fact per line, named by its event type) and CLI fields.

Strict on purpose: JSON floats, NaN/Infinity, duplicate keys, unknown types or
fields, and anything the store stamps itself (recorded_at, hashes) are refused
with the line number, before any rule is checked.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from pydantic import ValidationError

from domain.errors import InvalidInput
from domain.events import ENVELOPE, EVENT_TYPES, USER_EVENT_TYPES, WRITTEN_BY_USERS, LedgerEvent, fact_fields
from domain.notices import Notice, effective_on
from domain.terms import Terms
from domain.values import JsonFloat

MAX_LINE_BYTES = 1_000_000
"""The longest line (one fact) read, in bytes: a fact with a long basis is a few kilobytes."""
MAX_BATCH_FACTS = 1_000_000
"""The most lines one batch (a file, stdin) may hold: a long history is tens of thousands."""
MAX_BATCH_BYTES = 64 * 1024 * 1024
"""The most bytes one batch may hold (64 MiB; a history of 15,000 facts is about 3 MB)."""
LIMIT_ENV = {
    "line": "APA_LEDGER_MAX_LINE_BYTES",
    "facts": "APA_LEDGER_MAX_BATCH_FACTS",
    "bytes": "APA_LEDGER_MAX_BATCH_BYTES",
}
CHUNK = 1 << 16
SURROGATE = re.compile("[\ud800-\udfff]")
STAMPED = ENVELOPE - WRITTEN_BY_USERS | {"recorded_at", "position", "event_type"}


class Draft(NamedTuple):
    """One fact as the user gave it: its event class, fields, and the line it came from.

    A named tuple, not a frozen dataclass, whose four ``object.__setattr__`` calls made it half
    the cost of reading a line's fields (one is made for every fact read)."""

    cls: type[LedgerEvent]
    fields: Mapping[str, Any]
    line: int | None = None

    def where(self) -> str:
        return f"line {self.line}: " if self.line is not None else ""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # the dict kept one of two equal keys: name the first repeated
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number the ledger accepts")


def loads_strict(text: str) -> Any:
    """json.loads that keeps floats as text (to be refused where money is expected) and
    refuses NaN, Infinity and duplicate keys.

    A line that is one object with nothing around it (every line the ledger is given, as a
    rule) is read by the decoder's scanner directly, without ``decode``'s two whitespace
    matches and its calls; any other text, and any error, through ``decode`` and its messages."""
    if text[:1] == "{" and text[-1:] == "}":
        try:
            value, end = _SCAN(text, 0)
        except (StopIteration, ValueError):
            pass
        else:
            if end == len(text):
                return value
    if text.startswith("\ufeff"):  # as json.loads says it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _STRICT.decode(text)


_STRICT = json.JSONDecoder(parse_float=JsonFloat, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
"""One decoder for every line (``json.loads`` with hooks would build a new one per call)."""
_SCAN = _STRICT.scan_once


def validation_message(error: ValidationError) -> str:
    """One line from pydantic's errors: the field and what is wrong with it."""
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if p not in STAMPED) or "fact"
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{loc}: {msg}{more}"


def read_terms(data: bytes, label: str) -> Terms:
    """An agreement's terms from a JSON file (``new --terms``, ``import``'s ``ID.terms.json``)."""
    try:
        return Terms.model_validate(loads_strict(data.decode("utf-8")))
    except ValidationError as exc:
        raise InvalidInput(f"{label}: {validation_message(exc)}", "terms") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{label}: not valid JSON: {str(exc)[:100]}", "terms") from None


def draft_from_mapping(data: Any, line: int | None = None) -> Draft:
    """Check the type and field names of one fact."""
    if not isinstance(data, dict):
        raise InvalidInput(f'{_at(line)}each line must be a JSON object with a "type"', "import format")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise InvalidInput(f'{_at(line)}missing "type" (the event name, e.g. "ClosingOccurred")', "import format")
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        close = difflib.get_close_matches(kind, sorted(USER_EVENT_TYPES), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else " (`apa-ledger record --help` lists them)"
        raise InvalidInput(f"{_at(line)}unknown event type {kind[:60]!r}{hint}", "event catalogue")
    if kind not in USER_EVENT_TYPES:
        reason = (
            "is derived by the ledger from ClaimResolved (8.1(c)); record the ClaimResolved"
            if cls.derived
            else "is written by `apa-ledger new`"
        )
        raise InvalidInput(f"{_at(line)}{kind} {reason}", cls.clause)
    fields = dict(data)
    del fields["type"]
    names = fields.keys()
    if not names <= fact_fields(cls):
        stamped = sorted(names & STAMPED)
        if stamped:
            raise InvalidInput(f"{_at(line)}{', '.join(stamped)} is set by the store, never by a user", "readings 9")
        unknown = sorted(names - fact_fields(cls))
        allowed = ", ".join(sorted(fact_fields(cls) - WRITTEN_BY_USERS))
        raise InvalidInput(f"{_at(line)}{kind} has no field {unknown[0][:60]!r} (fields: {allowed})", cls.clause)
    if "occurred_on" not in fields:
        if "notice" not in fields or fields["notice"] is None:
            also = ' or a "notice" (9.11)' if "notice" in cls.model_fields else ""
            raise InvalidInput(f"{_at(line)}{kind} needs occurred_on (YYYY-MM-DD){also}", cls.clause)
        fields["occurred_on"] = _effective_date(fields["notice"], f"{_at(line)}{kind}")
    return Draft(cls, fields, line)


def _at(line: int | None) -> str:
    """Where a fact came from, for its messages (made only when there is one to give)."""
    return f"line {line}: " if line is not None else ""


def _effective_date(notice: Any, what: str) -> str:
    """9.11: the day a notice is effective, which is the day the fact it brings occurs."""
    try:
        return effective_on(Notice.model_validate(notice)).isoformat()
    except ValidationError as exc:
        message = validation_message(exc)
        where = "notice" + ("" if message.startswith("fact: ") else ".")
        raise InvalidInput(f"{what}: {where}{message.removeprefix('fact')}", "9.11") from None


def input_limits() -> tuple[int, int, int]:
    """(line bytes, facts, batch bytes): the defaults above, each overridable by its variable."""
    limits = []
    for key, default in (("line", MAX_LINE_BYTES), ("facts", MAX_BATCH_FACTS), ("bytes", MAX_BATCH_BYTES)):
        text = os.environ.get(LIMIT_ENV[key], "").strip()
        if not text:
            limits.append(default)
            continue
        if not text.isdigit() or int(text) < 1:
            raise InvalidInput(f"${LIMIT_ENV[key]}: {text[:20]!r} is not a whole number from 1", "import format")
        limits.append(int(text))
    return limits[0], limits[1], limits[2]


def read_limited(stream: BinaryIO, label: str) -> bytes:
    """A batch read from ``stream`` with the input limits checked as it is read, so an endless
    or newline-free source (``/dev/zero``, ``yes``) is refused after at most a limit's worth of
    bytes rather than read into memory without end."""
    max_line, max_facts, max_bytes = input_limits()
    chunks: list[bytes] = []
    total = lines = line = 0  # bytes read, line breaks seen, bytes of the current line
    while chunk := stream.read(CHUNK):
        total += len(chunk)
        at = 0
        while (end := chunk.find(b"\n", at)) >= 0:  # each line that ends in this chunk
            if line + end - at > max_line:
                raise _too_long(label, lines + 1, max_line)
            line, lines, at = 0, lines + 1, end + 1
        line += len(chunk) - at
        if line > max_line:
            raise _too_long(label, lines + 1, max_line)
        if lines + (line > 0) > max_facts:
            raise InvalidInput(
                f"{label}: more than {max_facts:,} lines in one batch (${LIMIT_ENV['facts']})", "import format"
            )
        if total > max_bytes:
            raise InvalidInput(
                f"{label}: more than {max_bytes:,} bytes in one batch (${LIMIT_ENV['bytes']})", "import format"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _too_long(label: str, number: int, limit: int) -> InvalidInput:
    return InvalidInput(f"{label}: line {number}: longer than {limit:,} bytes (${LIMIT_ENV['line']})", "import format")


def read_path(path: str | Path, label: str, clause: str = "CLI") -> bytes:
    """A batch file (or ``-``, stdin) read within the input limits."""
    if str(path) == "-":
        return read_limited(sys.stdin.buffer, "stdin")
    try:
        with open(path, "rb") as stream:
            return read_limited(stream, label)
    except OSError as exc:
        raise InvalidInput(f"cannot read {label}: {exc.strerror}", clause) from None
    except ValueError:  # a NUL byte in the path
        raise InvalidInput(f"cannot read {label}: not a valid file name", clause) from None


def has_lone_surrogate(value: Any) -> bool:
    """True if a string (or key) holds an unpaired UTF-16 surrogate, which JSON escapes can
    produce but no UTF-8 store can hold."""
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def parse_jsonl(data: bytes) -> list[Draft]:
    """Every fact of a JSON Lines document; blank lines are skipped. CRLF line endings and a
    leading UTF-8 byte-order mark (as Windows editors write them) are accepted."""
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"line {line}: input is not valid UTF-8", "import format") from None
    drafts = []
    max_line = input_limits()[0]
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        if len(raw) > max_line // 4 and len(raw.encode()) > max_line:  # 1-4 UTF-8 bytes a character
            raise InvalidInput(f"line {number}: longer than {max_line:,} bytes (${LIMIT_ENV['line']})", "import format")
        try:
            value = loads_strict(raw)
        except RecursionError:
            raise InvalidInput(f"line {number}: JSON nested too deeply", "import format") from None
        except ValueError as exc:
            raise InvalidInput(
                f"line {number}: not valid JSON: {str(exc).splitlines()[0][:120]}", "import format"
            ) from None
        if "\\u" in raw and has_lone_surrogate(value):
            raise InvalidInput(
                f"line {number}: an unpaired \\uD800-\\uDFFF escape is not valid Unicode", "import format"
            )
        drafts.append(draft_from_mapping(value, number))
    if not drafts:
        raise InvalidInput("the input holds no facts", "import format")
    return drafts


def build_event(draft: Draft, build: Any) -> LedgerEvent:
    """Validate a draft's values into an event (``build`` supplies the envelope)."""
    try:
        return build(draft.cls, draft.fields)
    except ValidationError as exc:
        raise InvalidInput(
            f"{draft.where()}{draft.cls.__name__}: {validation_message(exc)}", draft.cls.clause
        ) from None
