"""`python -m benchmarks.contention [--events N] [--writers W] [--postgres URL]`: racing writers.

W processes (8 by default) each apply one Gross Margin revision to the same agreement of
about N events (15,000 by default) at the same moment, on a fresh SQLite store and, with
--postgres, on a fresh schema of that server. Each writer loses races until the others
have landed (its re-read and re-check of the whole agreement is the window another writer
lands in), and backs off between attempts (``commands.handlers.backoff``). Prints, per
store, every writer's time from the start to its append, and checks that every revision
is in the store exactly once and the chain verifies.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.portfolio import history, jsonl, revisions_for
from commands.audit import verify_store
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.runtime import set_gc_and_malloc
from commands.store.application import open_store

AGREEMENT = "RACE-15000"


def _revision(writer: int, on: str) -> bytes:
    return json.dumps(
        {"type": "GrossMarginReported", "occurred_on": on, "month": "2004-02", "amount": f"{90_000 + writer}.00"}
    ).encode()


def _writer(url: str, writer: int, on: str, start: Any, results: Any) -> None:
    set_gc_and_malloc()
    store = open_store(url, create=False)
    drafts = parse_jsonl(_revision(writer, on))
    start.wait()
    began = time.perf_counter()
    try:
        apply_facts(store, AGREEMENT, drafts)
        results.put((writer, time.perf_counter() - began, "appended"))
    except Exception as exc:  # reported, not raised: the measurement counts refusals
        results.put((writer, time.perf_counter() - began, f"{type(exc).__name__}: {exc}"))


def race(url: str, events: int, writers: int) -> dict[str, Any]:
    """One store: the agreement made, the writers raced, the outcome checked."""
    facts = history(0, revisions=revisions_for(events))
    store = open_store(url)
    register_agreement(store, AGREEMENT)
    apply_facts(store, AGREEMENT, parse_jsonl(jsonl(facts)))
    last = max(f["occurred_on"] for f in facts)
    size = len(store.load(AGREEMENT).events)
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(writers), context.Queue()
    processes = [context.Process(target=_writer, args=(url, n, last, start, results)) for n in range(writers)]
    for process in processes:
        process.start()
    outcomes = sorted((results.get(timeout=300) for _ in range(writers)), key=lambda r: r[1])
    for process in processes:
        process.join()
    ours = {f"{90_000 + n}.00" for n in range(writers)}
    amounts = Counter(str(e.amount) for e in store.load(AGREEMENT).events[size:] if e.type == "GrossMarginReported")
    landed = amounts == dict.fromkeys(ours, 1)
    return {
        "events_before": size,
        "writers": writers,
        "seconds_to_land": [round(seconds, 3) for _, seconds, _ in outcomes],
        "last_writer_s": round(outcomes[-1][1], 3),
        "refused": [outcome for *_, outcome in outcomes if outcome != "appended"],
        "each_exactly_once": landed,
        "verifies": verify_store(store, AGREEMENT)[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=15_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--postgres", metavar="URL", help="Also race on a fresh schema of this server.")
    args = parser.parse_args()
    set_gc_and_malloc()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        report["sqlite"] = race(str(Path(directory) / "race.sqlite"), args.events, args.writers)
    if args.postgres:
        from psycopg import sql

        from commands.store.postgres import connect_direct, postgres_env

        schema = f"apa_race_{uuid.uuid4().hex[:12]}"
        url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}schema={schema}"
        try:
            report["postgres"] = race(url, args.events, args.writers)
        finally:
            with connect_direct(postgres_env(args.postgres)) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
