"""Command handlers: validate facts against the state as of their dates, derive, seal, append.

A batch is all-or-nothing: every fact is checked (in ``occurred_on`` order among
everything known), derived events are added (ClaimResolved above the Allowance
adds SharesSurrendered and, where cash is due, CashIndemnityDue), the lot is
chained and appended in one transaction. A concurrent writer's conflict makes
the handler wait (exponential back-off with jitter), re-read, re-validate and
retry, for up to ``$APA_LEDGER_WRITE_TIMEOUT`` seconds (``commands.store.waiting``).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from commands.idempotency import Pending, pending
from commands.parsing import Draft, build_event, validation_message
from commands.provenance import UNRECORDED, Provenance
from commands.store.application import LedgerStore
from commands.store.waiting import WRITE_TIMEOUT_ENV, write_timeout
from domain.agreement import Agreement, project_agreement, register
from domain.chain import Sealed
from domain.errors import ConcurrentWrite, InvalidInput, RuleViolation
from domain.events import (
    AgreementRegistered,
    CashIndemnityDue,
    ClaimResolved,
    EventRetracted,
    LedgerEvent,
    SharesSurrendered,
)
from domain.terms import Terms
from projections.facts import ZERO, Claim
from projections.ledger import Fold, effective_events

FIRST_BACKOFF = 0.01
"""Seconds: the ceiling of the first wait after a lost race (it doubles with each loss)."""
MAX_BACKOFF = 1.0
"""Seconds: the highest ceiling, so a writer looks again at least once a second."""


@dataclass(frozen=True)
class Outcome:
    agreement_id: str
    appended: tuple[LedgerEvent, ...]
    already_applied: tuple[int, int] | None = None  # positions of an identical earlier batch (nothing appended)
    batch: str = ""  # the batch id the events were (or are) appended with
    applied_before: int = 0  # facts of a grown file applied by earlier batches (commands.idempotency)
    rows: tuple[Sealed | LedgerEvent, ...] = field(default=(), repr=False, compare=False)
    """What ``LedgerStore.save`` appends for ``appended`` (a caller that saves them itself, as
    import's group commit does): the planned events with their stored JSON, a registration as itself."""


def register_agreement(
    store: LedgerStore, agreement_id: str, terms: Terms | None = None, by: Provenance | None = None
) -> Outcome:
    """Preamble: create an agreement with its terms (this agreement's by default), recorded by
    ``by`` (the API gives the user's: ``commands.provenance``)."""
    event = _registration(store, agreement_id, terms, by or UNRECORDED)
    if store.exists(agreement_id):
        raise RuleViolation(f"agreement {agreement_id!r} already exists in this store", "preamble")
    try:
        store.save(event)
    except IntegrityError:
        raise RuleViolation(f"agreement {agreement_id!r} already exists in this store", "preamble") from None
    return Outcome(agreement_id, (event,), rows=(event,))


def _registration(store: LedgerStore, agreement_id: str, terms: Terms | None, by: Provenance) -> AgreementRegistered:
    """Preamble: the sealed first event of a new agreement (the id checked)."""
    try:
        return register(agreement_id, terms or Terms(), store.clock(), by.recorded_by)
    except ValidationError as exc:
        raise InvalidInput(f"agreement id {agreement_id[:64]!r}: {validation_message(exc)}", "preamble") from None


class _Planner:
    """Checks one batch against one version of the agreement."""

    def __init__(
        self, agreement: Agreement, recorded_at: datetime, batch: str = "", by: Provenance = UNRECORDED
    ) -> None:
        self.agreement = agreement
        self.recorded_at = recorded_at
        self.batch = batch
        self.by = by
        self.provenance = by.fields()  # of a fact that names no documents of its own
        registered, base = effective_events(agreement.events)
        self.registered = registered
        baseline = Fold(registered).apply_all(base, strict=False)
        self.baseline = set(baseline.anomalies)
        self.ledger = baseline
        self.accepted: list[LedgerEvent] = []
        self.lines: dict[int, Draft] = {}

    def _build(self, cls: type[LedgerEvent], fields: dict[str, Any]) -> LedgerEvent:
        own = fields.get("evidence")
        provenance = self.by.fields(own) if own else self.provenance
        return self.agreement.draft(cls, fields, len(self.accepted) + 1, self.recorded_at, self.batch, provenance)

    def _refold(self, candidate: list[LedgerEvent]) -> Fold:
        """Fold everything again (a back-dated fact or a retraction): new facts must pass,
        and no recorded fact may become invalid because of them."""
        registered, chosen = effective_events([*self.agreement.events, *candidate])
        ledger = Fold(registered)
        for event in chosen:
            try:
                ledger.apply(event, strict=True)
            except RuleViolation as violation:
                if event.position in self.lines:
                    raise
                if (event.position, str(violation)) in self.baseline:
                    ledger.anomalies.append((event.position, str(violation)))
                    continue
                raise RuleViolation(
                    f"it would invalidate the recorded {event.type} at position {event.position}: {violation.message}",
                    violation.clause,
                ) from None
        return ledger

    def _check_retraction(self, event: EventRetracted) -> None:
        target_position = event.event_id
        known = {e.position: e for e in (*self.agreement.events, *self.accepted)}
        target = known.get(target_position)
        clause = "ledger correction"
        if target is None:
            raise RuleViolation(f"EventRetracted: there is no event at position {target_position}", clause)
        if target_position == 1:
            raise RuleViolation("EventRetracted: the AgreementRegistered event cannot be retracted", clause)
        if isinstance(target, EventRetracted):
            raise RuleViolation("EventRetracted: a retraction cannot itself be retracted", clause)
        if target.derived:
            raise RuleViolation(
                f"EventRetracted: {target.type} at position {target_position} is derived; retract the "
                "ClaimResolved it came from",
                clause,
            )
        already = [e for e in known.values() if isinstance(e, EventRetracted) and e.event_id == target_position]
        if already:
            raise RuleViolation(f"EventRetracted: position {target_position} is already retracted", clause)

    def add(self, draft: Draft) -> None:
        event = build_event(draft, self._build)
        self.lines[event.position] = draft
        try:
            refolded = True
            if isinstance(event, EventRetracted):
                self._check_retraction(event)
                self.ledger = self._refold([*self.accepted, event])
            elif self.ledger.facts.last_date is None or event.occurred_on >= self.ledger.facts.last_date:
                self.ledger.apply(event, strict=True)
                refolded = False
            else:
                self.ledger = self._refold([*self.accepted, event])
        except RuleViolation as violation:
            raise RuleViolation(f"{draft.where()}{violation.message}", violation.clause) from None
        self.accepted.append(event)
        if isinstance(event, ClaimResolved) and not refolded:
            self._derive(self.ledger.facts.claims[event.claim_id], 0, ZERO)
        elif refolded:
            self._reconcile()

    def _derive(self, claim: Claim, shares_recorded: int, cash_recorded: Decimal) -> None:
        """8.1(c): the escrow shares surrendered and the cash that became due on resolution
        (beyond what derived events already record for it)."""
        base = {"occurred_on": claim.closed_on, "claim_id": claim.claim_id}
        if claim.surrendered_shares != shares_recorded:  # readings 5: re-balanced, either way
            shares = claim.surrendered_shares - shares_recorded
            self.accepted.append(self._build(SharesSurrendered, {**base, "shares": shares}))
        if claim.claimant == "buyer" and claim.cash_due != cash_recorded:
            self.accepted.append(self._build(CashIndemnityDue, {**base, "amount": claim.cash_due - cash_recorded}))

    def _reconcile(self) -> None:
        """8.1(c), 8.6 after a back-dated fact or a retraction: an earlier-dated resolution, a
        withholding or its retraction can change what a recorded resolution takes (it now tips the
        Allowance, or is offset), so the derived events of every resolved buyer claim are
        re-balanced to the fold's figures - a fall recorded as a negative SharesSurrendered - and
        never record a dollar twice (readings 5). The state (the fold) is authoritative."""
        resolved = {
            c.claim_id: c
            for c in self.ledger.facts.claims.values()
            if c.claimant == "buyer" and c.status == "resolved" and c.positions
        }
        shares: dict[str, int] = dict.fromkeys(resolved, 0)
        cash: dict[str, Decimal] = dict.fromkeys(resolved, ZERO)
        for e in (*self.agreement.events, *self.accepted):
            if isinstance(e, SharesSurrendered | CashIndemnityDue) and e.claim_id in resolved:
                if e.position < resolved[e.claim_id].positions[-1]:
                    continue  # derived from an earlier, retracted resolution of the same claim
                if isinstance(e, SharesSurrendered):
                    shares[e.claim_id] += e.shares
                else:
                    cash[e.claim_id] += e.amount
        for claim_id, claim in resolved.items():
            self._derive(claim, shares[claim_id], cash[claim_id])


def plan(
    agreement: Agreement,
    drafts: Sequence[Draft],
    recorded_at: datetime,
    batch: str = "",
    by: Provenance = UNRECORDED,
) -> list[LedgerEvent]:
    """The sealed events a batch would append, or a LedgerError naming the line and clause;
    every event carries the batch's provenance ``by``."""
    return [row.event for row in plan_rows(agreement, drafts, recorded_at, batch, by)]


def plan_rows(
    agreement: Agreement,
    drafts: Sequence[Draft],
    recorded_at: datetime,
    batch: str = "",
    by: Provenance = UNRECORDED,
) -> list[Sealed]:
    """``plan``, each event with the JSON the store keeps for it (``domain.chain.Sealed``): what
    an append saves, so that the store does not write the events' fields again."""
    planner = _Planner(agreement, agreement.recording_time(recorded_at), batch, by)
    for draft in drafts:
        planner.add(draft)
    return agreement.chain(planner.accepted)


def apply_facts(
    store: LedgerStore,
    agreement_id: str,
    drafts: Sequence[Draft],
    dry_run: bool = False,
    batch: str = "",
    by: Provenance | None = None,
) -> Outcome:
    """Validate and append a batch atomically (or, with ``dry_run``, only validate), recorded
    by ``by`` (the API gives the user's and the batch's documents: ``commands.provenance``).

    With a ``batch`` id (see ``commands.idempotency``) a batch already applied is
    recognised, inside the retry loop so that a racing duplicate is caught too,
    and nothing is appended; of a file that grew since it was applied, only the new
    lines are appended."""
    by = by or UNRECORDED
    timeout = write_timeout()
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        agreement = store.load(agreement_id)
        todo = pending(agreement, batch, drafts) if batch else Pending(drafts, batch)
        if todo.already_applied is not None:
            return Outcome(agreement_id, (), already_applied=todo.already_applied, batch=batch)
        rows = tuple(plan_rows(agreement, todo.drafts, store.clock(), todo.batch, by))
        events = tuple(row.event for row in rows)
        done = Outcome(agreement_id, events, batch=todo.batch, applied_before=todo.applied_before, rows=rows)
        if dry_run:
            return done
        try:
            store.save(*rows)
        except IntegrityError:
            attempt += 1  # another writer appended first: wait, then re-read, re-validate, retry
        else:
            return done
        pause = backoff(attempt)
        if time.monotonic() + pause > deadline:
            raise ConcurrentWrite(
                f"agreement {agreement_id!r} kept changing for {timeout:g} s ({attempt} attempts, "
                f"${WRITE_TIMEOUT_ENV}); nothing was appended",
                "store",
            )
        time.sleep(pause)


def backoff(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th lost race: a random time up to a ceiling that
    doubles with each loss ("full jitter"), so writers that collided spread out instead of
    colliding again, and a writer that keeps losing waits longer and lets the others land."""
    return random.uniform(0, min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** min(attempt, 32)))


def register_and_apply(
    store: LedgerStore,
    agreement_id: str,
    terms: Terms | None,
    drafts: Sequence[Draft],
    dry_run: bool = False,
    batch: str = "",
    by: Provenance | None = None,
) -> Outcome | None:
    """Preamble and a batch in one transaction: a new agreement with its first facts, checked
    against the agreement as registered, then appended together or not at all (a rejected batch
    leaves no empty agreement behind). None if the agreement exists (or another writer
    registered it meanwhile): apply the batch to it with ``apply_facts``."""
    if store.exists(agreement_id):
        return None
    by = by or UNRECORDED
    registered = _registration(store, agreement_id, terms, by)
    agreement = project_agreement(None, [registered])
    assert agreement is not None
    rows = (registered, *plan_rows(agreement, drafts, store.clock(), batch, by))
    if not dry_run:
        try:
            store.save(*rows)
        except IntegrityError:
            return None
    return Outcome(agreement_id, (registered, *(row.event for row in rows[1:])), rows=rows)


def events_known(events: Sequence[LedgerEvent], as_of: date | None, known_at: datetime | None) -> list[LedgerEvent]:
    """readings 9: the events that occurred by ``as_of`` and were recorded by
    ``known_at`` (each bound only if given), in position order (`history`)."""
    return [
        e for e in events if (as_of is None or e.occurred_on <= as_of) and (known_at is None or e.timestamp <= known_at)
    ]


HASH_RE = re.compile(r"[0-9a-f]{64}")


def check_head_hash(agreement_id: str | None, expect_head: str) -> None:
    """A head hash to verify against names its agreement and is a SHA-256 in hex, as `history
    --json` shows it (``domain.chain.digest``)."""
    if agreement_id is None or not HASH_RE.fullmatch(expect_head):
        raise InvalidInput("--expect-head needs an AGREEMENT_ID and a 64-hex-digit hash from `history --json`", "CLI")
