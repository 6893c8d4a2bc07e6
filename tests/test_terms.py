"""Terms as data: this agreement's figures by default, other agreements by a terms file."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.earnout import cancellation_on, settlement_due_by
from domain.terms import DEFAULT_TERMS, Terms
from tests.clirun import run, write_jsonl
from tests.ledger import claim, closed, new_ledger, resolve


def test_default_terms_are_read_from_the_agreement() -> None:
    """1.3, 1.5, 7.1, 8.1: 205,000 = 105,000 + 25,000 + 75,000 at $10; $25,000; $250,000."""
    t = DEFAULT_TERMS
    assert (t.securities_shares, t.closing_shares, t.escrow_shares, t.earnout_shares) == (205000, 105000, 25000, 75000)
    assert t.securities_value == Decimal("2050000.00")
    assert (t.allowance, t.escrow_cap, t.closing_deadline) == (Decimal(25000), Decimal(250000), date(2003, 5, 31))
    assert (settlement_due_by(t), cancellation_on(t)) == (date(2004, 3, 30), date(2004, 3, 30))
    assert t.restricted_period_end == date(2005, 12, 6)


def test_securities_must_add_up() -> None:
    """1.3: the closing, escrow and earnout shares make up the Buyer Securities."""
    with pytest.raises(ValidationError, match=r"must equal the Buyer Securities"):
        Terms(earnout_shares=70000)


def test_other_terms_drive_the_same_rules(tmp_path: Path) -> None:
    """Same mechanics, other figures: a $10,000 Allowance and a $5 share price."""
    terms = Terms(allowance=Decimal("10000.00"), liquidation_value=Decimal("5.00"))
    book = new_ledger(tmp_path / "other.sqlite", terms=terms)
    book.apply(*closed(), claim("C1", "2003-06-01", "10000.01"), resolve("C1", "2003-07-01", "10000.01"))
    state = book.json("2003-07-01")
    assert state["escrow"]["surrendered_shares"] == 2000
    assert state["indemnity"]["buyer"]["cash_due"] == "0.01"


def test_new_with_a_terms_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`new --terms`: the agreement's figures come from the file."""
    store = str(tmp_path / "t.sqlite")
    terms = tmp_path / "terms.json"
    terms.write_text(json.dumps({"allowance": "10000.00"}))
    assert run(capsys, "--store", store, "new", "OTHER", "--terms", str(terms))[0] == 0
    facts = [*closed(), claim("C1", "2003-06-01", "12000.00"), resolve("C1", "2003-07-01", "12000.00")]
    assert run(capsys, "--store", store, "apply", "OTHER", write_jsonl(tmp_path / "f.jsonl", facts))[0] == 0
    state = json.loads(run(capsys, "--store", store, "state", "OTHER", "--as-of", "2003-07-01", "--json")[1])
    assert state["indemnity"]["buyer"]["allowance"] == "10000.00"
    assert state["indemnity"]["buyer"]["payable"] == "12000.00"


@pytest.mark.parametrize(
    "content",
    ['{"allowance": 10000.5}', '{"earnout_shares": 1}', '{"surprise": 1}', '{"business_calendar": "XX"}', "not json"],
    ids=str,
)
def test_bad_terms_file_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    """`new --terms` refuses floats, inconsistent share counts, unknown keys and bad JSON."""
    terms = tmp_path / "terms.json"
    terms.write_text(content)
    code, _, err = run(capsys, "--store", str(tmp_path / "t.sqlite"), "new", "X", "--terms", str(terms))
    assert code == 2 and err.count("\n") == 1 and "terms" in err
