"""The Python API: ``Ledger.open(store)``, the one entry point. Every `apa-ledger` command is a
thin layer over it (it parses options and prints); a script gets the same models and the same
errors (``domain.errors.LedgerError`` and its kinds, each with its clause).

    from commands.api import Ledger

    ledger = Ledger.open("apa-ledger.sqlite")
    ledger.register("APA-2002")
    ledger.apply("APA-2002", [{"type": "EffectiveDateReached", "occurred_on": "2002-12-06"}])
    ledger.state("APA-2002", as_of="2003-12-31").status

Opening is lazy: a reading method needs the store to exist (``StoreError`` "no store at ...")
and never creates one; ``register``, ``apply`` and ``record`` create it on first use.
Dates are ``date`` objects or ``YYYY-MM-DD`` text, moments ``datetime`` or ISO 8601 text
(naive means UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from commands.backup import Backup
    from commands.compare import StoreComparison
    from commands.handlers import Outcome
    from commands.parsing import Draft
    from commands.portfolio.import_files import FileOutcome
    from commands.portfolio.summary import Portfolio
    from commands.reporting.export import ExportResult
    from commands.store.application import LedgerStore
    from domain.events import Evidence, LedgerEvent
    from domain.terms import Terms
    from projections.diff import Impact
    from projections.explain import Explanation
    from projections.models import AgreementState, Obligation

Facts = bytes | Path | Iterable[Mapping[str, Any] | BaseModel]
"""What ``apply`` takes: JSON Lines bytes, a JSON Lines file, or facts one by one (each a
mapping as a JSON Lines line writes it, or an event, e.g. from another ledger's ``history``)."""


class Verification(NamedTuple):
    """What ``verify`` found: ``ok`` (every chain intact and every replay clean) and the summary,
    or the first break, in one line."""

    ok: bool
    message: str


class Ledger:
    """One event store of agreements, opened by ``Ledger.open``."""

    def __init__(
        self,
        location: str | None,
        *,
        clock: Callable[[], datetime] | None = None,
        cipher_key: str | None = None,
        store: LedgerStore | None = None,
    ) -> None:
        self.location = location
        self._clock = clock
        self._cipher_key = cipher_key
        self._store = store
        self._writable = store is not None

    @classmethod
    def open(
        cls,
        store: str | Path | LedgerStore | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        cipher_key: str | None = None,
    ) -> Ledger:
        """The ledger in ``store``: a SQLite file, a ``postgresql://`` URL, or an open
        ``LedgerStore`` (None: $APA_LEDGER_STORE, else ./apa-ledger.sqlite). ``cipher_key``
        defaults to $APA_LEDGER_CIPHER_KEY; ``clock`` stamps ``recorded_at`` (default: UTC now)."""
        from commands.store.application import LedgerStore

        if isinstance(store, LedgerStore):
            return cls(None, store=store)
        if store is not None and not str(store).strip():
            raise InvalidInput("store: empty path", "CLI")
        return cls(None if store is None else str(store), clock=clock, cipher_key=cipher_key)

    # -- the store, opened when first needed ---------------------------------------------

    @property
    def store(self) -> LedgerStore:
        """The underlying event store, opened for reading (it must exist)."""
        if self._store is None:
            self._store = self._open(create=False)
        return self._store

    def _writer(self) -> LedgerStore:
        """The store opened for writing (created if need be), in place of one opened for reading."""
        if not self._writable:
            if self._store is not None:
                self._store.close()
            self._store = self._open(create=True)
            self._writable = True
        assert self._store is not None
        return self._store

    def _open(self, create: bool) -> LedgerStore:
        from commands.store.application import open_store

        return open_store(self.location, create=create, clock=self._clock, cipher_key=self._cipher_key)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- entering facts ------------------------------------------------------------------

    def register(
        self, agreement_id: str, terms: Terms | Mapping[str, Any] | None = None, *, recorded_by: str | None = None
    ) -> Outcome:
        """Preamble: a new agreement on ``terms`` (default: the December 6, 2002 APA's), recorded
        by ``recorded_by`` (default: $APA_LEDGER_USER, else the operating-system user)."""
        from commands.handlers import register_agreement
        from commands.provenance import provenance
        from domain.terms import Terms

        if isinstance(terms, Mapping):
            from pydantic import ValidationError

            from commands.parsing import validation_message

            try:
                terms = Terms.model_validate(dict(terms))
            except ValidationError as exc:
                raise InvalidInput(f"terms: {validation_message(exc)}", "terms") from None
        by = provenance(recorded_by)
        return register_agreement(self._writer(), agreement_id, terms, by)

    def apply(
        self,
        agreement_id: str,
        facts: Facts,
        *,
        dry_run: bool = False,
        idempotency_key: str | None = None,
        recorded_by: str | None = None,
        evidence: Sequence[str | Path | Evidence] = (),
    ) -> Outcome:
        """Apply ``facts`` as one batch, all or nothing (`apa-ledger apply`). A batch applied before
        appends nothing (``Outcome.already_applied``); so does an unchanged file, and a file grown
        at its end appends only its new facts (``commands.idempotency``). With ``dry_run``
        nothing is appended: ``Outcome.appended`` is what would be. Every event carries
        ``recorded_by`` (default: $APA_LEDGER_USER, else the operating-system user) and the
        documents ``evidence`` names (files, read for their name, size and SHA-256), besides
        those a fact names itself (``commands.provenance``)."""
        from commands.handlers import apply_facts
        from commands.idempotency import batch_of
        from commands.provenance import provenance

        by = provenance(recorded_by, evidence)
        drafts, batch = batch_of(_drafts(facts), idempotency_key)
        store = self._writer() if not dry_run else self.store
        return apply_facts(store, agreement_id, drafts, dry_run=dry_run, batch=batch, by=by)

    def record(
        self,
        agreement_id: str,
        fact: Mapping[str, Any],
        *,
        recorded_by: str | None = None,
        evidence: Sequence[str | Path | Evidence] = (),
    ) -> Outcome:
        """Record one fact (`apa-ledger record`); no batch id, so the same fact recorded twice is
        two facts, for the rules to accept or refuse. ``recorded_by`` and ``evidence`` as for
        ``apply``."""
        from commands.handlers import apply_facts
        from commands.parsing import draft_from_mapping
        from commands.provenance import provenance

        by = provenance(recorded_by, evidence)
        return apply_facts(self._writer(), agreement_id, [draft_from_mapping(dict(fact))], by=by)

    # -- reading -------------------------------------------------------------------------

    def agreement_ids(self) -> list[str]:
        """Every agreement in the store, in the order registered."""
        return self.store.agreement_ids()

    def events(self, agreement_id: str) -> Sequence[LedgerEvent]:
        """Every event of one agreement, in position order."""
        return self.store.load(agreement_id).events

    def history(
        self, agreement_id: str, as_of: date | str | None = None, known_at: datetime | str | None = None
    ) -> list[LedgerEvent]:
        """The events of one agreement (`apa-ledger history`): those that occurred by ``as_of``
        and were recorded by ``known_at``, each only if given."""
        from commands.handlers import events_known

        day = None if as_of is None else parse_day(as_of, "as_of")
        return events_known(self.events(agreement_id), day, parse_moment(known_at, "known_at"))

    def server_users(self, agreement_id: str) -> dict[int, str]:
        """On PostgreSQL, each event's appending role as the server recorded it (its store chain
        seal's ``db_user``, ``commands.store.seals``), by position; empty on SQLite."""
        from domain.agreement import agreement_uuid

        ident = agreement_uuid(agreement_id)
        users: dict[int, str] = {}
        for seal in self.store.recorder.select_seals():  # type: ignore[attr-defined]
            if seal.originator_id == ident and seal.db_user:
                users.update(dict.fromkeys(range(seal.position - seal.count + 1, seal.position + 1), seal.db_user))
        return users

    def state(
        self, agreement_id: str, as_of: date | str | None = None, known_at: datetime | str | None = None
    ) -> AgreementState:
        """The state on ``as_of`` (default today) as known at ``known_at`` (default: now): the
        model `state --json` prints."""
        from projections.state import project

        return project(self.events(agreement_id), parse_day(as_of, "as_of"), parse_moment(known_at, "known_at"))

    def explain(
        self,
        agreement_id: str,
        figure: str | None = None,
        as_of: date | str | None = None,
        known_at: datetime | str | None = None,
    ) -> Explanation:
        """How one figure (a dotted key of `state --json`) is derived; an unknown key is an
        ``InvalidInput`` naming the closest keys that have an explanation."""
        from projections.explain import explanations, find

        events = self.events(agreement_id)
        state, found = explanations(events, parse_day(as_of, "as_of"), parse_moment(known_at, "known_at"))
        return find(found, state, figure or "").with_sources(events)

    def explanations(
        self, agreement_id: str, as_of: date | str | None = None, known_at: datetime | str | None = None
    ) -> tuple[AgreementState, dict[str, Explanation]]:
        """The state and every figure's explanation by dotted key (`state --explain`)."""
        from projections.explain import explanations

        return explanations(self.events(agreement_id), parse_day(as_of, "as_of"), parse_moment(known_at, "known_at"))

    def diff(
        self,
        agreement_id: str,
        known_at: datetime | str,
        until: datetime | str | None = None,
        as_of: date | str | None = None,
    ) -> Impact:
        """Which figures of the state on ``as_of`` differ as known at ``known_at`` and at ``until``
        (default: now), and the events recorded in between that bear on that date."""
        from projections.diff import impact
        from projections.state import project

        day = parse_day(as_of, "as_of")
        t1, t2 = parse_moment(known_at, "known_at"), parse_moment(until, "until")
        if t1 is None:
            raise InvalidInput("diff needs a moment to compare with (known_at)", "CLI")
        if t2 is not None and t2 < t1:
            raise InvalidInput(f"--known-at T2 ({t2.isoformat()}) is before T1 ({t1.isoformat()})", "CLI")
        events = list(self.events(agreement_id))
        before = project(events, day, t1).model_dump(mode="json")
        after = project(events, day, t2).model_dump(mode="json")
        return impact(events, day, before, after, t1, t2)

    def calendar(
        self,
        agreement_id: str,
        as_of: date | str | None = None,
        due_from: date | str | None = None,
        due_to: date | str | None = None,
    ) -> list[Obligation]:
        """The obligations with their status on ``as_of``, those due in ``due_from..due_to``."""
        low = None if due_from is None else parse_day(due_from, "--from")
        high = None if due_to is None else parse_day(due_to, "--to")
        return [
            o
            for o in self.state(agreement_id, as_of).obligations
            if (low is None or o.due_on >= low) and (high is None or o.due_on <= high)
        ]

    def calendar_ics(
        self,
        agreement_ids: Sequence[str] | None = None,
        as_of: date | str | None = None,
        due_from: date | str | None = None,
        due_to: date | str | None = None,
        remind: Sequence[int] | None = None,
    ) -> tuple[str, int]:
        """The iCalendar file of the obligations of ``agreement_ids`` (None: every agreement in
        the store) on ``as_of``, with reminders ``remind`` days before (default 7 and 1), and
        how many events it holds (`apa-ledger calendar --ics`)."""
        from commands.reporting.calendar_ics import REMINDER_DAYS, AgreementCalendar, calendar_ics, revisions
        from commands.reporting.report import registered_terms

        day = parse_day(as_of, "as_of")
        chosen = list(self.agreement_ids() if agreement_ids is None else agreement_ids)
        parts, named = [], set()
        for agreement_id in chosen:
            events = self.events(agreement_id)
            items = self.calendar(agreement_id, day, due_from, due_to)
            stamped = max(e.timestamp for e in events)
            terms = registered_terms(events)
            named.add(f"the {terms.heading} among {terms.parties}")
            parts.append(
                AgreementCalendar(agreement_id, items, revisions(events, day), stamped, f"the {terms.heading}")
            )
        name = f"{chosen[0]} obligations" if len(chosen) == 1 else f"Obligations of {len(chosen)} agreements"
        about = f"Obligations under {named.pop()}" if len(named) == 1 else f"Obligations under {len(chosen)} agreements"
        text = calendar_ics(parts, day, name, REMINDER_DAYS if remind is None else remind, about if chosen else "")
        return text, sum(len(p.obligations) for p in parts)

    def agreements(
        self, as_of: date | str | None = None, known_at: datetime | str | None = None, workers: int | None = None
    ) -> Portfolio:
        """Every agreement's headline figures on ``as_of``, with totals (`apa-ledger agreements`)."""
        from commands.portfolio.summary import portfolio

        return portfolio(self.store, parse_day(as_of, "as_of"), parse_moment(known_at, "known_at"), workers)

    # -- evidence and outputs ------------------------------------------------------------

    def verify(
        self,
        agreement_id: str | None = None,
        expect_head: str | None = None,
        workers: int | None = None,
        *,
        checkpoints: Sequence[str] = (),
        key: str | None = None,
        evidence: str | None = None,
    ) -> Verification:
        """Check every stored record, chain and derived event (or one agreement's), replay from
        scratch, and prove the store still extends each checkpoint file named (signed ones with
        the signing key in the file ``key``, default $APA_LEDGER_SIGNING_KEY's). With
        ``evidence`` (a directory), every recorded document found there is re-hashed and must
        be the one recorded."""
        from commands.audit import verify_store
        from commands.handlers import check_head_hash
        from domain.errors import UnknownAgreement

        store = self.store
        if agreement_id is not None and not store.exists(agreement_id):
            raise UnknownAgreement(f"no agreement {agreement_id!r} in this store")  # a user error, not a break
        if expect_head is not None:
            check_head_hash(agreement_id, expect_head)
        from commands.checkpoint import check_all, read_key

        signing_key = read_key(key)
        ok, message = verify_store(store, agreement_id, expect_head, workers, signing_key)
        if ok and checkpoints:
            problem, extended = check_all(store, checkpoints, signing_key)
            ok, message = (False, f"verify FAILED: {problem}") if problem else (True, message + extended)
        if ok and evidence is not None:
            from commands.provenance import check_documents

            ids = [agreement_id] if agreement_id is not None else store.agreement_ids()
            found = check_documents(((a, store.load(a).events) for a in ids), evidence)
            ok, message = (
                (False, f"verify FAILED: {found.mismatch}")
                if found.mismatch
                else (True, message + found.summary(evidence))
            )
        return Verification(ok, message)

    @property
    def encrypted(self) -> bool:
        """Whether the store keeps its events encrypted ($APA_LEDGER_CIPHER_KEY)."""
        return self.store.mapper.cipher is not None

    def refuse_plaintext(self, output: str) -> None:
        """No silent plaintext: raise ``StoreError`` if the store is encrypted, since ``output``
        (e.g. "the page report.html") would hold its figures in plaintext
        (``commands.reporting.plaintext``). The CLI calls it unless --plaintext is given."""
        if self.encrypted:
            from commands.reporting.plaintext import refuse_plaintext
            from commands.store.application import describe_store, store_url

            raise refuse_plaintext(describe_store(store_url(self.location)), output)

    def checkpoint(self, *, key: str | None = None) -> dict[str, Any]:
        """The store's heads now (`apa-ledger checkpoint`): every agreement's count of events and
        last hash, signed with the key in the file ``key`` (default $APA_LEDGER_SIGNING_KEY's)."""
        from commands.checkpoint import read_key, take
        from commands.store.application import describe_store, store_url

        store = self.store
        return take(store, describe_store(store_url(self.location)), store.clock(), read_key(key))

    def copy_to(self, target: str, *, cipher_key: str = "") -> tuple[int, str]:
        """Every event into the new, empty store ``target`` (`apa-ledger copy`), encrypted with
        ``cipher_key`` (empty: not encrypted); the events copied and the copy's verify message."""
        from commands.store.application import open_store
        from commands.store.copy import copy_store

        return copy_store(self.store, open_store(target, cipher_key=cipher_key))

    def backup(self, to: str, *, key: str | None = None) -> Backup:
        """Back the store up to the new SQLite file ``to`` ("-": stdout) and prove the copy: it
        must verify and hold the source's checkpoint taken in the same read (signed with the
        key in the file ``key``, default $APA_LEDGER_SIGNING_KEY's). ``Backup.ok`` says so."""
        from commands.backup import backup
        from commands.checkpoint import read_key
        from commands.store.application import store_url

        store = self.store
        return backup(store, store_url(self.location), to, store.clock(), read_key(key), self._cipher_key)

    def export(
        self,
        to: str,
        *,
        rebuild: bool = False,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        waiting: Callable[[], None] | None = None,
        plaintext: bool = False,
    ) -> ExportResult:
        """Bring the SQLite read model at ``to`` up to date (`apa-ledger export`). From an
        encrypted store only with ``plaintext`` (else ``StoreError``, nothing written); the
        model is then marked so that `serve` asks for --plaintext too."""
        from commands.reporting.export import export

        if not plaintext:
            self.refuse_plaintext(f"the read model {to}")
        return export(self.store, to, rebuild=rebuild, progress=progress, workers=workers, waiting=waiting)

    def report(
        self, agreement_id: str, as_of: date | str | None = None, progress: Callable[[int], None] | None = None
    ) -> str:
        """The one-file HTML dashboard of one agreement (`apa-ledger report`)."""
        from commands.reporting.report import render_report

        return render_report(agreement_id, self.events(agreement_id), parse_day(as_of, "as_of"), progress=progress)

    def import_files(
        self,
        sources: Sequence[str | Path],
        *,
        dry_run: bool = False,
        workers: int | None = None,
        progress: Callable[[FileOutcome], None] | None = None,
    ) -> list[FileOutcome]:
        """Import a portfolio (`apa-ledger import`): one AGREEMENT_ID.jsonl file per agreement."""
        from commands.portfolio.import_files import agreement_files, import_files

        files = agreement_files([str(s) for s in sources])
        store = self.store if dry_run else self._writer()  # a dry run reads: it creates no store
        return import_files(store, files, dry_run=dry_run, workers=workers, progress=progress)

    def compare(self, other: Ledger, as_of: date | str | None = None, workers: int | None = None) -> StoreComparison:
        """This store and ``other``, agreement by agreement and event by event (`apa-ledger compare`)."""
        from commands.compare import compare_stores
        from commands.store.application import describe_store, store_url

        here = describe_store(store_url(self.location))
        there = describe_store(store_url(other.location))
        return compare_stores(self.store, other.store, here, there, parse_day(as_of, "as_of"), workers)


def _drafts(facts: Facts) -> list[Draft]:
    """The facts as drafts, each with its line (its place in the batch, from 1)."""
    from commands.parsing import draft_from_mapping, parse_jsonl, read_path
    from domain.events import ENVELOPE, WRITTEN_BY_USERS, LedgerEvent

    if isinstance(facts, bytes | bytearray):
        return parse_jsonl(bytes(facts))
    if isinstance(facts, Path):
        return parse_jsonl(read_path(facts, repr(str(facts))))
    if isinstance(facts, str):
        raise InvalidInput("facts: a list of facts, JSON Lines bytes or a Path (not text)", "CLI")
    drafts = []
    for line, fact in enumerate(facts, start=1):
        if isinstance(fact, LedgerEvent):
            fact = {
                "type": fact.type,
                **fact.model_dump(mode="json", exclude=set(ENVELOPE - WRITTEN_BY_USERS), exclude_defaults=True),
            }
        elif isinstance(fact, BaseModel):
            fact = fact.model_dump(mode="json", exclude_defaults=True)
        drafts.append(draft_from_mapping(dict(fact), line))
    if not drafts:
        raise InvalidInput("the input holds no facts", "import format")
    return drafts


def parse_day(value: date | str | None, name: str = "as_of") -> date:
    """A date given as a ``date`` or as YYYY-MM-DD text; None is today."""
    from domain.values import parse_date

    if value is None:
        return date.today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {exc}", "CLI") from None


def parse_moment(value: datetime | str | None, name: str = "known_at") -> datetime | None:
    """A moment given as a ``datetime`` or ISO 8601 text (a bare date is its last instant);
    naive means UTC."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip()
    try:
        if len(text) == 10:
            stamp = datetime.combine(date.fromisoformat(text), datetime.max.time())
        else:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name}: {value[:60]!r} is not an ISO 8601 timestamp", "CLI") from None
    try:
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
        raise InvalidInput(
            f"{name}: {value[:60]!r} is out of range (in UTC it must fall within the years 1 to 9999)", "CLI"
        ) from None
