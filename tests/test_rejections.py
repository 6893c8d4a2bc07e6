"""Every rejection of issue 2: the store is left unchanged, and the CLI exits 2 with one line
on stderr naming the clause (and, for `apply`, the line number)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from domain.errors import LedgerError, RuleViolation
from tests.clirun import run, write_jsonl
from tests.ledger import OneAgreement, claim, closed, fact, resolve, signed

CLOSED = closed("2003-04-10")
BP_A = fact("BPEventDeclared", "2003-09-15", clause="a")
HARMLESS = fact("PaymentDue", "2003-01-15", payment_id="HARMLESS", amount="1.00")


@dataclass(frozen=True)
class Case:
    name: str
    base: list[dict[str, Any]]
    bad: str  # one JSON line, as a user would write it
    clause: str


def line(kind: str, on: str, **fields: Any) -> str:
    return json.dumps(fact(kind, on, **fields))


CASES = [
    Case("bp-event-before-2003", CLOSED, line("BPEventDeclared", "2002-12-31", clause="a"), "(BP Event, 1.5(b))"),
    Case("bp-event-after-feb-2004", CLOSED, line("BPEventDeclared", "2004-03-01", clause="b"), "(BP Event, 1.5(b))"),
    Case("second-bp-event", [*CLOSED, BP_A], line("BPEventDeclared", "2003-10-01", clause="b"), "(BP Event, 1.5(b))"),
    Case(
        "deemed-event-after-a-clause-a-event",
        [*CLOSED, BP_A],
        line("DeemedEventAgreed", "2003-10-01", promotion_implemented_on="2003-06-01", deemed_on="2003-10-01"),
        "(BP Event (c))",
    ),
    Case(
        "deemed-event-under-four-months",
        CLOSED,
        line("DeemedEventAgreed", "2003-05-01", promotion_implemented_on="2003-03-15", deemed_on="2003-07-14"),
        "(BP Event (c))",
    ),
    Case(
        "deemed-event-over-seven-months",
        CLOSED,
        line("DeemedEventAgreed", "2003-05-01", promotion_implemented_on="2003-03-15", deemed_on="2003-10-16"),
        "(BP Event (c))",
    ),
    Case("claim-on-expiry-date", CLOSED, json.dumps(claim("C1", "2005-04-10", "100.00")), "(7.3)"),
    Case("claim-after-expiry-date", CLOSED, json.dumps(claim("C1", "2006-01-01", "100.00")), "(7.3)"),
    Case("resolve-unknown-claim", CLOSED, json.dumps(resolve("NOPE", "2003-06-01", "100.00")), "(8.3)"),
    Case(
        "resolve-resolved-claim",
        [*CLOSED, claim("C1", "2003-06-01", "100.00"), resolve("C1", "2003-07-01", "100.00")],
        json.dumps(resolve("C1", "2003-08-01", "100.00")),
        "(8.3, 8.4)",
    ),
    Case(
        "release-reserved-shares",
        [*CLOSED, claim("C1", "2003-06-01", "30000.00")],
        line("EscrowReleased", "2003-07-01", shares=22001),
        "(8.1(c))",
    ),
    Case("release-more-than-deposited", CLOSED, line("EscrowReleased", "2003-07-01", shares=25001), "(8.1(c))"),
    Case(
        "release-with-nothing-deposited",
        [fact("EffectiveDateReached", "2002-12-06")],
        line("EscrowReleased", "2003-07-01", shares=1),
        "(8.1(c))",
    ),
    Case("closing-twice", CLOSED, line("ClosingOccurred", "2003-04-11"), "(1.5)"),
    Case("closing-before-effective-date-reached", [], line("ClosingOccurred", "2003-04-10"), "(1.4, 1.5)"),
    Case("closing-dated-before-effective-date", signed(), line("ClosingOccurred", "2002-12-05"), "(1.4, 1.5)"),
    Case(
        "closing-after-termination",
        [*signed(), fact("AgreementTerminated", "2003-03-01", reason="mutual")],
        line("ClosingOccurred", "2003-04-10"),
        "(7.2)",
    ),
    Case(
        "deadline-termination-on-the-deadline",
        signed(),
        line("AgreementTerminated", "2003-05-31", reason="deadline"),
        "(7.1)",
    ),
    Case("termination-after-closing", CLOSED, line("AgreementTerminated", "2003-06-01", reason="mutual"), "(7.1)"),
    Case("redemption-before-2007-12-06", CLOSED, line("RedemptionExercised", "2007-12-05", shares=1000), "(5.6)"),
    Case("unknown-event-type", CLOSED, line("ClosingPostponed", "2003-05-01"), "(event catalogue)"),
    Case("unknown-field", CLOSED, line("ClosingOccurred", "2003-05-01", venue="Salt Lake City"), "(1.5, 6)"),
    Case("bad-date", CLOSED, line("BPEventDeclared", "2003-02-30", clause="a"), "(BP Event, 1.5(b))"),
    Case(
        "bad-month",
        CLOSED,
        line("GrossMarginReported", "2003-05-05", month="2003-13", amount="1.00"),
        "(Gross Margin, 1.5(b))",
    ),
    Case(
        "json-float-amount",
        CLOSED,
        '{"type": "ClaimAsserted", "occurred_on": "2003-06-01", "claim_id": "C1", "claimant": "buyer", '
        '"sections": ["2.14"], "amount": 27500.5}',
        "(8.1, 8.2, 8.3, 7.3)",
    ),
    Case(
        "three-decimals",
        CLOSED,
        line("GrossMarginReported", "2003-05-05", month="2003-04", amount="1.005"),
        "(Gross Margin, 1.5(b))",
    ),
    Case(
        "nan-amount",
        CLOSED,
        '{"type": "GrossMarginReported", "occurred_on": "2003-05-05", "month": "2003-04", "amount": NaN}',
        "(import format)",
    ),
    Case("negative-shares", CLOSED, line("EscrowReleased", "2003-07-01", shares=-5), "(Escrow Agreement, 8.1(c))"),
    Case("missing-occurred-on", CLOSED, json.dumps({"type": "ClosingOccurred"}), "(1.5, 6)"),
    Case(
        "derived-event-typed-in", CLOSED, line("SharesSurrendered", "2003-07-01", claim_id="C1", shares=5), "(8.1(c))"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rejection_leaves_the_store_unchanged(book: OneAgreement, case: Case) -> None:
    """Each rejection names its clause and appends nothing."""
    if case.base:
        book.apply(*case.base)
    count = len(book.events())
    with pytest.raises(LedgerError) as err:
        apply_facts(book.store, book.agreement_id, parse_jsonl(case.bad.encode()))
    assert str(err.value).endswith(case.clause)
    assert len(book.events()) == count


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_cli_apply_rejection_exits_2_with_one_line_naming_line_and_clause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    """readings 19: exit 2, one line on stderr with the line number and the clause; the whole
    file is refused (its good first line is not appended either)."""
    store = str(tmp_path / "cli.sqlite")
    assert run(capsys, "--store", store, "new", "APA")[0] == 0
    if case.base:
        assert run(capsys, "--store", store, "apply", "APA", write_jsonl(tmp_path / "base.jsonl", case.base))[0] == 0
    before = json.loads(run(capsys, "--store", store, "history", "APA", "--json")[1])
    bad = write_jsonl(tmp_path / "bad.jsonl", [json.dumps(HARMLESS), case.bad])
    code, out, err = run(capsys, "--store", store, "apply", "APA", bad)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("apa-ledger: line 2: ")
    assert err.rstrip().endswith(case.clause)
    assert json.loads(run(capsys, "--store", store, "history", "APA", "--json")[1]) == before


def test_cli_record_rejection_names_the_clause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """5.6 through `record`: exit 2, one line, the clause, nothing appended."""
    store = str(tmp_path / "cli.sqlite")
    run(capsys, "--store", store, "new", "APA")
    run(capsys, "--store", store, "apply", "APA", write_jsonl(tmp_path / "base.jsonl", CLOSED))
    code, out, err = run(
        capsys,
        "--store",
        store,
        "record",
        "APA",
        "RedemptionExercised",
        "--occurred-on",
        "2007-12-05",
        "--shares",
        "10",
    )
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert "no redemption before 2007-12-06 (5.6)" in err
    code, _, _ = run(
        capsys,
        "--store",
        store,
        "record",
        "APA",
        "RedemptionExercised",
        "--occurred-on",
        "2007-12-06",
        "--shares",
        "10",
    )
    assert code == 0


def test_deadline_termination_the_day_after_the_deadline_is_accepted(book: OneAgreement) -> None:
    """7.1: "if the Closing does not occur on or before the close of business on May 31, 2003"."""
    book.apply(*signed(), fact("AgreementTerminated", "2003-06-01", reason="deadline"))
    assert book.state("2003-06-01").status == "terminated"


def test_extended_deadline_moves_the_termination_right(book: OneAgreement) -> None:
    """7.1: the deadline may be "extended by mutual consent in writing of Buyer and Sellers"."""
    book.apply(*signed(), fact("ClosingDeadlineExtended", "2003-05-15", new_deadline="2003-07-31"))
    with pytest.raises(LedgerError, match="2003-07-31 has not passed"):
        book.apply(fact("AgreementTerminated", "2003-07-31", reason="deadline"))
    book.apply(fact("AgreementTerminated", "2003-08-01", reason="deadline"))


@pytest.mark.parametrize("kind", ["ClosingOccurred", "EscrowDeposited"])
def test_a_fact_needing_the_effective_date_says_it_is_not_recorded_and_how_to_record_it(
    book: OneAgreement, kind: str
) -> None:
    """1.4: with no Effective Date recorded, a Closing (1.5) or an escrow deposit (8.1(c)) is told
    that the Effective Date is missing and which fact records it - not that a date is wrong."""
    fields = {"shares": 25000} if kind == "EscrowDeposited" else {}
    with pytest.raises(RuleViolation, match=r"no Effective Date is recorded.*EffectiveDateReached"):
        book.apply(fact(kind, "2003-04-10", **fields))


@pytest.mark.parametrize(
    ("typed", "named"),
    [("ClosingOccured", "ClosingOccurred"), ("ClaimAsserted2", "ClaimAsserted"), ("EscrowRelease", "EscrowReleased")],
)
def test_an_unknown_event_type_names_the_closest(tmp_path: Path, capsys, typed: str, named: str) -> None:
    """The event catalogue: a misspelt type is refused with the closest names, nothing appended."""
    store = str(tmp_path / "s.sqlite")
    run(capsys, "--store", store, "new", "APA")
    code, _, err = run(capsys, "--store", store, "record", "APA", typed, "--occurred-on", "2003-01-01")
    assert code == 2 and f"unknown event type {typed!r}; did you mean {named}" in err
