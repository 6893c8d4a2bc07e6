"""`apa-ledger import`: a portfolio applied at once, one JSON Lines file per agreement.

Each file ``AGREEMENT_ID.jsonl`` is what `apa-ledger apply AGREEMENT_ID FILE` would
apply, and is applied exactly so: its own all-or-nothing batch, checked against
that agreement's state, idempotent (a file applied before is recognised and
appends nothing). An agreement not yet in the store is registered with its file, in
the same transaction, on the terms in ``AGREEMENT_ID.terms.json`` beside it if there
is one (else this agreement's own terms); if it is registered already, such a terms
file must state its terms.

Agreements are independent aggregates, so a large portfolio is applied by worker
processes, one per core, each with its own connection: like several clerks
applying at once. Each process checks a few files and appends the accepted ones
in one transaction (a group commit, ``import_together``); a conflict with another
writer sends each of them through ``apply``'s own retry. A rejected file appends nothing and
the others are still applied; running the import again after fixing it applies
only what is new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from eventsourcing.persistence import IntegrityError

from commands import workers as pool_of
from commands.handlers import apply_facts, register_and_apply
from commands.idempotency import read_batch
from commands.parsing import read_path, read_terms
from commands.provenance import provenance
from commands.store.application import LedgerStore
from domain.chain import Sealed
from domain.errors import InvalidInput, LedgerError, RuleViolation, UnknownAgreement
from domain.events import LedgerEvent

SUFFIX = ".jsonl"
TERMS_SUFFIX = ".terms.json"
TOGETHER = 8
"""Files a transaction at most (``import_together``)."""
PARALLEL_FROM = 2_000_000
"""Bytes of facts (about 20,000 facts at ~100 bytes a line) from which workers pay for their start."""


@dataclass(frozen=True)
class AgreementFile:
    """One agreement's facts and, if given, its terms."""

    agreement_id: str
    path: Path
    terms: Path | None = None


@dataclass(frozen=True)
class FileOutcome:
    """What importing one file did: registered its agreement, appended (or would append) events,
    found it applied already, or was rejected (``error``, the rule and clause; nothing appended)."""

    file: AgreementFile
    registered: bool = False
    appended: int = 0
    already_applied: bool = False
    error: str | None = None


def agreement_files(sources: Sequence[str]) -> list[AgreementFile]:
    """The files to import: each source is a ``.jsonl`` file or a directory of them (sorted by
    name); an agreement's id is its file's name without ``.jsonl``. Refused before anything is
    applied: a source that does not exist, a file of another kind, an empty directory, and two
    files for one agreement."""
    files: list[AgreementFile] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.name.endswith(SUFFIX) and p.is_file())
            if not found:
                raise InvalidInput(f"{source}: no {SUFFIX} files in this directory", "import")
            files += map(_agreement_file, found)
        elif path.is_file() and path.name.endswith(SUFFIX):
            files.append(_agreement_file(path))
        elif path.exists():
            raise InvalidInput(f"{source}: not a {SUFFIX} file or a directory", "import")
        else:
            raise InvalidInput(f"{source}: no such file or directory", "import")
    seen: dict[str, Path] = {}
    for file in files:
        if file.agreement_id in seen:
            raise InvalidInput(
                f"{file.path} and {seen[file.agreement_id]} are both agreement {file.agreement_id!r}", "import"
            )
        seen[file.agreement_id] = file.path
    return files


def _agreement_file(path: Path) -> AgreementFile:
    agreement_id = path.name.removesuffix(SUFFIX)
    terms = path.with_name(agreement_id + TERMS_SUFFIX)
    return AgreementFile(agreement_id, path, terms if terms.is_file() else None)


def import_files(
    store: LedgerStore,
    files: Sequence[AgreementFile],
    *,
    dry_run: bool = False,
    workers: int | None = None,
    progress: Callable[[FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    """Import every file (``import_file``), in ``workers`` processes (None: every core for a
    large portfolio, 0: in this one); the outcomes in the files' order."""
    if workers is None:
        workers = pool_of.worker_count(sum(file.path.stat().st_size for file in files), PARALLEL_FROM)
    outcomes = []
    for outcome in _outcomes(store, files, dry_run, min(workers, len(files))):
        if progress is not None:
            progress(outcome)
        outcomes.append(outcome)
    return outcomes


def _outcomes(store: LedgerStore, files: Sequence[AgreementFile], dry_run: bool, workers: int) -> Iterator[FileOutcome]:
    """The files' outcomes in their order, worked out here or, with ``workers`` > 1, here and in
    ``workers - 1`` more processes, a few files a time (``import_together``)."""
    size = max(1, min(TOGETHER, len(files) // (max(1, workers) * 8)))  # every process busy to the end
    chunks = [files[start : start + size] for start in range(0, len(files), size)]
    if workers <= 1:
        return (outcome for chunk in chunks for outcome in import_together(store, chunk, dry_run))
    here = partial(import_together, store, dry_run=dry_run)
    return pool_of.alongside_workers(store, chunks, here, _import_together, workers - 1, dry_run=dry_run)


def _import_together(files: Sequence[AgreementFile]) -> list[FileOutcome]:
    state = pool_of.worker_state()
    return import_together(state["store"], files, state["dry_run"])


def import_together(store: LedgerStore, files: Sequence[AgreementFile], dry_run: bool = False) -> list[FileOutcome]:
    """Check each file as `apply` checks it, then append every accepted file's events in one
    transaction: a group commit, one for several agreements instead of one each, because each
    commit pays an ``fsync`` and a turn at the write lock. Each file is still whole
    or absent: the transaction holds whole files, a rejected file adds nothing to it, and if
    another writer appended to any of these agreements meanwhile (the store's conflict), each
    file goes again on its own, re-read and re-checked (``import_file``)."""
    checked = [_import(store, file, dry_run=True) for file in files]
    rows = [row for _, planned in checked for row in planned]
    if not dry_run and rows:
        try:
            store.save(*rows)
        except IntegrityError:
            return [import_file(store, file) for file in files]
    return [outcome for outcome, _ in checked]


def import_file(store: LedgerStore, file: AgreementFile, dry_run: bool = False) -> FileOutcome:
    """Apply the file as `apply` does, to its agreement or, if that is new, to the agreement
    registered with it in the same transaction; a rejection is the outcome's ``error`` (the
    file's name, the line, the rule and the clause), and appends nothing."""
    return _import(store, file, dry_run)[0]


def _import(
    store: LedgerStore, file: AgreementFile, dry_run: bool
) -> tuple[FileOutcome, tuple[Sealed | LedgerEvent, ...]]:
    """``import_file``, with what the store appended (or, ``dry_run``, would append) for it:
    ``Outcome.rows``, so that the group commit stores each event as it was sealed."""
    try:
        drafts, batch = read_batch(_read(file.path))
        terms = read_terms(_read(file.terms), str(file.terms)) if file.terms else None
        if terms is not None and store.exists(file.agreement_id) and store.load(file.agreement_id).terms != terms:
            raise RuleViolation(
                f"agreement {file.agreement_id!r} is registered with other terms than {file.terms}", "preamble"
            )
        by = provenance()  # $APA_LEDGER_USER, else the operating-system user (also in a worker process)
        try:
            outcome = apply_facts(store, file.agreement_id, drafts, dry_run=dry_run, batch=batch, by=by)
        except UnknownAgreement:
            new = register_and_apply(store, file.agreement_id, terms, drafts, dry_run, batch, by)
            if new is None:  # another writer registered it meanwhile
                outcome = apply_facts(store, file.agreement_id, drafts, dry_run=dry_run, batch=batch, by=by)
            else:
                return FileOutcome(file, registered=True, appended=len(new.appended) - 1), new.rows
    except LedgerError as exc:
        return FileOutcome(file, error=f"{file.path}: {exc}"), ()
    applied = FileOutcome(file, appended=len(outcome.appended), already_applied=bool(outcome.already_applied))
    return applied, outcome.rows


def _read(path: Path) -> bytes:
    return read_path(path, str(path), "import")
