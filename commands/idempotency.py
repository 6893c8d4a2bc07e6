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
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
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
