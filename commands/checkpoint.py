"""Checkpoints: a store's heads written down to be kept elsewhere, and proof the store still extends them.

A hash chain cannot show that its own last events, a whole agreement, or the whole file
were taken away: what is left is still a valid chain. A checkpoint records, at one moment,
every agreement's count of events and last hash, and the store's count of events and of
agreements (``apa-ledger checkpoint``). Kept where the store's writer cannot reach it (the
audit file, an e-mail to the other party), it later proves that the store still extends it
(``verify --checkpoint``): every agreement it lists is still there, with at least as many
events, and its event at the checkpoint's count still has the checkpoint's hash. A deleted
agreement or registration, a truncated chain and a file rolled back to an older copy are
each named.

With a signing key (``apa-ledger keygen``; ``$APA_LEDGER_SIGNING_KEY`` names its file) the
checkpoint carries an HMAC-SHA-256 over its canonical JSON, so that one cannot be written
or altered without the key; without a key it is plain and only as safe as where it is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from commands.store.application import LedgerStore
from domain.errors import InvalidInput
from domain.event_json import canonical_json

FORMAT = "apa-ledger checkpoint 1"
KEY_ENV = "APA_LEDGER_SIGNING_KEY"
CLAUSE = "tamper evidence"


def new_key(path: Path) -> str:
    """Write a new 256-bit signing key to ``path`` (hex, readable by its owner only); its id."""
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{path} exists: a signing key is never overwritten", CLAUSE) from None
    except OSError as exc:
        raise InvalidInput(f"cannot write the key {path}: {exc.strerror}", CLAUSE) from None
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key_id(bytes.fromhex(key))


def key_id(key: bytes) -> str:
    """A key's public name: the first 16 hex digits of its SHA-256 (the key itself is never shown)."""
    return hashlib.sha256(key).hexdigest()[:16]


def read_key(path: str | None) -> bytes | None:
    """The signing key in ``path`` (default: the file ``$APA_LEDGER_SIGNING_KEY`` names), or None."""
    path = path or os.environ.get(KEY_ENV) or None
    if path is None:
        return None
    try:
        text = Path(path).read_text().strip()
        key = bytes.fromhex(text)
    except OSError as exc:
        raise InvalidInput(f"cannot read the signing key {path}: {exc.strerror}", CLAUSE) from None
    except ValueError:
        raise InvalidInput(f"{path} is not a signing key made by `apa-ledger keygen`", CLAUSE) from None
    if len(key) < 32:
        raise InvalidInput(f"{path} is not a signing key made by `apa-ledger keygen` (too short)", CLAUSE)
    return key


def _signature(key: bytes, body: dict[str, Any]) -> str:
    return hmac.new(key, canonical_json(body), hashlib.sha256).hexdigest()


def take(store: LedgerStore, where: str, now: datetime, key: bytes | None) -> dict[str, Any]:
    """The checkpoint of ``store`` now: every agreement's events and head, signed with ``key``."""
    heads: dict[str, dict[str, Any]] = {}
    for agreement_id in store.agreement_ids():
        events = store.load(agreement_id).events
        heads[agreement_id] = {"events": len(events), "head": events[-1].hash}
    seals = store.recorder.select_seals()  # type: ignore[attr-defined]
    return written(heads, where, now, key, (seals[-1].seq, seals[-1].seal) if seals else None)


def written(
    heads: dict[str, dict[str, Any]],
    where: str,
    now: datetime,
    key: bytes | None,
    store_head: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """The checkpoint of these heads (agreement id -> its count of events and last hash) and of
    the store chain's head (its last seal's sequence number and seal, ``commands.store.seals``)."""
    total = sum(head["events"] for head in heads.values())
    body: dict[str, Any] = {
        "format": FORMAT,
        "store": where,
        "taken_at": now.isoformat().replace("+00:00", "Z"),
        "agreements": len(heads),
        "events": total,
        "heads": heads,
    }
    if store_head is not None:
        body["store_chain"] = {"seq": store_head[0], "seal": store_head[1]}
    if key is not None:
        body["key_id"] = key_id(key)
        body["signature"] = _signature(key, body)
    return body


def read(path: str) -> dict[str, Any]:
    """A checkpoint file ("-" is stdin), its form checked."""
    import sys

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        body = json.loads(text)
    except OSError as exc:
        raise InvalidInput(f"cannot read the checkpoint {path}: {exc.strerror}", CLAUSE) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            f"{path} is not a checkpoint written by `apa-ledger checkpoint` (not JSON)", CLAUSE
        ) from None
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("heads"), dict):
        raise InvalidInput(f"{path} is not a checkpoint written by `apa-ledger checkpoint`", CLAUSE)
    for agreement_id, head in body["heads"].items():
        if not (isinstance(head, dict) and isinstance(head.get("events"), int) and isinstance(head.get("head"), str)):
            raise InvalidInput(f"{path}: the head of {agreement_id!r} is not as a checkpoint writes it", CLAUSE)
    return body


def extends(
    store: LedgerStore, name: str, body: dict[str, Any], key: bytes | None, same_store: bool = True
) -> str | None:
    """None if ``store`` extends the checkpoint ``body`` (read from ``name``), else the break; a
    copy made event by event (``same_store=False``: ``copy``) has a store chain of its own."""
    signature = body.get("signature")
    if signature is not None or key is not None:
        if signature is None:
            return f"checkpoint {name} is not signed, but a signing key is given: it was not written with the key"
        if key is None:
            raise InvalidInput(f"checkpoint {name} is signed: give its key ({KEY_ENV} or --key)", CLAUSE)
        unsigned = {k: v for k, v in body.items() if k != "signature"}
        if body.get("key_id") != key_id(key):
            return f"checkpoint {name} was signed with key {body.get('key_id')}, not with this key ({key_id(key)})"
        if not hmac.compare_digest(str(signature), _signature(key, unsigned)):
            return f"checkpoint {name}: the signature does not verify (the checkpoint was altered)"
    known = set(store.agreement_ids(as_written=False))
    for agreement_id, head in body["heads"].items():
        if agreement_id not in known:
            return (
                f"agreement {agreement_id} of checkpoint {name} ({head['events']} events) is gone: "
                "its registration or all its events were deleted, or the store was rolled back"
            )
        rows = store.recorder.select_events(_uuid(agreement_id), gt=head["events"] - 1, lte=head["events"])
        if not rows:
            count = len(store.recorder.select_events(_uuid(agreement_id)))
            return (
                f"agreement {agreement_id} has {count} events, checkpoint {name} recorded {head['events']}: "
                "events were deleted (a truncated chain or a store rolled back)"
            )
        event = store.mapper.validated(rows[0])
        if event.hash != head["head"]:
            return (
                f"agreement {agreement_id}, position {head['events']}: not the event checkpoint {name} recorded "
                f"(hash {event.hash[:16]}..., the checkpoint has {head['head'][:16]}...): the chain was rewritten"
            )
    chain = body.get("store_chain")
    if same_store and isinstance(chain, dict):  # the agreements extend it: does the store chain?
        found = {seal.seq: seal.seal for seal in store.recorder.select_seals()}  # type: ignore[attr-defined]
        if found.get(chain.get("seq")) != chain.get("seal"):
            return (
                f"store seal {chain.get('seq')} of checkpoint {name} is gone or not the one recorded: the store "
                "chain was truncated, sealed again or rolled back"
            )
    return None


def _uuid(agreement_id: str) -> Any:
    from domain.agreement import agreement_uuid

    return agreement_uuid(agreement_id)


def check_all(store: LedgerStore, names: Sequence[str], key: bytes | None) -> tuple[str | None, str]:
    """(the first break or None, a summary) over every checkpoint file named."""
    newest = ""
    for name in names:
        body = read(name)
        problem = extends(store, name, body, key)
        if problem is not None:
            return problem, ""
        newest = max(newest, str(body.get("taken_at", "")))
    signed = "signed " if key is not None else ""
    count = len(names)
    return None, f"; extends {count} {signed}checkpoint{'s' if count != 1 else ''} (newest {newest})"
