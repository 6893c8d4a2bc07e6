"""A portfolio of agreements in one store: `agreements`, and `state` reading only its own agreement."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import commands.workers as workers_module
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.portfolio.summary import AgreementSummary, Portfolio, PortfolioTotals, portfolio, render_portfolio
from commands.store.application import LedgerStore, open_store
from domain.agreement import agreement_uuid
from projections.state import project
from tests.clirun import run_cli
from tests.ledger import Clock, claim, closed, resolve, to_jsonl

PORTFOLIO = {
    "APA-CLOSED": [*closed()],
    "APA-CLAIMS": [*closed("2003-03-03"), claim("C1", "2003-06-02", "40000"), resolve("C1", "2003-07-01", "30000")],
    "APA-SIGNED": [],
}


def build(url: str) -> LedgerStore:
    store = open_store(url, clock=Clock())
    for agreement_id, facts in PORTFOLIO.items():
        register_agreement(store, agreement_id)
        if facts:
            apply_facts(store, agreement_id, parse_jsonl(to_jsonl(*facts)))
    return store


@pytest.fixture
def store(empty_store_url: str) -> Any:
    made = build(empty_store_url)
    yield made
    made.close()


def test_agreements_lists_each_with_the_figures_of_state(store: LedgerStore) -> None:
    """1.5(b), 8.1(b)-(c): each row's figures are exactly those `state` gives for that agreement."""
    view = portfolio(store, date(2003, 12, 31))
    assert [r.agreement_id for r in view.agreements] == list(PORTFOLIO)
    for row in view.agreements:
        state = project(store.load(row.agreement_id).events, view.as_of)
        assert (row.status, row.released_shares, row.pending_shares, row.escrow_balance_shares) == (
            state.status,
            state.earnout.released_shares,
            state.earnout.pending_shares,
            state.escrow.balance_shares,
        )
        assert row.buyer_payable == state.indemnity.buyer.payable
    claims = next(r for r in view.agreements if r.agreement_id == "APA-CLAIMS")
    assert claims.buyer_payable == 30000  # 8.1(b): above the $25,000 Allowance, all of it
    assert claims.escrow_balance_shares == 25000 - 3000  # 8.1(c): $30,000 at $10 a share
    assert view.totals.agreements == 3
    assert view.totals.released_shares == sum(r.released_shares for r in view.agreements)


def test_agreements_on_every_core_list_what_one_process_lists(
    store: LedgerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.5(b), 8.1(b)-(c), on both stores: the listing worked out here and in a real worker
    process (one agreement a chunk, so both take part) is the one-process listing, in the
    order registered, as of a date and as known at a time."""
    monkeypatch.setattr(workers_module, "CHUNK", 1)
    for day, known_at in ((date(2003, 12, 31), None), (date(2004, 6, 30), datetime(2100, 1, 1, tzinfo=UTC))):
        alone = portfolio(store, day, known_at, workers=0)
        together = portfolio(store, day, known_at, workers=2)
        assert together == alone
        assert [r.agreement_id for r in together.agreements] == list(PORTFOLIO)


def test_a_large_listing_uses_every_core_and_a_small_one_none() -> None:
    """Starting workers pays only for a large portfolio (``AGREEMENTS_FROM`` agreements)."""
    assert workers_module.worker_count(workers_module.AGREEMENTS_FROM - 1, workers_module.AGREEMENTS_FROM) == 0
    assert workers_module.worker_count(workers_module.AGREEMENTS_FROM, workers_module.AGREEMENTS_FROM) in (
        0,
        os.cpu_count(),
    )


def test_agreements_as_of_closing_day_before_on_after(store: LedgerStore) -> None:
    """1.5(b): the catch-up at Closing 2003-04-10 (3/14 of 75,000) appears on that day, not before."""

    def released(day: date) -> int:
        return next(r for r in portfolio(store, day).agreements if r.agreement_id == "APA-CLOSED").released_shares

    assert (released(date(2003, 4, 9)), released(date(2003, 4, 10)), released(date(2003, 4, 11))) == (0, 16071, 16071)


def test_agreements_command_json_and_table(empty_store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """CLI: `agreements --as-of --json` is a list, a row per agreement (the same as --format
    json); the table has a total row."""
    build(empty_store_url).close()
    run = run_cli(capsys, "--store", empty_store_url, "agreements", "--as-of", "2003-12-31", "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert [a["agreement_id"] for a in data] == list(PORTFOLIO)
    assert data[0]["released_shares"] == 58928  # reference figures: 2003-12-31, no BP Event
    assert sum(Decimal(a["buyer_payable"]) for a in data) == Decimal("30000.00")
    same = run_cli(capsys, "--store", empty_store_url, "agreements", "--as-of", "2003-12-31", "--format", "json")
    assert same.out == run.out
    table = run_cli(capsys, "--store", empty_store_url, "agreements", "--as-of", "2003-12-31")
    assert table.code == 0 and "total (3)" in table.out and "APA-SIGNED" in table.out


def test_agreements_known_at_leave_out_those_registered_later(
    empty_store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preamble, readings 9: as known at a moment, the portfolio holds the agreements
    registered by then - the second one's registration second, the second before and after -
    and none before the first (an empty listing, exit 0), here and on every core. Each listed
    agreement's figures are those known then; before, one registered later failed the command."""
    clock = Clock()
    store = open_store(empty_store_url, clock=clock)
    clock.set("2026-01-05T09:00:00Z")
    register_agreement(store, "APA-FIRST")
    apply_facts(store, "APA-FIRST", parse_jsonl(to_jsonl(*closed())))
    clock.set("2026-02-01T08:59:59Z")  # the next reading, 09:00:00, registers the second
    register_agreement(store, "APA-SECOND")
    registered = store.load("APA-SECOND").events[0].recorded_at
    assert registered == datetime(2026, 2, 1, 9, tzinfo=UTC)
    monkeypatch.setattr(workers_module, "CHUNK", 1)
    second = timedelta(seconds=1)
    for known_at, listed in (
        (registered - second, ["APA-FIRST"]),
        (registered, ["APA-FIRST", "APA-SECOND"]),
        (registered + second, ["APA-FIRST", "APA-SECOND"]),
        (datetime(2026, 1, 5, 8, 59, 59, tzinfo=UTC), []),
    ):
        for workers in (0, 2):
            view = portfolio(store, date(2003, 12, 31), known_at, workers=workers)
            assert [r.agreement_id for r in view.agreements] == listed, (known_at, workers)
            assert view.totals.agreements == len(listed)
    early = portfolio(store, date(2003, 12, 31), registered - second, workers=0)
    assert early.agreements[0].released_shares == 58928  # reference figures: 2003-12-31
    assert early.totals.events == early.agreements[0].events
    store.close()
    run = run_cli(capsys, "--store", empty_store_url, "agreements", "--known-at", "2026-01-01T00:00:00Z", "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data == []
    table = run_cli(capsys, "--store", empty_store_url, "agreements", "--known-at", "2026-01-20")
    assert table.code == 0 and "APA-FIRST" in table.out and "APA-SECOND" not in table.out and "total (1)" in table.out


def test_agreements_on_a_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CLI: no store at the path -> exit 2, one line, nothing created."""
    run = run_cli(capsys, "--store", str(tmp_path / "none.sqlite"), "agreements")
    assert run.code == 2 and len(run.err.splitlines()) == 1
    assert not (tmp_path / "none.sqlite").exists()


def test_state_asks_the_recorder_for_one_agreement_only(store: LedgerStore) -> None:
    """Portfolio: loading one agreement selects that agreement's rows by id, and nothing else."""
    calls: list[tuple[str, Any]] = []
    recorder = store.recorder
    originals = {name: getattr(recorder, name) for name in ("select_rows", "select_events", "select_notifications")}

    def spy(name: str) -> Any:
        def call(*args: Any, **kw: Any) -> Any:
            calls.append((name, args))
            return originals[name](*args, **kw)

        return call

    for name in originals:
        setattr(recorder, name, spy(name))
    events = store.load("APA-CLAIMS").events
    assert calls == [("select_rows", (agreement_uuid("APA-CLAIMS"),))]
    assert {e.originator_id for e in events} == {agreement_uuid("APA-CLAIMS")}


def test_state_reads_only_its_agreements_rows_by_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Portfolio: every SQL statement of a load is a SEARCH by this agreement's id (no scan of the others)."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    statements: list[str] = []
    create = SQLiteConnectionPool._create_connection

    def traced(self: Any) -> Any:
        conn = create(self)
        conn._sqlite_conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", traced)
    store = build(str(tmp_path / "portfolio.sqlite"))
    statements.clear()
    store.load("APA-CLOSED")
    wanted = agreement_uuid("APA-CLOSED").hex  # the SQLite recorder stores ids as 32 hex digits
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects and all(f"WHERE originator_id='{wanted}'" in s.replace(" = ", "=") for s in selects)
    with store.recorder.datastore.transaction(commit=False) as cursor:
        for select in selects:  # the statements as run, with the id bound
            cursor.execute("EXPLAIN QUERY PLAN " + select)
            plan = " ".join(str(tuple(row)) for row in cursor.fetchall())
            assert "SEARCH" in plan and "SCAN" not in plan
    store.close()


def test_the_agreements_table_lines_up_a_portfolios_totals() -> None:
    """CLI `agreements`: each column is as wide as its widest cell, so the totals of a large
    portfolio (millions of Earnout Shares, 1.5(b); escrow, 8.1(c)) stay under their headings."""
    row = AgreementSummary(
        agreement_id="APA-00001",
        status="closed",
        closing_date=date(2003, 4, 10),
        events=153,
        released_shares=75_000,
        cancelled_shares=0,
        pending_shares=0,
        escrow_balance_shares=13_614,
        buyer_payable=Decimal("63869.00"),
    )
    totals = PortfolioTotals(
        agreements=1000,
        events=152_947,
        released_shares=74_972_308,
        cancelled_shares=27_692,
        pending_shares=0,
        escrow_balance_shares=12_783_537,
        buyer_payable=Decimal("72169027.00"),
    )
    view = Portfolio(as_of=date(2004, 6, 30), known_at=None, agreements=[row] * 3, totals=totals)
    heading, *rows, total = render_portfolio(view).splitlines()[1:]
    assert total.split() == ["total", "(1000)", "152,947", "74,972,308", "27,692", "0", "12,783,537", "72,169,027.00"]
    for name, value in (("events", "152,947"), ("released", "74,972,308"), ("escrow", "12,783,537")):
        assert heading.index(name) + len(name) == total.index(value) + len(value)  # right-aligned under it
    assert {len(line) for line in (heading, *rows, total)} == {len(total)}
