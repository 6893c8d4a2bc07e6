"""Encryption at rest: the library's AES-GCM cipher and zlib compressor, keyed by APA_LEDGER_CIPHER_KEY.

The key is checked before the store is opened (a malformed key is a clear error,
not a library traceback), and the first and last stored events are read back at
once, so that a wrong or missing key is reported as such - one line, exit 2 -
instead of as garbage or as a "tampered" store.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from domain.errors import StoreError

CIPHER_ENV = "APA_LEDGER_CIPHER_KEY"
CLAUSE = "store encryption"
KEY_BYTES = (16, 24, 32)


def create_key() -> str:
    """A new random AES-256 key, base64 (eventsourcing's ``AESCipher.create_key``)."""
    from eventsourcing.cipher import AESCipher

    return AESCipher.create_key(32)


def cipher_env(key: str) -> dict[str, str]:
    """The eventsourcing settings for an encrypted, compressed store, after checking the key's shape."""
    try:
        size = len(base64.b64decode(key.strip(), validate=True))
    except (binascii.Error, ValueError):
        size = -1
    if size not in KEY_BYTES:
        raise StoreError(
            f"{CIPHER_ENV} is not a key: expected base64 of 16, 24 or 32 bytes (make one with `apa-ledger keygen`)",
            CLAUSE,
        )
    return {
        "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
        "CIPHER_KEY": key.strip(),
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
    }


def _sample(store: Any) -> list[Any]:
    recorder = store.recorder
    sample = list(recorder.select_notifications(None, 2))
    last = recorder.max_notification_id()
    if sample and last is not None and last != sample[-1].id:
        sample += recorder.select_notifications(last, 1)
    return sample


def check_readable(store: Any, where: str) -> None:
    """Read a few stored events back; if none decodes, say why (key wrong, missing or superfluous).

    One readable event is enough: the key is right, and a damaged event elsewhere
    is for `apa-ledger verify` to report as a broken chain."""
    sample = _sample(store)
    problems = []
    from commands.store.application import NotAsStored

    for notification in sample:
        try:
            store.mapper.to_domain_event(notification)
            return
        except NotAsStored as exc:
            if exc.parsed:  # the key is right: the record is JSON, edited (for `verify` to name)
                return
            problems.append(exc.message[:80])
        except Exception as exc:  # MAC check failed, not JSON, not zlib ...
            problems.append(str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__)
    if not sample:
        return
    # A record is plaintext when it parses as JSON: a first byte of "{" alone is not enough, as
    # one ciphertext in 256 starts with it (TEXT after an edit with SQLite's replace() too).
    plaintext = all(_is_json(n.state) for n in sample)
    if store.mapper.cipher is not None and plaintext:
        message = f"{CIPHER_ENV} is set but the store {where} is not encrypted; unset it (or `apa-ledger copy` it)"
    elif store.mapper.cipher is not None:
        message = f"{CIPHER_ENV} is not the key the store {where} was encrypted with (decryption fails)"
    elif not plaintext:
        message = f"the store {where} is encrypted: set {CIPHER_ENV} to its key"
    else:
        message = f"the store {where} cannot be read: {problems[0]}"
    raise StoreError(message, CLAUSE)


def _is_json(state: bytes | str) -> bool:
    """Whether a stored record is JSON (a plaintext store's) rather than ciphertext."""
    import orjson

    try:
        orjson.loads(state)
    except orjson.JSONDecodeError:
        return False
    return True
