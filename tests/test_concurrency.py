"""Concurrent writers on one agreement: a batch is appended whole or not at all, never lost, never interleaved.

The store's unique (agreement, position) key makes the second of two racing
writers fail with the library's IntegrityError; ``apply_facts`` then re-reads,
re-validates against the new state and retries, with back-off, for a bounded time.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from commands import handlers
from commands.audit import verify_store
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.store.application import LedgerStore, open_store
from domain.errors import ConcurrentWrite, RuleViolation
from tests.clirun import Run, one_clear_line
from tests.ledger import claim, closed, fact, to_jsonl

AGREEMENT = "RACE"
WRITERS, BATCHES = 8, 2


def batch(tag: str) -> list[dict[str, Any]]:
    """Three facts that only make sense together: a claim asserted, revised and withdrawn (8.3)."""
    return [
        claim(tag, "2003-06-02", "1000"),
        fact("ClaimRevised", "2003-06-02", claim_id=tag, amount="900"),
        fact("ClaimWithdrawn", "2003-06-02", claim_id=tag),
    ]


def drafts(*facts: dict[str, Any]) -> Any:
    return parse_jsonl(to_jsonl(*facts))


def prepare(url: str) -> None:
    store = open_store(url)
    register_agreement(store, AGREEMENT)
    apply_facts(store, AGREEMENT, drafts(*closed()))
    store.close()


def writer(url: str, number: int, start: Any, results: Any) -> None:
    """One process: wait for the others, then apply its batches one after another."""
    store = open_store(url)
    start.wait()
    for b in range(BATCHES):
        tag = f"W{number}B{b}"
        try:
            apply_facts(store, AGREEMENT, drafts(*batch(tag)))
            results.put((tag, "appended"))
        except ConcurrentWrite as exc:
            results.put((tag, f"rejected: {exc}"))
    store.close()


def claim_of(event: Any) -> str | None:
    return getattr(event, "claim_id", None)


def test_racing_processes_lose_no_batch_and_interleave_none(empty_store_url: str) -> None:
    """Store: N processes x M batches at once -> each batch exactly once, contiguous, chain intact."""
    prepare(empty_store_url)
    context = multiprocessing.get_context("spawn")  # fork would copy the parent's connections and pool threads
    start, results = context.Barrier(WRITERS), context.Queue()
    processes = [context.Process(target=writer, args=(empty_store_url, n, start, results)) for n in range(WRITERS)]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in range(WRITERS * BATCHES))
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    store = open_store(empty_store_url, create=False)
    events = store.load(AGREEMENT).events
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    appended = [tag for tag, outcome in outcomes.items() if outcome == "appended"]
    counts = Counter(claim_of(e) for e in events if claim_of(e))
    assert counts == dict.fromkeys(appended, 3)  # every appended batch once, whole; no rejected batch at all
    assert sorted(appended) == sorted(outcomes)  # contention is waited out: no batch refused
    tags = [claim_of(e) for e in events if claim_of(e)]
    runs = [tags[i] for i in range(len(tags)) if i == 0 or tags[i] != tags[i - 1]]
    assert len(runs) == len(set(runs))  # each batch's events are contiguous: no interleaving
    assert verify_store(store, AGREEMENT)[0]
    store.close()


class Interloper:
    """Another writer that appends a batch right after our handler has read the agreement."""

    def __init__(self, url: str, facts: list[list[dict[str, Any]]]) -> None:
        self.other = open_store(url)
        self.pending = list(facts)

    def wrap(self, store: LedgerStore, monkeypatch: pytest.MonkeyPatch) -> None:
        read = store.load

        def load(agreement_id: str) -> Any:
            agreement = read(agreement_id)
            if self.pending:
                apply_facts(self.other, AGREEMENT, drafts(*self.pending.pop(0)))
            return agreement

        monkeypatch.setattr(store, "load", load)


def test_conflict_is_retried_against_the_new_state(empty_store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Store: the loser's IntegrityError -> re-read, re-validate, append after the winner's batch."""
    prepare(empty_store_url)
    store = open_store(empty_store_url)
    Interloper(empty_store_url, [batch("THEIRS")]).wrap(store, monkeypatch)
    outcome = apply_facts(store, AGREEMENT, drafts(*batch("OURS")))
    tags = [claim_of(e) for e in open_store(empty_store_url).load(AGREEMENT).events if claim_of(e)]
    assert tags == ["THEIRS"] * 3 + ["OURS"] * 3
    assert [e.position for e in outcome.appended] == [8, 9, 10]  # 1 registered, 2-4 closed(), 5-7 theirs


def test_conflict_that_invalidates_the_batch_is_rejected(empty_store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """8.3: the winner resolved claim C1; our withdrawal of C1, re-validated, is refused; nothing appended."""
    prepare(empty_store_url)
    apply_facts(open_store(empty_store_url), AGREEMENT, drafts(claim("C1", "2003-06-02", "1000")))
    store = open_store(empty_store_url)
    Interloper(empty_store_url, [[fact("ClaimResolved", "2003-07-01", claim_id="C1", amount="800")]]).wrap(
        store, monkeypatch
    )
    with pytest.raises(RuleViolation, match="C1 was already resolved"):
        apply_facts(store, AGREEMENT, drafts(fact("ClaimWithdrawn", "2003-07-02", claim_id="C1")))
    assert [type(e).__name__ for e in store.load(AGREEMENT).events][-1] == "ClaimResolved"


def test_retries_are_bounded_in_time_with_a_clear_message(
    empty_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store: a writer that loses every race gives up after $APA_LEDGER_WRITE_TIMEOUT seconds,
    appending nothing."""
    prepare(empty_store_url)
    store = open_store(empty_store_url)
    monkeypatch.setenv("APA_LEDGER_WRITE_TIMEOUT", "0.3")
    Interloper(empty_store_url, [batch(f"T{n}") for n in range(200)]).wrap(store, monkeypatch)
    started = time.monotonic()
    with pytest.raises(ConcurrentWrite, match=r"kept changing for 0.3 s \(\d+ attempts.*nothing was appended"):
        apply_facts(store, AGREEMENT, drafts(*batch("OURS")))
    assert time.monotonic() - started < 3
    assert "OURS" not in {claim_of(e) for e in store.load(AGREEMENT).events}


def test_backoff_waits_grow_and_stay_bounded() -> None:
    """Store: each wait is random below a ceiling that doubles per lost race, up to MAX_BACKOFF."""
    for attempt in (1, 2, 5, 10, 1000):
        ceiling = min(handlers.MAX_BACKOFF, handlers.FIRST_BACKOFF * 2**attempt)
        waits = [handlers.backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2  # jittered over the whole range, not a fixed step
        assert len(set(waits)) > 100


def test_two_cli_processes_racing_on_one_agreement(tmp_path: Path, empty_store_url: str) -> None:
    """CLI: two `apa-ledger apply` processes at once -> both batches appended whole, or one clear line."""
    import subprocess

    from tests.clirun import APA_LEDGER

    prepare(empty_store_url)
    files = []
    for tag in ("CLI1", "CLI2"):
        path = tmp_path / f"{tag}.jsonl"
        path.write_bytes(to_jsonl(*batch(tag)))
        files.append(path)
    racing = [
        subprocess.Popen([APA_LEDGER, "--store", empty_store_url, "apply", AGREEMENT, str(f)], stderr=subprocess.PIPE)
        for f in files
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in racing]
    tags = [claim_of(e) for e in open_store(empty_store_url).load(AGREEMENT).events if claim_of(e)]
    for process, error, tag in zip(racing, errors, ("CLI1", "CLI2"), strict=True):
        assert (process.returncode == 0 and tags.count(tag) == 3) or (process.returncode == 2 and tag not in tags)
        assert "Traceback" not in error
        assert process.returncode == 0 or one_clear_line(Run(2, "", error))
    assert tags in (["CLI1"] * 3 + ["CLI2"] * 3, ["CLI2"] * 3 + ["CLI1"] * 3, ["CLI1"] * 3, ["CLI2"] * 3)
