"""Known-at queries (issue 3.1, 3.7): the state as the ledger knew it at a past moment.

readings 9: a query folds the events recorded at or before ``known_at`` whose
``occurred_on`` is at or before ``as_of``; ``recorded_at`` is stamped by the store on
append and never set by a user.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commands.cli.options import parse_known_at
from domain.errors import InvalidInput
from tests.clirun import one_clear_line, run_cli, stored_count
from tests.ledger import OneAgreement, claim, closed, fact, to_jsonl

RECORDED = datetime(2026, 5, 1, 0, 0, 1, tzinfo=UTC)  # Clock.set + one tick


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def late_claim(book: OneAgreement) -> OneAgreement:
    """Closing in April 2003 (recorded in 2003); a buyer claim asserted on 2004-01-15 but
    recorded only on 2026-05-01T00:00:01Z (the test store clock starts in 2026) (a back-dated event)."""
    book.clock.set("2026-02-01T12:00:00Z")
    book.apply(*closed())
    book.clock.set("2026-05-01T00:00:00Z")
    book.apply(claim("C2", "2004-01-15", "30000"))
    return book


def test_recorded_at_is_stamped_by_the_store_clock_on_both_stores(ledger: OneAgreement) -> None:
    """readings 9: recorded_at comes from the store's clock on append, and a
    known-at query reads it back the same from SQLite and PostgreSQL."""
    ledger.clock.set("2026-02-01T12:00:00Z")
    ledger.apply(*closed())
    ledger.clock.set("2026-05-01T00:00:00Z")
    ledger.apply(claim("C2", "2004-01-15", "30000"))
    last = ledger.events()[-1]
    assert (last.type, last.recorded_at, str(last.occurred_on)) == ("ClaimAsserted", RECORDED, "2004-01-15")
    assert ledger.state("2004-03-31", RECORDED - timedelta(microseconds=1)).claims == []
    assert [c.claim_id for c in ledger.state("2004-03-31", RECORDED).claims] == ["C2"]


def test_back_dated_claim_changes_as_of_answers_only_for_later_known_at(late_claim: OneAgreement) -> None:
    """A back-dated claim recorded later changes the state on 2004-03-31 as known now, but
    not as known on 2026-04-30 - nor on the instant before it was recorded."""
    before, at = RECORDED - timedelta(microseconds=1), RECORDED
    assert late_claim.state("2004-03-31", utc("2026-04-30T00:00:00Z")).claims == []
    assert late_claim.state("2004-03-31", before).escrow.reserved_shares == 0
    assert late_claim.state("2004-03-31", at).escrow.reserved_shares == 3000
    assert late_claim.state("2004-03-31").escrow.reserved_shares == 3000
    assert late_claim.state("2004-01-14").claims == []  # the day before it occurred
    assert [c.claim_id for c in late_claim.state("2004-01-15").claims] == ["C2"]


def test_known_at_before_the_registration_is_rejected(late_claim: OneAgreement) -> None:
    """Preamble: before the agreement was registered the ledger knew nothing of it."""
    with pytest.raises(Exception, match="not registered at that time"):
        late_claim.state("2004-03-31", utc("2025-01-01T00:00:00Z"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2004-05-01T02:00:01+02:00", "2004-05-01T00:00:01+00:00"),
        ("2004-04-30T19:00:01-05:00", "2004-05-01T00:00:01+00:00"),
        ("2004-05-01T00:00:01Z", "2004-05-01T00:00:01+00:00"),
        ("2004-05-01T00:00:01z", "2004-05-01T00:00:01+00:00"),
        ("2004-05-01T00:00:01", "2004-05-01T00:00:01+00:00"),  # naive means UTC
        ("2004-05-01", "2004-05-01T23:59:59.999999+00:00"),  # a date means the end of that day
    ],
)
def test_known_at_parses_utc_and_offsets(text: str, expected: str) -> None:
    """--known-at: ISO 8601, UTC or with an offset, normalised to UTC."""
    assert parse_known_at(text) == datetime.fromisoformat(expected)


@pytest.mark.parametrize("text", ["yesterday", "2004-13-01T00:00:00Z", "2004-05-01T25:00", ""])
def test_bad_known_at_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="--known-at"):
        parse_known_at(text)


def test_cli_known_at_with_offset_on_either_side_of_the_recording(late_claim: OneAgreement, capsys) -> None:
    """The claim recorded at 00:00:01Z is unknown at 02:00:00+02:00 and known at 02:00:01+02:00."""
    store = str(late_claim.path)

    def claims(known_at: str) -> list[str]:
        run = run_cli(
            capsys, "--store", store, "state", "APA", "--as-of", "2004-03-31", "--known-at", known_at, "--json"
        )
        assert run.code == 0, run.err
        return [c["claim_id"] for c in json.loads(run.out)["claims"]]

    assert claims("2026-05-01T02:00:00+02:00") == []
    assert claims("2026-05-01T02:00:01+02:00") == ["C2"]
    bad = run_cli(capsys, "--store", store, "state", "APA", "--known-at", "soon")
    assert one_clear_line(bad) and "--known-at" in bad.err


@pytest.mark.parametrize(
    "stamped",
    [
        {"recorded_at": "2004-01-01T00:00:00Z"},
        {"timestamp": "2004-01-01T00:00:00Z"},
        {"hash": "0" * 64},
        {"prev_hash": "0" * 64},
        {"position": 3},
        {"originator_version": 3},
    ],
)
def test_user_supplied_store_fields_are_rejected(late_claim: OneAgreement, tmp_path: Path, capsys, stamped) -> None:
    """readings 9: recorded_at (and the hash chain, the position) are the store's,
    never the user's: the line is rejected, exit 2, nothing appended."""
    path = tmp_path / "f.jsonl"
    path.write_bytes(to_jsonl(fact("EscrowReleased", "2004-06-01", shares=10, **stamped)))
    before = stored_count(late_claim.path)
    run = run_cli(capsys, "--store", str(late_claim.path), "apply", "APA", str(path))
    assert one_clear_line(run) and "set by the store" in run.err
    assert stored_count(late_claim.path) == before


def test_history_shows_both_times_hash_and_clause_and_filters(late_claim: OneAgreement, capsys) -> None:
    """Audit trail: every event with occurred_on, recorded_at, hash and clause;
    --known-at and --as-of filter it."""
    store = str(late_claim.path)
    rows = json.loads(run_cli(capsys, "--store", store, "history", "APA", "--json").out)
    last = rows[-1]
    assert (last["position"], last["type"], last["occurred_on"]) == (5, "ClaimAsserted", "2004-01-15")
    assert last["recorded_at"] == RECORDED.isoformat() and last["clause"] == "8.1, 8.2, 8.3, 7.3"
    assert last["prev_hash"] == rows[-2]["hash"] and len(last["hash"]) == 64
    known = run_cli(capsys, "--store", store, "history", "APA", "--json", "--known-at", "2026-05-01T02:00:00+02:00")
    assert [r["position"] for r in json.loads(known.out)] == [1, 2, 3, 4]
    as_of = run_cli(capsys, "--store", store, "history", "APA", "--json", "--as-of", "2004-01-14")
    assert [r["position"] for r in json.loads(as_of.out)] == [1, 2, 3, 4]
    text = run_cli(capsys, "--store", store, "history", "APA").out.splitlines()[-1]
    assert "2004-01-15" in text and "2026-05-01T00:00:01Z" in text and last["hash"][:12] in text
    assert "[8.1, 8.2, 8.3, 7.3]" in text
