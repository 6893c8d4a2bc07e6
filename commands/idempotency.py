"""Idempotent batches: a batch applied twice is recognised, and the second time appends nothing.

Every event a batch appends carries the batch's id in its envelope (``batch``,
covered by the hash chain). The id is either

- ``sha256:<hex>`` - the digest of the batch's *content*: the parsed facts as
  canonical JSON (sorted keys, no whitespace). Whitespace, key order, CRLF line
  endings, a byte-order mark and blank lines are formatting, not content; the
  same facts written as ``"27500"`` instead of ``"27500.00"``, or in another
  line order, are different content; or
- ``key:<KEY>`` - an idempotency key the caller chose (``apply --idempotency-key``).
  A batch re-sent under the same key is recognised even if its formatting
  differs, as long as it states the same facts once validated ("27500" and
  "27500.00" are the same amount); the same key with different facts is
  refused, so a reused key can never swallow a fact silently.

Files that grow. A clerk keeps one JSON Lines file per agreement and appends a line each
month; applying the grown file applies only its new lines, as one batch. A content id names
the facts of the whole file through its last line, so the id of the file as it was when
applied is the id of one of the grown file's prefixes: the longest prefix whose id is a batch
of this agreement is what was applied, and the lines after it are the new batch, whose id is
``sha256:<digest of the whole file>;after=<digest of that prefix>`` (so a later growth finds
it, and a changed line can be traced to the batch that applied it). If a line already applied
was changed (or removed), the file is refused naming the first such line: an applied fact is
corrected by a new fact (``EventRetracted``), never by editing the file. A file whose first
line changed, or that states the applied facts written differently ("30000" for "30000.00"),
cannot be told from a new file by its content: it is planned as new facts, for the rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from commands.parsing import Draft, build_event, parse_jsonl
from domain.agreement import Agreement
from domain.chain import canonical_json
from domain.errors import InvalidInput, RuleViolation
from domain.events import LedgerEvent

KEY_RE = re.compile(r"[\x21-\x7e]{1,128}")
CLAUSE = "ledger: idempotent batches"


def read_batch(data: bytes, idempotency_key: str | None = None) -> tuple[list[Draft], str]:
    """What ``apply`` reads from a JSON Lines batch: its facts and the batch's id (the key's,
    or the digest of its content)."""
    return batch_of(parse_jsonl(data), idempotency_key)


def batch_of(drafts: list[Draft], idempotency_key: str | None = None) -> tuple[list[Draft], str]:
    """The facts of a batch and its id: the key's, or the digest of its content."""
    return drafts, key_batch_id(idempotency_key) if idempotency_key is not None else content_batch_id(drafts)


def content_batch_id(drafts: Sequence[Draft]) -> str:
    """``sha256:`` + the digest of the facts as canonical JSON."""
    facts = [{"type": draft.cls.__name__, **draft.fields} for draft in drafts]
    return "sha256:" + hashlib.sha256(canonical_json(facts)).hexdigest()


def key_batch_id(key: str) -> str:
    """``key:`` + a caller's idempotency key (1-128 printable ASCII characters, no spaces)."""
    if not KEY_RE.fullmatch(key):
        raise InvalidInput("--idempotency-key must be 1-128 printable ASCII characters without spaces", "CLI")
    return "key:" + key


AFTER = ";after="


@dataclass(frozen=True)
class Pending:
    """What a batch still has to append: its drafts (the new lines of a grown file), the batch
    id they go in with, how many of the file's facts were applied before, or ``already_applied``
    (the positions of the batch that applied it all; nothing to append)."""

    drafts: Sequence[Draft]
    batch: str
    applied_before: int = 0
    already_applied: tuple[int, int] | None = None


@dataclass
class _Applied:
    """One content batch of an agreement: the file digest it ends with, the digest of the
    prefix it continues (None: a file's first batch), its facts in position order."""

    after: str | None
    facts: list[LedgerEvent]


def _content_batches(agreement: Agreement) -> dict[str, _Applied]:
    """The agreement's content batches by the digest of the file they end (derived events left out)."""
    found: dict[str, _Applied] = {}
    for event in agreement.events:
        if not event.batch.startswith("sha256:") or event.derived:
            continue
        through, _, after = event.batch.removeprefix("sha256:").partition(AFTER)
        found.setdefault(through, _Applied(after or None, [])).facts.append(event)
    return found


def prefix_digests(drafts: Sequence[Draft]) -> list[str]:
    """The content digest of each prefix of the drafts: ``[digest(drafts[:1]), ...,
    digest(drafts)]``, each equal to ``content_batch_id(drafts[:k])`` without its prefix,
    worked out in one pass (the canonical JSON of a list is its items' joined by commas)."""
    running = hashlib.sha256(b"[")
    digests = []
    for i, draft in enumerate(drafts):
        if i:
            running.update(b",")
        running.update(canonical_json({"type": draft.cls.__name__, **draft.fields}))
        closed = running.copy()
        closed.update(b"]")
        digests.append(closed.hexdigest())
    return digests


def pending(agreement: Agreement, batch: str, drafts: Sequence[Draft]) -> Pending:
    """What applying ``drafts`` as ``batch`` appends to ``agreement`` (see the module's docstring).

    Raises RuleViolation for a key reused for other facts, and for a file whose applied
    lines were changed, naming the first one."""
    done = already_applied(agreement, batch, drafts)
    if done is not None or not batch.startswith("sha256:"):
        return Pending(drafts, batch, already_applied=done)
    applied = _content_batches(agreement)
    if not applied:
        return Pending(drafts, batch)
    whole = applied.get(batch.removeprefix("sha256:"))
    if whole is not None:  # the file as it was when its last new lines were applied
        return Pending(drafts, batch, already_applied=(whole.facts[0].position, _last_position(agreement, whole)))
    digests = prefix_digests(drafts)
    through = max((k for k in range(1, len(drafts)) if digests[k - 1] in applied), default=0)
    prefix = digests[through - 1] if through else None
    later = [b for b in applied.values() if b.after == prefix]  # batches that went on from that prefix
    if prefix is None:  # a file's first batch: one that starts with this file's first fact
        first = _normal(build_event(drafts[0], _draft_event))
        later = [b for b in later if _normal(b.facts[0]) == first]
    for went_on in sorted(later, key=lambda b: b.facts[0].position):
        _refuse_a_changed_line(drafts[through:], went_on.facts)
    if not through:
        return Pending(drafts, batch)
    return Pending(drafts[through:], f"{batch}{AFTER}{prefix}", applied_before=through)


def _last_position(agreement: Agreement, applied: _Applied) -> int:
    """The last position of a batch, derived events included (as ``batch_positions`` counts)."""
    batch = applied.facts[0].batch
    return max(event.position for event in agreement.events if event.batch == batch)


def _refuse_a_changed_line(drafts: Sequence[Draft], facts: Sequence[LedgerEvent]) -> None:
    """RuleViolation naming the first of ``drafts`` that states other than the applied ``facts``
    in their order (or the first applied fact the file no longer has); nothing if they agree
    (written differently, perhaps: that is for the rules)."""
    for draft, fact in zip(drafts, facts, strict=False):
        if _normal(build_event(draft, _draft_event)) != _normal(fact):
            raise RuleViolation(
                f"{draft.where()}differs from the {fact.type} this file's line applied at position "
                f"{fact.position}; an applied fact is corrected by a new one (EventRetracted), not by "
                "editing the file: nothing appended",
                CLAUSE,
            )
    if len(drafts) < len(facts):
        gone = facts[len(drafts)]
        last = drafts[-1].line if drafts and drafts[-1].line is not None else 0
        raise RuleViolation(
            f"line {last + 1}: the file ends before the {gone.type} it applied at position {gone.position}; "
            "an applied line cannot be removed: nothing appended",
            CLAUSE,
        )


def batch_positions(agreement: Agreement, batch: str) -> tuple[int, int] | None:
    """The first and last positions of the events appended with ``batch``, if any."""
    positions = [event.position for event in agreement.events if event.batch == batch]
    return (min(positions), max(positions)) if positions else None


def _normal(event: LedgerEvent) -> tuple[str, str, dict[str, Any]]:
    return event.type, event.occurred_on.isoformat(), event.payload()


def _draft_event(cls: type[LedgerEvent], fields: Any) -> LedgerEvent:
    envelope = {"originator_id": UUID(int=0), "originator_version": 1, "timestamp": datetime(2000, 1, 1, tzinfo=UTC)}
    return cls.model_validate({**fields, **envelope})


def already_applied(agreement: Agreement, batch: str, drafts: Sequence[Draft]) -> tuple[int, int] | None:
    """The positions where this batch was applied before, or None; a key reused for other facts is refused."""
    positions = batch_positions(agreement, batch)
    if positions is None or not batch.startswith("key:"):
        return positions
    before = [_normal(e) for e in agreement.events if e.batch == batch and not e.derived]
    now = [_normal(build_event(draft, _draft_event)) for draft in drafts]
    if before != now:
        raise RuleViolation(
            f"idempotency key {batch.removeprefix('key:')!r} was used for different facts at "
            f"{positions_text(*positions)}; nothing appended (use a new key for a new batch)",
            CLAUSE,
        )
    return positions


def positions_text(first: int, last: int) -> str:
    return f"position {first}" if first == last else f"positions {first}-{last}"
