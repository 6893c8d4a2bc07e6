"""The reporting read model (`apa-ledger export`): plain SQL "as of" equals `state --json`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from commands.demo import demo_history
from commands.reporting.export import SCHEMA_VERSION, TABLES, export, open_view
from domain.values import format_money, money_cents
from projections.headline import HEADLINE, HEADLINE_COLUMNS, MONEY_FIGURES, headline_row
from projections.read_model import event_rows
from projections.versions import Versions
from tests.clirun import run_cli
from tests.ledger import OneAgreement, fact, new_ledger

AS_OF = "recorded_to IS NULL AND valid_from <= :d AND (:d < valid_to OR valid_to IS NULL)"
DATES = [
    "2002-12-06", "2003-04-09", "2003-04-10", "2003-05-01", "2003-08-01", "2003-09-15", "2003-12-31",
    "2004-01-31", "2004-03-01", "2004-03-29", "2004-03-30", "2004-04-15", "2004-07-01", "2005-04-09",
    "2005-04-10", "2006-04-15", "2006-04-16", "2007-12-06", "2030-01-01",
]  # fmt: skip
SPLIT = 30  # the first 30 facts of the demo history, then the rest


def rows(db: Path, sql: str, **params: Any) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the read model, in primary-key order (WITHOUT ROWID tables)."""
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in (*TABLES, "tracking")}


def figures(state: dict[str, Any]) -> dict[str, Any]:
    """The state_timeline row of `state --json` (``projections.headline``: money in whole cents)."""
    return headline_row(state)


@pytest.fixture
def demo(tmp_path: Path) -> OneAgreement:
    """The demo's realistic history: BP Event, claims on both sides, an 8.6 withholding, a release."""
    book = new_ledger(tmp_path / "demo.sqlite")
    book.apply(*demo_history())
    return book


def test_sql_as_of_equals_state_json_at_several_dates(demo: OneAgreement, tmp_path: Path) -> None:
    """1.5(b)-(c), 8.1(c), 8.6: at each date the state_timeline row, the pending claims, the
    survival rows and the obligations selected with plain SQL equal `state --json`."""
    db = tmp_path / "reporting.sqlite"
    export(demo.store, str(db))
    for day in DATES:
        state = demo.json(day)
        (row,) = rows(db, f"SELECT * FROM state_timeline WHERE {AS_OF}", d=day)
        assert {k: row[k] for k in figures(state)} == figures(state), day
        got = rows(db, f"SELECT clause, description, due_on, status FROM obligations WHERE {AS_OF}", d=day)
        assert sorted(got, key=json.dumps) == sorted(state["obligations"], key=json.dumps), day
        survival = rows(db, f"SELECT section, status, expires_on FROM survival WHERE {AS_OF} ORDER BY section", d=day)
        expected = sorted(({k: r[k] for k in ("section", "status", "expires_on")} for r in state["survival"]), key=str)
        assert sorted(survival, key=str) == expected, day
        claims = rows(db, f"SELECT claim_id, status, amount_cents FROM claims WHERE {AS_OF} ORDER BY claim_id", d=day)
        expected_claims = [(c["claim_id"], c["status"], money_cents(c["amount"])) for c in state["claims"]]
        assert [tuple(c.values()) for c in claims] == sorted(expected_claims), day


def test_each_headline_column_is_the_state_json_figure_it_is_named_for(demo: OneAgreement, tmp_path: Path) -> None:
    """1.5, 8.1-8.6: the state_timeline columns are the headline paths of `state --json`, one
    each, in order, money among them exactly where `state --json` writes two-place strings."""
    db = tmp_path / "reporting.sqlite"
    export(demo.store, str(db))
    with sqlite3.connect(db) as conn:
        names = [r[1] for r in conn.execute("PRAGMA table_info(state_timeline)")]
    assert tuple(names[5:]) == HEADLINE_COLUMNS and len(set(HEADLINE_COLUMNS)) == len(HEADLINE)
    state = demo.json("2004-04-15")
    for path, name in zip(HEADLINE, HEADLINE_COLUMNS, strict=True):
        value: Any = state
        for part in path:
            value = value[part]
        assert name.removesuffix("_cents").endswith(path[-1]) and name.endswith("_cents") == (path in MONEY_FIGURES)
        assert isinstance(value, str) == (path in MONEY_FIGURES or path == ("status",)), name


def test_the_as_of_query_is_answered_from_an_index(demo: OneAgreement, tmp_path: Path) -> None:
    """Issue 16, item 4: "as of :d" (as known now) over the portfolio reads ``state_timeline_known``
    and for one agreement the primary key, never a scan of the table (EXPLAIN QUERY PLAN)."""
    db = tmp_path / "reporting.sqlite"
    export(demo.store, str(db))
    with sqlite3.connect(db) as conn:

        def plan(sql: str) -> str:
            return " | ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, {"d": "2004-04-15", "a": "x"}))

        portfolio = plan(f"SELECT * FROM state_timeline WHERE {AS_OF}")
        one = plan(f"SELECT * FROM state_timeline WHERE agreement_id = :a AND {AS_OF}")
        claims = plan(f"SELECT * FROM claims WHERE agreement_id = :a AND {AS_OF}")
    known = "SEARCH state_timeline USING INDEX state_timeline_known (recorded_to=? AND valid_from<?)"
    assert portfolio.startswith(known), portfolio
    assert one.startswith("SEARCH state_timeline USING PRIMARY KEY (agreement_id=? AND valid_from<?)"), one
    assert claims.startswith("SEARCH claims USING "), claims
    assert "SCAN" not in portfolio + one + claims


def test_every_day_falls_in_exactly_one_interval_with_the_right_figures(demo: OneAgreement, tmp_path: Path) -> None:
    """Change points: between two rows nothing changes, so a sweep of dates every 9 days from
    the Effective Date to 2008 finds one row each, equal to the projection of that day."""
    db = tmp_path / "reporting.sqlite"
    export(demo.store, str(db))
    day = date(2002, 12, 6)
    while day < date(2008, 1, 1):
        found = rows(db, f"SELECT * FROM state_timeline WHERE {AS_OF}", d=day.isoformat())
        assert len(found) == 1
        assert {k: found[0][k] for k in figures(demo.json(day.isoformat()))} == figures(demo.json(day.isoformat()))
        day += timedelta(days=9)
    assert rows(db, f"SELECT * FROM state_timeline WHERE {AS_OF}", d="2002-12-05") == []


def test_incremental_export_equals_rebuild_table_for_table(demo: OneAgreement, tmp_path: Path) -> None:
    """Tracking: exporting in two steps (the second applies only the new events) and
    `--rebuild` from scratch give identical tables, rows and order."""
    first = new_ledger(tmp_path / "two-step.sqlite")
    first.apply(*demo_history()[:SPLIT])
    db = tmp_path / "incremental.sqlite"
    step1 = export(first.store, str(db))
    first.apply(*demo_history()[SPLIT:], fact("EscrowReleased", "2006-05-01", shares=5000))
    step2 = export(first.store, str(db))
    assert step2.notifications == len(first.events()) - step1.position  # only the new ones
    again = export(first.store, str(db))
    assert (again.notifications, again.position) == (0, step2.position)
    rebuilt = tmp_path / "rebuilt.sqlite"
    export(first.store, str(rebuilt), rebuild=True)
    assert dump(db) == dump(rebuilt)
    export(first.store, str(rebuilt), rebuild=True)  # over an existing file, from scratch
    assert dump(db) == dump(rebuilt)


def test_replayed_position_is_refused_and_rolls_back_the_rows(demo: OneAgreement, tmp_path: Path) -> None:
    """eventsourcing tracking: the position is written in the view's transaction; an old
    position raises IntegrityError and the rows written with it are rolled back."""
    db = tmp_path / "reporting.sqlite"
    result = export(demo.store, str(db))
    before = dump(db)
    view = open_view(str(db))
    with pytest.raises(IntegrityError):
        view.replace_agreements({"APA": _no_new_rows("APA")}, Tracking(demo.store.name, result.position))
    assert dump(db) == before
    assert view.max_tracking_id(demo.store.name) == result.position


def _no_new_rows(agreement_id: str) -> Versions:
    return Versions(agreement_id, 0, 0, {table: [] for table in TABLES})


def test_money_is_integer_cents_with_two_place_text_beside_and_never_real(demo: OneAgreement, tmp_path: Path) -> None:
    """Money is INTEGER whole cents (``_cents``), never REAL or TEXT, so SQL compares, sorts and
    sums it exactly; the ``_in_dollars`` views show each amount as two-place text beside its
    cents; shares are INTEGER (STRICT tables)."""
    db = tmp_path / "reporting.sqlite"
    export(demo.store, str(db))
    types = rows(
        db, "SELECT DISTINCT typeof(buyer_payable_cents) AS m, typeof(released_shares) AS s FROM state_timeline"
    )
    assert types == [{"m": "integer", "s": "integer"}]
    shown = rows(db, "SELECT amount_cents, amount, resolved_amount_cents, resolved_amount FROM claims_in_dollars")
    assert shown and all(r["amount"] == format_money(Decimal(r["amount_cents"]).scaleb(-2)) for r in shown)
    assert all((r["resolved_amount"] is None) == (r["resolved_amount_cents"] is None) for r in shown)
    cash = rows(db, "SELECT buyer_cash_due_cents AS c, buyer_cash_due AS t FROM state_timeline_in_dollars")
    assert {r["t"] for r in cash} == {
        str(Decimal(r["c"]) / 100) if r["c"] % 100 else f"{r['c'] // 100}.00" for r in cash
    }
    with sqlite3.connect(db) as conn:
        loose = conn.execute(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND (p.type = 'REAL' OR (p.name LIKE '%cents' AND p.type <> 'INTEGER'))"
        ).fetchall()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert loose == []


def test_a_read_model_of_an_older_layout_is_rebuilt_by_the_next_export(demo: OneAgreement, tmp_path: Path) -> None:
    """A read model written before money was held in cents (layout 0) is not appended to in the
    new layout: the next export rebuilds it whole."""
    db = tmp_path / "reporting.sqlite"
    export(demo.store, str(db))
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 0")
        conn.execute("UPDATE claims SET amount_cents = -1")
    result = export(demo.store, str(db))
    assert result.notifications == len(demo.events())
    assert rows(db, "SELECT count(*) AS n FROM claims WHERE amount_cents < 0") == [{"n": 0}]


def test_export_covers_every_agreement_and_the_events_table(tmp_path: Path) -> None:
    """The export covers store.agreement_ids(); events keep both times and the payload as JSON."""
    book = new_ledger(tmp_path / "two.sqlite")
    book.apply(*demo_history()[:8])
    other = OneAgreement(book.store, book.path, book.clock, agreement_id="OTHER")
    from commands.handlers import register_agreement

    register_agreement(book.store, "OTHER")
    other.apply(fact("EffectiveDateReached", "2002-12-06"))
    db = tmp_path / "reporting.sqlite"
    export(book.store, str(db))
    assert [r["agreement_id"] for r in rows(db, "SELECT agreement_id FROM agreements")] == sorted(
        book.store.agreement_ids()
    )
    event = rows(db, "SELECT * FROM events WHERE agreement_id = 'APA' AND type = 'EscrowDeposited'")[0]
    assert json.loads(event["payload"]) == {"shares": 25000}
    assert event["occurred_on"] == "2002-12-06" and event["recorded_at"].startswith("2026-01-01T00:00:")


def test_export_from_each_store_kind(ledger: OneAgreement, tmp_path: Path) -> None:
    """The read model is SQLite whatever the event store (SQLite file or PostgreSQL)."""
    ledger.apply(*demo_history())
    db = tmp_path / "reporting.sqlite"
    export(ledger.store, str(db))
    (row,) = rows(
        db, f"SELECT released_shares, escrow_balance_shares FROM state_timeline WHERE {AS_OF}", d="2004-06-30"
    )
    state = ledger.json("2004-06-30")
    assert (row["released_shares"], row["escrow_balance_shares"]) == (
        state["earnout"]["released_shares"],
        state["escrow"]["balance_shares"],
    )


def test_export_cli_reports_and_refuses_the_store_itself(
    demo: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """`export --to` the event store's own file, or a directory, is refused with one line (exit 2)."""
    db = demo.path.with_name("reporting.sqlite")
    ok = run_cli(capsys, "--store", str(demo.path), "export", "--to", str(db))
    assert ok.code == 0 and f"to {db}, position {len(demo.events())}" in ok.out and ok.err == ""
    again = run_cli(capsys, "--store", str(demo.path), "export", "--to", str(db))
    assert "exported 0 new events" in again.out
    bad = run_cli(capsys, "--store", str(demo.path), "export", "--to", str(demo.path))
    assert bad.code == 2 and "event store itself" in bad.err and bad.err.count("\n") == 1
    folder = demo.path.with_name("folder.sqlite")
    folder.mkdir()
    for rebuild in ((), ("--rebuild",)):
        bad = run_cli(capsys, "--store", str(demo.path), "export", "--to", str(folder), *rebuild)
        assert bad.code == 2 and "is a directory" in bad.err and bad.err.count("\n") == 1
    assert list(folder.parent.glob("*rebuilding*")) == []


def test_progress_counts_every_new_notification_once(demo: OneAgreement, tmp_path: Path) -> None:
    """Progress for long runs: the callback's counts add up to the notifications exported."""
    counts: list[int] = []
    result = export(demo.store, str(tmp_path / "reporting.sqlite"), progress=counts.append)
    assert sum(counts) == result.notifications == len(demo.events())


def test_each_events_recorded_at_is_written_as_recorded_even_at_one_instant(tmp_path: Path) -> None:
    """Reporting read model, events table (readings 9): recorded_at is each event's own
    ISO text, so one instant recorded at two UTC offsets is written twice, each as it was."""
    ledger = new_ledger(tmp_path / "offsets.sqlite")
    ledger.clock.set("2026-01-01T10:00:00+02:00")
    ledger.apply(fact("EffectiveDateReached", "2002-12-06"))
    first = ledger.events()[-1]
    second = first.model_copy(update={"originator_version": 3, "timestamp": first.timestamp.astimezone(UTC)})
    rows = event_rows("A", [first, second])
    assert first.timestamp == second.timestamp
    assert first.timestamp.isoformat().endswith("+02:00") and second.timestamp.isoformat().endswith("+00:00")
    assert [r["recorded_at"] for r in rows] == [first.timestamp.isoformat(), second.timestamp.isoformat()]
