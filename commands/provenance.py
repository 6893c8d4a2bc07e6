"""Provenance of a batch: who recorded it, and the documents its facts rest on.

Every event a batch appends carries ``recorded_by`` (``--recorded-by NAME``, else
``$APA_LEDGER_USER``, else the operating-system user) and its ``evidence``: the documents
named by ``--evidence FILE`` for the whole batch, and those a JSON Lines fact names in its
own ``"evidence"`` field. A document is kept as its name, size and SHA-256, never its
content. Both are fields of the event, so the hash chain covers them (``domain.chain``);
an event recorded before they existed has neither and keeps its hash (``domain.stored_form``).
``verify --evidence DIR`` re-hashes the documents found in DIR (``check_documents``).
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidInput
from domain.events import Evidence, LedgerEvent

USER_ENV = "APA_LEDGER_USER"
CLAUSE = "provenance"
MAX_NAME = 128
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who records a batch and the documents every fact of it rests on."""

    recorded_by: str = ""
    evidence: tuple[Evidence, ...] = ()

    def fields(self, own: Sequence[object] = ()) -> dict[str, object]:
        """The envelope fields of one event: this batch's recorder, and the fact's ``own``
        documents followed by the batch's."""
        values: dict[str, object] = {}
        if self.recorded_by:
            values["recorded_by"] = self.recorded_by
        documents = [*own, *self.evidence]
        if documents:
            values["evidence"] = documents
        return values


UNRECORDED = Provenance()
"""No recorder and no documents: what ``verify`` plans a stored batch again with."""


def recorder(explicit: str | None = None) -> str:
    """``explicit``, else ``$APA_LEDGER_USER``, else the operating-system user (``uid:N`` when
    the system has no name for it), checked: 1-128 printable characters."""
    name = explicit if explicit is not None else os.environ.get(USER_ENV) or _os_user()
    if not (0 < len(name) <= MAX_NAME) or not name.isprintable() or name != name.strip():
        raise InvalidInput(
            f"--recorded-by / ${USER_ENV}: 1-{MAX_NAME} printable characters, no leading or trailing space", CLAUSE
        )
    return name


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (some containers)
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def document(path: str | Path) -> Evidence:
    """A document as the ledger keeps it: its file name, size and SHA-256 (read, never stored)."""
    file = Path(path)
    digest = hashlib.sha256()
    size = 0
    try:
        with file.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InvalidInput(f"--evidence {str(path)[:200]!r}: {exc.strerror or type(exc).__name__}", CLAUSE) from None
    except ValueError:  # a NUL byte in the path
        raise InvalidInput(f"--evidence {str(path)[:200]!r}: not a valid file name", CLAUSE) from None
    return Evidence(name=file.name, sha256=digest.hexdigest(), size=size)


def provenance(recorded_by: str | None = None, evidence: Iterable[str | Path | Evidence] = ()) -> Provenance:
    """The provenance of a batch from the options of `apply` and `record` (and the API's)."""
    documents = tuple(e if isinstance(e, Evidence) else document(e) for e in evidence)
    return Provenance(recorder(recorded_by), tuple(dict.fromkeys(documents)))


@dataclass(frozen=True, slots=True)
class DocumentCheck:
    """What ``verify --evidence DIR`` found: documents re-hashed, those named but not found,
    and the first that does not match what was recorded (or None)."""

    checked: int
    missing: tuple[str, ...]
    mismatch: str | None

    def summary(self, directory: str) -> str:
        one = self.checked == 1
        found = (
            f"; {self.checked} document{'' if one else 's'} in {directory} match{'es its' if one else ' their'} SHA-256"
        )
        if self.missing:
            first = ", ".join(self.missing[:3]) + (" ..." if len(self.missing) > 3 else "")
            found += f" ({len(self.missing)} named but not there: {first})"
        return found


def check_documents(agreements: Iterable[tuple[str, Sequence[LedgerEvent]]], directory: str) -> DocumentCheck:
    """Re-hash every document the events name that is found in ``directory`` (by its recorded
    name); the first whose size or SHA-256 differs from what was recorded is the mismatch."""
    root = Path(directory)
    if not root.is_dir():
        raise InvalidInput(f"--evidence {directory[:200]!r} is not a directory", CLAUSE)
    hashed: dict[str, Evidence | None] = {}
    checked: set[str] = set()
    missing: dict[str, None] = {}
    for agreement_id, events in agreements:
        for event in events:
            for recorded in event.evidence:
                if recorded.name not in hashed:
                    path = root / recorded.name
                    hashed[recorded.name] = document(path) if path.is_file() else None
                found = hashed[recorded.name]
                if found is None:
                    missing[recorded.name] = None
                    continue
                if found.sha256 != recorded.sha256 or (recorded.size is not None and found.size != recorded.size):
                    return DocumentCheck(
                        len(checked),
                        tuple(missing),
                        f"agreement {agreement_id}, position {event.position}: the document {recorded.name} in "
                        f"{directory} is not the one recorded (sha256 {found.sha256[:16]}..., {found.size} bytes; "
                        f"recorded {recorded.sha256[:16]}...{_size(recorded.size)})",
                    )
                checked.add(recorded.name)
    return DocumentCheck(len(checked), tuple(missing), None)


def _size(size: int | None) -> str:
    return "" if size is None else f", {size} bytes"
