"""Money in the read model is exact for SQL: filters, sorts and sums of whole cents give what
Decimal arithmetic on `state --json` gives, in sqlite3, in the sqlite-utils CLI and in
Datasette's sort, filter and JSON API (a generated portfolio whose claims run from $2,000 to
$12,000, where a sort or comparison of text would put 9998.00 above 11484.00)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.reporting.export import export
from tests.ledger import OneAgreement, new_ledger

AGREEMENTS = ("APA", "APA-2", "APA-3", "APA-4")
AS_OF = "recorded_to IS NULL AND valid_from <= :d AND (:d < valid_to OR valid_to IS NULL)"
DAYS = ("2003-09-01", "2004-03-15", "2004-12-31", "2030-01-01")
THRESHOLD = Decimal("9000.00")


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, OneAgreement]]:
    path = tmp_path_factory.mktemp("money")
    first = new_ledger(path / "store.sqlite")
    books = {}
    for index, agreement_id in enumerate(AGREEMENTS):
        if index:
            register_agreement(first.store, agreement_id)
        apply_facts(first.store, agreement_id, parse_jsonl(jsonl(history(index))))
        books[agreement_id] = OneAgreement(first.store, first.path, first.clock, agreement_id=agreement_id)
    db = path / "reporting.sqlite"
    export(first.store, str(db))
    return db, books


def _claims_now(books: dict[str, OneAgreement], day: str) -> list[tuple[str, str, Decimal]]:
    """Every claim of the portfolio on ``day`` from `state --json`, with its amount as a Decimal."""
    return [(a, c["claim_id"], Decimal(c["amount"])) for a, book in books.items() for c in book.json(day)["claims"]]


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


def test_sql_filters_and_sorts_claims_by_amount_as_decimals_do(portfolio: tuple[Path, dict[str, OneAgreement]]) -> None:
    """8.3: `amount_cents > :t`, `BETWEEN` and `ORDER BY amount_cents DESC` over the claims on a
    date select and order exactly what Decimal comparison of `state --json` amounts does."""
    db, books = portfolio
    with sqlite3.connect(db) as conn:
        for day in DAYS:
            claims = _claims_now(books, day)
            over = conn.execute(
                f"SELECT agreement_id, claim_id FROM claims WHERE {AS_OF} AND amount_cents > :t "
                "ORDER BY amount_cents DESC, agreement_id, claim_id",
                {"d": day, "t": _cents(THRESHOLD)},
            ).fetchall()
            expected = sorted((c for c in claims if c[2] > THRESHOLD), key=lambda c: (-c[2], c[0], c[1]))
            assert over == [(a, c) for a, c, _ in expected], day
            between = conn.execute(
                f"SELECT count(*) FROM claims WHERE {AS_OF} AND amount_cents BETWEEN 500000 AND 1000000", {"d": day}
            ).fetchone()[0]
            assert between == sum(1 for c in claims if Decimal(5000) <= c[2] <= Decimal(10000)), day
    final = _claims_now(books, DAYS[-1])
    as_text = sorted((f"{c[2]:.2f}" for c in final), reverse=True)
    assert as_text != [f"{c[2]:.2f}" for c in sorted(final, key=lambda c: -c[2])]  # text would order them wrong


def test_sql_sums_of_headline_money_equal_the_decimal_sums_of_state_json(
    portfolio: tuple[Path, dict[str, OneAgreement]],
) -> None:
    """8.1(b)-(c), 8.2(b), 8.6, 1.5(c): the portfolio's total payable Losses, cash due, withheld
    payments and Purchase Price reduction on a date are SUMs of whole cents equal to the
    Decimal sums of each agreement's `state --json`."""
    db, books = portfolio
    with sqlite3.connect(db) as conn:
        for day in DAYS:
            got = conn.execute(
                "SELECT sum(buyer_payable_cents), sum(sellers_payable_cents), sum(buyer_cash_due_cents), "
                "sum(withheld_outstanding_cents), sum(purchase_price_reduction_cents) "
                f"FROM state_timeline WHERE {AS_OF}",
                {"d": day},
            ).fetchone()
            states = [book.json(day) for book in books.values()]
            paths = [
                ("indemnity", "buyer", "payable"),
                ("indemnity", "sellers", "payable"),
                ("indemnity", "buyer", "cash_due"),
                ("offset", "withheld_outstanding"),
                ("purchase_price", "reduction"),
            ]
            expected = tuple(_cents(sum((Decimal(_at(s, p)) for s in states), Decimal(0))) for p in paths)
            assert got == expected, day
    assert any(got)  # the last date's totals are not all zero


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def test_the_sqlite_utils_cli_sums_and_sorts_cents_exactly(portfolio: tuple[Path, dict[str, OneAgreement]]) -> None:
    """8.3: `sqlite-utils query` over the claims as known now: their total and the largest claim."""
    db, books = portfolio
    sql = "SELECT sum(amount_cents) AS total, max(amount_cents) AS top FROM claims "
    sql += "WHERE recorded_to IS NULL AND valid_to IS NULL"
    out = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "query", str(db), sql], capture_output=True, text=True, check=True
    )
    amounts = [c[2] for c in _claims_now(books, DAYS[-1])]
    assert json.loads(out.stdout) == [{"total": _cents(sum(amounts, Decimal(0))), "top": _cents(max(amounts))}]


@pytest.mark.skipif(importlib.util.find_spec("datasette") is None, reason="datasette not installed (extra [dashboard])")
def test_datasette_sorts_and_filters_cents_as_numbers(portfolio: tuple[Path, dict[str, OneAgreement]]) -> None:
    """8.3: Datasette's JSON API with `_sort_desc=amount_cents` and `amount_cents__gt` returns the
    claims above $9,000 as known now, largest first, as Decimal comparison orders them."""
    from datasette.app import Datasette

    db, books = portfolio
    ds = Datasette([str(db)])
    query = f"_sort_desc=amount_cents&amount_cents__gt={_cents(THRESHOLD)}&valid_to__isnull=1&_shape=array&_size=max"

    async def fetch() -> list[dict[str, Any]]:
        answer = await ds.client.get(f"/{db.stem}/claims.json?{query}")
        assert answer.status_code == 200
        return answer.json()

    found = asyncio.run(fetch())
    expected = sorted((c for c in _claims_now(books, DAYS[-1]) if c[2] > THRESHOLD), key=lambda c: -c[2])
    assert [r["amount_cents"] for r in found] == [_cents(c[2]) for c in expected]
    assert len(found) > 10
