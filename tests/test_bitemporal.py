"""Both time axes in the read model (issue 16, item 2): one SQL query answers "the state on D as
known at T" and equals `state --as-of D --known-at T --json`; incremental exports equal a rebuild."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings

from commands.api import parse_moment
from commands.handlers import register_agreement
from commands.reporting.datasette_metadata import FIGURES, MOMENT, QUERIES, STATE_AS_KNOWN_AT, known_at, valid_on
from commands.reporting.export import DDL, INDEXES, TABLES, VIEWS, export, write_rows
from commands.reporting.export_workers import tuple_rows
from commands.store.application import open_store
from domain.agreement import TICK, register
from domain.errors import LedgerError
from domain.event_json import canonical_json
from domain.events import LedgerEvent
from domain.terms import Terms
from domain.values import money_cents
from projections.changes import changes
from projections.headline import headline_row
from projections.read_model import tables_of, timeline_tables
from projections.state import project
from projections.versions import (
    RECORDED,
    agreement_versions,
    earliest_change,
    joined,
    moments,
    recorded,
    registered_only,
)
from tests.clirun import run_cli
from tests.histories import margins
from tests.ledger import Clock, OneAgreement, claim, closed, fact, margin, resolve
from tests.strategies import candidate_facts, valid_history

# ---------------------------------------------------------------- helpers


def memory_model() -> sqlite_utils.Database:
    """An empty read model in memory (the export's own schema and indexes)."""
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    for statement in [*DDL, *VIEWS, *INDEXES]:
        db.execute(statement)
    return db


def columns(db: sqlite_utils.Database) -> dict[str, list[str]]:
    return {table: [c.name for c in db[table].columns] for table in TABLES}


def write(db: sqlite_utils.Database, agreement_id: str, events: list[LedgerEvent], seen: int = 0) -> None:
    """What an export writes for one agreement whose first ``seen`` events the model holds."""
    versions = agreement_versions(agreement_id, events, seen)
    versions.tables = tuple_rows(versions.tables, columns(db))
    write_rows(db, {agreement_id: versions})


def dump(db: sqlite_utils.Database | Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = db.conn if isinstance(db, sqlite_utils.Database) else sqlite3.connect(db)
    return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}


def select(conn: sqlite3.Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(sql, params)]


def known(table: str, extra: str = "") -> str:
    """A table's rows on :date as known at :known_at (the canned query's own conditions)."""
    return (
        f"WITH k(t) AS (SELECT {MOMENT}) SELECT x.* FROM k JOIN {table} x ON {valid_on('x')} AND {known_at('x')} "
        + extra
    )


def same_as_state(
    conn: sqlite3.Connection, agreement_id: str, events: list[LedgerEvent], day: date, moment: datetime
) -> None:
    """At (day, moment): the state_timeline row, the claims, survival and obligations rows selected
    with SQL equal `state --as-of day --known-at moment --json` (or there is no row where the
    agreement was not registered yet, or ``day`` precedes its timeline)."""
    params = {"date": day.isoformat(), "known_at": recorded(moment)}
    where = f"WHERE x.agreement_id = '{agreement_id}'"
    (head,) = [r for r in select(conn, STATE_AS_KNOWN_AT, **params) if r["agreement_id"] == agreement_id] or [None]
    if moment < events[0].timestamp:
        assert head is None, (day, moment)
        return
    state = project(events, day, moment).model_dump(mode="json")
    if head is None:  # before the agreement's first change point: no row at all, and no figure either
        assert all(not select(conn, known(t, where), **params) for t in ("claims", "survival", "obligations"))
        first = "SELECT min(valid_from) AS d FROM state_timeline WHERE agreement_id = :a AND recorded_from <= :t "
        first += "AND (:t < recorded_to OR recorded_to IS NULL)"
        assert day.isoformat() < select(conn, first, a=agreement_id, t=params["known_at"])[0]["d"]
        return
    expected = headline_row(state)
    assert {k: head[k] for k in expected} == expected, (day, moment)
    claims = select(conn, known("claims", where), **params)
    want = [
        {**c, "sections": ", ".join(c["sections"]), "amount_cents": money_cents(c["amount"]),
         "resolved_amount_cents": None if c["resolved_amount"] is None else money_cents(c["resolved_amount"])}
        for c in state["claims"]
    ]  # fmt: skip
    keys = {"claim_id", "claimant", "sections", "asserted_on", "status", "amount_cents", "resolved_amount_cents"}
    keys |= {"resolved_on", "surrendered_shares"}
    assert _on(claims, keys) == _on(want, keys), (day, moment)
    survival = select(conn, known("survival", where), **params)
    assert _on(survival, {"section", "title", "expires_on", "status", "note"}) == _on(
        state["survival"], {"section", "title", "expires_on", "status", "note"}
    ), (day, moment)
    duties = select(conn, known("obligations", where), **params)
    keys = {"clause", "description", "due_on", "status"}
    assert _on(duties, keys) == _on(state["obligations"], keys), (day, moment)


def _on(rows: list[dict[str, Any]], keys: set[str]) -> list[str]:
    return sorted(json.dumps({k: r.get(k) for k in sorted(keys)}) for r in rows)


def boundaries(events: list[LedgerEvent]) -> list[date]:
    """Valid-time boundaries: each event's date, the day before and the day after."""
    days = set()
    for e in events[1:]:
        days |= {e.occurred_on - timedelta(days=1), e.occurred_on, e.occurred_on + timedelta(days=1)}
    return sorted(days)


def samples(events: list[LedgerEvent], rng: random.Random, per_moment: int = 6) -> list[tuple[date, datetime]]:
    """(D, T) pairs: at each recording moment, just before it and at it, D the day before, on and
    after the dates of that batch's events (and of events it retracts) and a few others."""
    by_position = {e.position: e for e in events}
    all_days = boundaries(events)
    pairs = []
    for moment in moments(events):
        batch = [e for e in events if e.timestamp == moment]
        days = {
            d
            for e in batch[:3]
            for d in (e.occurred_on - timedelta(days=1), e.occurred_on, e.occurred_on + timedelta(days=1))
        }
        days |= {
            by_position[e.event_id].occurred_on
            for e in batch
            if e.type == "EventRetracted" and e.event_id in by_position
        }
        days |= set(rng.sample(all_days, min(per_moment, len(all_days))))
        for t in (moment - TICK, moment):
            pairs += [(d, t) for d in sorted(days)]
    return pairs


# ---------------------------------------------------------------- generated histories


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates=candidate_facts(max_facts=14))
def test_sql_known_at_equals_the_state_as_known_then_on_random_histories(candidates: list[dict[str, Any]]) -> None:
    """readings 9: over random histories (one fact a recording, back-dated arrivals the norm,
    superseding Gross Margin reports, retractions), the state on D as known at T selected with
    one SQL query equals the fold of the events recorded by T, at the moments just before and at
    each recording, on the days about each of its events."""
    events = list(valid_history(candidates).agreement.events)
    db = memory_model()
    write(db, "APA", events)
    rng = random.Random(len(events))
    for day, moment in samples(events, rng):
        same_as_state(db.conn, "APA", events, day, moment)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates=candidate_facts(max_facts=14))
def test_rows_written_recording_by_recording_equal_the_rows_written_at_once(candidates: list[dict[str, Any]]) -> None:
    """System time: exporting after each recording (ending held rows, inserting new ones, never
    deleting) gives exactly the rows a rebuild writes, and a held row only ever changes its
    recorded_to."""
    events = list(valid_history(candidates).agreement.events)
    stepwise = memory_model()
    seen = 0
    for moment in moments(events):
        count = sum(1 for e in events if e.timestamp <= moment)
        before = dump(stepwise)
        write(stepwise, "APA", events[:count], seen)
        seen = count
        after = dump(stepwise)
        for table in ("state_timeline", "claims", "survival", "obligations", "earnout_schedule", "escrow_movements"):
            _only_closed(before[table], after[table], stepwise, table)
        at_once = memory_model()
        write(at_once, "APA", events[:count])
        assert after == dump(at_once), moment


def _only_closed(
    before: list[tuple[Any, ...]], after: list[tuple[Any, ...]], db: sqlite_utils.Database, table: str
) -> None:
    """Every row held before is still there, the same but for a recorded_to set where it was NULL."""
    names = [c.name for c in db[table].columns]
    to = names.index("recorded_to")
    rest = [i for i in range(len(names)) if i != to]
    kept = {tuple(r[i] for i in rest): r[to] for r in after}
    for row in before:
        key = tuple(row[i] for i in rest)
        assert key in kept, (table, row)
        assert row[to] is None or kept[key] == row[to], (table, row)


def test_recorded_moments_are_fixed_width_utc_text_so_text_order_is_time_order() -> None:
    """readings 9: recorded_from / recorded_to are UTC to the microsecond ('...T00:00:01.000000Z'),
    so one instant at two offsets is one text, and text order is time order (a moment on a whole
    second keeps its fraction)."""
    plus_two = datetime.fromisoformat("2026-01-01T10:00:00+02:00")
    assert recorded(plus_two) == recorded(plus_two.astimezone(UTC)) == "2026-01-01T08:00:00.000000Z"
    stamps = [datetime(2026, 1, 1, 8, tzinfo=UTC) + timedelta(microseconds=n) for n in (0, 1, 999_999, 1_000_000)]
    assert sorted(map(recorded, stamps)) == [recorded(s) for s in sorted(stamps)]
    assert {len(recorded(s)) for s in stamps} == {len(datetime(2026, 1, 1).strftime(RECORDED)) + 0}


# ---------------------------------------------------------------- a portfolio, recorded as it happened


def portfolio_batches(seed: int) -> list[tuple[str, list[Any]]]:
    """One agreement's facts as they were recorded: (the day a batch was recorded, its facts), in
    recording order. Late reports, a back-dated claim, a superseding Gross Margin report and the
    retraction of a resolution (a callable: it names its event by position once recorded)."""
    rng = random.Random(seed)
    closing = date(2003, 3, 1) + timedelta(days=rng.randint(0, 60))
    batches: list[tuple[str, list[Any]]] = [("2002-12-10", closed(closing.isoformat())[:2])]
    batches.append(((closing + timedelta(days=3)).isoformat(), [closed(closing.isoformat())[2]]))
    reports = margins("2003-01", [str(rng.randint(70_000, 110_000)) + ".00" for _ in range(14)])
    for report in reports:
        batches.append(
            ((date.fromisoformat(report["occurred_on"]) + timedelta(days=rng.randint(0, 20))).isoformat(), [report])
        )
    if seed % 2 == 0:
        batches.append(("2003-09-20", [fact("BPEventDeclared", "2003-09-15", clause="a")]))
    revised = reports[rng.randint(3, 8)]
    batches.append(
        ("2003-11-20", [margin(revised["month"], str(int(revised["amount"][:-3]) - 5000) + ".00", "2003-11-18")])
    )
    batches.append(("2003-12-02", [claim("C1", "2003-11-30", "30000")]))
    batches.append(("2004-01-20", [claim("C2", "2003-07-01", "12000", sections=["2.7"])]))  # back-dated
    batches.append(("2004-02-15", [resolve("C1", "2004-02-10", "27500")]))
    batches.append(
        (
            "2004-05-01",
            [
                lambda events: fact(
                    "EventRetracted",
                    "2004-04-30",
                    event_id=_position(events, "ClaimResolved"),
                    reason="entered in error",
                )
            ],
        )
    )
    batches.append(
        ("2004-06-01", [resolve("C1", "2004-05-28", "26000"), fact("ClaimWithdrawn", "2004-05-30", claim_id="C2")])
    )
    batches.sort(key=lambda b: b[0])
    return batches


def _position(events: list[LedgerEvent], kind: str) -> int:
    return next(e.position for e in events if e.type == kind)


def record_portfolio(path: Path, count: int = 3, after: Callable[[Any], None] | None = None) -> Any:
    """A store holding ``count`` agreements, their batches recorded at their recording days
    (the clock set to each), interleaved in recording order; ``after(store)`` after each batch."""
    clock = Clock(now=datetime(2002, 12, 1, tzinfo=UTC))
    store = open_store(str(path), clock=clock)
    books = {f"APA-{i}": OneAgreement(store, path, clock, agreement_id=f"APA-{i}") for i in range(count)}
    for agreement_id in books:
        register_agreement(store, agreement_id)
    queue = sorted(
        (
            (day, n, agreement_id, facts)
            for agreement_id in books
            for n, (day, facts) in enumerate(portfolio_batches(int(agreement_id[-1])))
        ),
        key=lambda q: (q[0], q[2]),
    )
    for day, _, agreement_id, facts in queue:
        clock.set(f"{day}T09:00:00+00:00")
        book = books[agreement_id]
        book.apply(*(f(book.events()) if callable(f) else f for f in facts))
        if after is not None:
            after(store)
    return store, books


@pytest.fixture(scope="module")
def recorded_portfolio(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Any, dict[str, OneAgreement], list[Any]]:
    """The portfolio exported after every batch (incrementally), with a rebuild beside it after each."""
    tmp = tmp_path_factory.mktemp("bitemporal")
    model = tmp / "reporting.sqlite"
    mismatches: list[Any] = []

    def exported(store: Any) -> None:
        export(store, str(model), workers=0)
        rebuilt = tmp / "rebuilt.sqlite"
        export(store, str(rebuilt), rebuild=True, workers=0)
        if dump(model) != dump(rebuilt):
            mismatches.append(store.recorder.max_notification_id())

    store, books = record_portfolio(tmp / "store.sqlite", after=exported)
    return model, store, books, mismatches


def test_an_export_after_every_batch_equals_a_rebuild_after_it(recorded_portfolio: Any) -> None:
    """System time: a read model exported after each batch of an interleaved portfolio (late
    reports, a back-dated claim, a superseding report, a retraction) holds, after each, exactly
    the tables of a rebuild from scratch."""
    _, store, _, mismatches = recorded_portfolio
    assert mismatches == []
    assert store.recorder.max_notification_id() > 60


def test_the_portfolio_as_known_at_each_moment_equals_state_known_at(recorded_portfolio: Any) -> None:
    """readings 9: every agreement's headline, claims, survival and obligations on D as known at T,
    selected with SQL, equal `state --as-of D --known-at T --json`, at sampled (D, T)."""
    model, _, books, _ = recorded_portfolio
    conn = sqlite3.connect(model)
    rng = random.Random(7)
    for agreement_id, book in books.items():
        events = book.events()
        pairs = samples(events, rng, per_moment=2)
        for day, moment in rng.sample(pairs, min(120, len(pairs))):
            same_as_state(conn, agreement_id, events, day, moment)


def test_the_cli_state_known_at_is_what_the_sql_says(
    recorded_portfolio: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """`state --as-of D --known-at T --json` itself (the headline keys) equals the SQL row, for a
    moment given as a date (its end, as --known-at reads it) and as a full timestamp."""
    model, store, _, _ = recorded_portfolio
    conn = sqlite3.connect(model)
    for day, moment in [
        ("2003-12-31", "2004-01-10"),
        ("2003-07-15", "2004-01-20T09:00:00.000000Z"),
        ("2004-03-01", "2004-06-01"),
    ]:
        run = run_cli(
            capsys,
            "--store",
            str(store.env["SQLITE_DBNAME"]),
            "state",
            "APA-0",
            "--as-of",
            day,
            "--known-at",
            moment,
            "--json",
        )
        assert run.code == 0, run.err
        rows = [r for r in select(conn, STATE_AS_KNOWN_AT, date=day, known_at=moment) if r["agreement_id"] == "APA-0"]
        expected = headline_row(json.loads(run.out))
        assert [{k: r[k] for k in expected} for r in rows] == [expected]


def test_the_point_in_time_query_reads_an_index(recorded_portfolio: Any) -> None:
    """Issue 16, item 4: "on :date as known at :known_at" over the portfolio searches
    ``state_timeline_known`` (rows still believed, and rows ended after the moment), never a scan;
    "as known now" one search of it."""
    model, *_ = recorded_portfolio
    conn = sqlite3.connect(model)
    plan = " | ".join(
        r[-1]
        for r in conn.execute(
            "EXPLAIN QUERY PLAN " + STATE_AS_KNOWN_AT, {"date": "2004-01-01", "known_at": "2004-02-01"}
        )
    )
    assert "SEARCH s USING INDEX state_timeline_known (recorded_to=? AND valid_from<?)" in plan, plan
    assert "SEARCH s USING INDEX state_timeline_known (recorded_to>?)" in plan, plan
    assert "SCAN s" not in plan and "SCAN state_timeline" not in plan, plan


def test_a_model_of_the_layout_before_system_time_is_rebuilt(tmp_path: Path) -> None:
    """A read model of layout 4 (no recorded_from / recorded_to) is not appended to: the next
    export rebuilds it whole in the new layout."""
    store, books = record_portfolio(tmp_path / "s.sqlite", count=1)
    model = tmp_path / "m.sqlite"
    export(store, str(model), workers=0)
    with sqlite3.connect(model) as conn:
        conn.execute("PRAGMA user_version = 4")
        conn.execute("UPDATE state_timeline SET released_shares = -1")
    result = export(store, str(model), workers=0)
    assert result.notifications == len(books["APA-0"].events())
    assert select(sqlite3.connect(model), "SELECT count(*) AS n FROM state_timeline WHERE released_shares < 0") == [
        {"n": 0}
    ]


def test_a_page_worked_out_against_other_events_than_the_model_holds_is_worked_out_again(tmp_path: Path) -> None:
    """System time, exactly once: an export whose rows for an agreement were worked out from more
    events than its tracking position accounts for (events appended while it ran) resumes without
    ending a row twice: the next export ends where a rebuild does."""
    store, books = record_portfolio(tmp_path / "s.sqlite", count=1)
    book = books["APA-0"]
    model = tmp_path / "m.sqlite"
    export(store, str(model), workers=0)
    book.clock.set("2004-07-01T09:00:00+00:00")
    book.apply(fact("EscrowReleased", "2004-06-30", shares=1000))
    book.apply(fact("EscrowReleased", "2004-07-01", shares=10))  # a recording of one event
    export(store, str(model), workers=0)
    with sqlite3.connect(model) as conn:  # as if it had read these events but not their notifications
        top = "SELECT max(notification_id) FROM tracking WHERE application_name = :a"
        lower = f"UPDATE tracking SET notification_id = ({top}) - 1 WHERE notification_id = ({top})"
        conn.execute(lower, {"a": store.name})
    assert export(store, str(model), workers=0).notifications == 1
    rebuilt = tmp_path / "r.sqlite"
    export(store, str(rebuilt), rebuild=True, workers=0)
    assert dump(model) == dump(rebuilt)


def test_a_rejected_batch_has_no_version(tmp_path: Path) -> None:
    """A batch the ledger refuses appends nothing, so it makes no version either (8.1(c))."""
    store, books = record_portfolio(tmp_path / "s.sqlite", count=1)
    model = tmp_path / "m.sqlite"
    export(store, str(model), workers=0)
    before = dump(model)
    with pytest.raises(LedgerError):
        books["APA-0"].apply(fact("EscrowReleased", "2004-07-01", shares=25001))
    export(store, str(model), workers=0)
    assert dump(model) == before


# ---------------------------------------------------------------- the canned queries, against state --json


def _figures(headline: dict[str, Any] | None, prefix: str, row: dict[str, Any]) -> None:
    """The canned query's ``prefix_`` columns are these headline figures (all NULL for none)."""
    expected = headline if headline is not None else dict.fromkeys(FIGURES)
    assert {c: row[f"{prefix}_{c}"] for c in FIGURES} == {c: expected[c] for c in FIGURES}, (prefix, row)


def test_restatements_are_the_changes_recorded_after_the_date_with_their_events(recorded_portfolio: Any) -> None:
    """Restatements of a past date: every recording after the date's end that changed a headline
    figure for it is listed once, with the figures as known just before and at that recording
    (each equal to `state --known-at`), the figures that differ and the events recorded then;
    a recording that changed nothing for the date is not listed."""
    model, _, books, _ = recorded_portfolio
    conn = sqlite3.connect(model)
    found_any = False
    for day in ("2003-06-30", "2003-09-30", "2003-12-31", "2004-03-31"):
        end = datetime.fromisoformat(day + "T23:59:59.999999+00:00")
        listed = select(conn, QUERIES["restatements"]["sql"], date=day)
        for agreement_id, book in books.items():
            events = book.events()
            expected = []
            for moment in moments(events):
                if moment <= end or moment - TICK < events[0].timestamp:
                    continue
                before = headline_row(project(events, date.fromisoformat(day), moment - TICK).model_dump(mode="json"))
                after = headline_row(project(events, date.fromisoformat(day), moment).model_dump(mode="json"))
                if before != after:
                    changed = " ".join(c for c in after if before[c] != after[c])
                    batch = "; ".join(f"{e.position} {e.type} {e.occurred_on}" for e in events if e.timestamp == moment)
                    expected.append((recorded(moment), changed, batch, before, after))
            rows = [r for r in listed if r["agreement_id"] == agreement_id]
            assert [(r["restated_at"], r["changed"], r["recorded_events"]) for r in rows] == [e[:3] for e in expected]
            for row, (*_, before, after) in zip(rows, expected, strict=True):
                _figures(before, "before", row)
                _figures(after, "after", row)
            found_any |= bool(rows)
    assert found_any  # late reports, the back-dated claim and the retraction restate these dates


def test_as_reported_at_each_quarter_end_and_as_known_now(recorded_portfolio: Any) -> None:
    """Each quarter end from 2003-01-01 to 2004-12-31, each agreement: the figures on that day as
    known at its end (`state --known-at DAY`) beside the figures known now (`state --as-of DAY`),
    and the names of the figures that differ; at least one quarter end was restated since."""
    model, _, books, _ = recorded_portfolio
    rows = select(
        sqlite3.connect(model),
        QUERIES["as_reported_at_quarter_ends"]["sql"],
        **{"from": "2003-01-01", "to": "2004-12-31"},
    )
    ends = [
        "2003-03-31",
        "2003-06-30",
        "2003-09-30",
        "2003-12-31",
        "2004-03-31",
        "2004-06-30",
        "2004-09-30",
        "2004-12-31",
    ]
    assert [(r["quarter_end"], r["agreement_id"]) for r in rows] == [(q, a) for q in ends for a in sorted(books)]
    for row in rows:
        events = books[row["agreement_id"]].events()
        day = date.fromisoformat(row["quarter_end"])
        end = datetime.fromisoformat(row["quarter_end"] + "T23:59:59.999999+00:00")
        reported = (
            headline_row(project(events, day, end).model_dump(mode="json")) if end >= events[0].timestamp else None
        )
        now = headline_row(project(events, day).model_dump(mode="json"))
        _figures(reported, "reported", row)
        _figures(now, "now", row)
        want = None if reported is None else " ".join(c for c, v in now.items() if reported[c] != v)
        assert row["restated"] == want, row
    assert any(r["restated"] for r in rows)


def test_state_as_known_at_takes_a_date_as_its_last_instant_as_known_at_does(recorded_portfolio: Any) -> None:
    """readings 9: the canned query's :known_at given as a date, a time without a fraction, with
    or without Z, reads the moment `--known-at` reads (a bare date is the end of that day)."""
    model, *_ = recorded_portfolio
    conn = sqlite3.connect(model)
    spelled = {
        "2004-01-20": "2004-01-20T23:59:59.999999Z",
        "2004-01-20T09:00:00": "2004-01-20T09:00:00.000000Z",
        "2004-01-20 09:00:01Z": "2004-01-20T09:00:01.000000Z",
        "2004-01-20T09:00:01.5": "2004-01-20T09:00:01.500000Z",
    }
    for text, moment in spelled.items():
        assert conn.execute(f"SELECT {MOMENT}", {"known_at": text}).fetchone()[0] == moment
        parsed = parse_moment(text)
        assert parsed is not None and recorded(parsed) == moment


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates=candidate_facts(max_facts=16))
def test_a_version_walked_from_its_earliest_changed_date_equals_the_whole_walk(
    candidates: list[dict[str, Any]],
) -> None:
    """readings 9: the fold takes events in occurred_on order, so a recording changes no row before
    the earliest date of its facts and of the events it retracts; each version walked from that
    date and joined to the version before equals the walk of all its events from the start
    (back-dated facts, superseding reports, retractions; one fact a recording)."""
    events = list(valid_history(candidates).agreement.events)
    by_position = {e.position: e for e in events}
    walked = None
    for moment in moments(events):
        known = [e for e in events if e.timestamp <= moment]
        since = earliest_change([e for e in events if e.timestamp == moment], by_position)
        walked = (
            changes(known) if walked is None or since is None else joined(walked, changes(known, since=since), since)
        )
        assert tables_of("APA", walked)[0] == timeline_tables("APA", known)[0], (moment, since)


@pytest.mark.parametrize("terms", [Terms(), Terms(closing_deadline=date(2003, 8, 31))], ids=["default", "extended"])
def test_the_version_of_a_registration_alone_is_the_walk_of_it_whatever_the_agreement(terms: Terms) -> None:
    """Preamble: before any fact an agreement's rows follow from its terms alone, so the shared
    walk (``registered_only``) gives, for any agreement on those terms, the rows of its own walk."""
    event = register("OTHER-7", terms, datetime(2026, 5, 1, tzinfo=UTC))
    shared = registered_only(canonical_json(terms.model_dump(mode="json")).decode())
    assert tables_of("OTHER-7", shared)[0] == timeline_tables("OTHER-7", [event])[0]
    assert agreement_versions("OTHER-7", [event]).tables["obligations"]
