"""Impact reports (issue 3.3): `diff AGREEMENT --as-of D --known-at T1 [--known-at T2]`.

readings 9: the state on D as known at T1 and at T2 differ exactly by the events
recorded in between - "a back-dated claim just arrived: which releases and surrenders
are now wrong?"
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from projections.diff import causes, changes, flatten
from tests.clirun import one_clear_line, run_cli
from tests.ledger import OneAgreement, claim, closed, fact, reference_bp, resolve

T1 = "2026-02-01T00:00:05Z"  # after the first batch, before the late claim


@pytest.fixture
def late(book: OneAgreement) -> OneAgreement:
    """Reference BP Event recorded 2026-02-01; a buyer claim C1 asserted 2004-01-15 and
    resolved at 40,000 on 2004-03-01, both recorded late on 2026-03-01; then a release of
    escrow shares on 2005-06-01 recorded 2026-04-01."""
    book.clock.set("2026-02-01T00:00:00Z")
    book.apply(*closed(), *reference_bp())
    book.clock.set("2026-03-01T00:00:00Z")
    book.apply(claim("C1", "2004-01-15", "30000"), resolve("C1", "2004-03-01", "40000"))
    book.clock.set("2026-04-01T00:00:00Z")
    book.apply(fact("EscrowReleased", "2005-06-01", shares=1000))
    return book


def test_flatten_keys_rows_by_their_natural_ids(late: OneAgreement) -> None:
    """Dotted keys: claims by claim_id, survival by section, schedule rows by date and kind."""
    flat = flatten(late.json("2004-03-31"))
    assert flat["earnout.released_shares"] == 71293
    assert flat["earnout.bp_event.settlement_shares"] == 28436
    assert flat["claims.C1.status"] == "resolved"
    assert flat["survival.2.7.status"] == "surviving"
    assert flat["earnout.schedule.2003-04-10.catch-up"] == 16071
    assert flat["earnout.schedule.2004-03-30.cancellation"] == 3707
    assert "known_at" not in flat and "as_of" not in flat


def test_changes_lists_old_and_new_and_nothing_else() -> None:
    old = {"escrow": {"balance_shares": 25000, "reserved_shares": 0}, "claims": []}
    new = {"escrow": {"balance_shares": 21000, "reserved_shares": 0}, "claims": [{"claim_id": "C1", "status": "x"}]}
    assert [(c.figure, c.old, c.new) for c in changes(old, new)] == [
        ("escrow.balance_shares", 25000, 21000),
        ("claims.C1.status", None, "x"),
    ]
    assert changes(new, new) == []


def test_late_back_dated_claim_shows_which_surrenders_are_now_wrong(late: OneAgreement, capsys) -> None:
    """8.1(b)-(c): the late claim resolved at 40,000 (above the Allowance) surrenders 4,000
    escrow shares on 2004-03-01; as known at T1 none were surrendered. The report names
    the figures and the two events recorded in between (not the later release)."""
    t2 = "2026-03-15T00:00:00+01:00"
    run = run_cli(
        capsys, "--store", str(late.path), "diff", "APA", "--as-of", "2004-03-31",
        "--known-at", T1, "--known-at", t2, "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    report = json.loads(run.out)
    found = {c["figure"]: (c["old"], c["new"]) for c in report["changes"]}
    assert found["escrow.surrendered_shares"] == (0, 4000)
    assert found["escrow.balance_shares"] == (25000, 21000)
    assert found["indemnity.buyer.payable"] == ("0.00", "40000.00")
    assert found["claims.C1.status"] == (None, "resolved")
    assert "earnout.released_shares" not in found  # the earnout is untouched
    assert [(c["position"], c["type"], c["occurred_on"]) for c in report["causes"]] == [
        (14, "ClaimAsserted", "2004-01-15"),
        (15, "ClaimResolved", "2004-03-01"),
        (16, "SharesSurrendered", "2004-03-01"),
    ]
    assert report["causes"][0]["recorded_at"] == "2026-03-01T00:00:01Z"


def test_t2_defaults_to_now_and_events_after_the_date_do_not_count(late: OneAgreement, capsys) -> None:
    """Without T2 the report runs to now; the 2005 release, recorded in between, does not
    bear on 2004-03-31 and is not listed; on 2005-06-01 it is."""
    store = str(late.path)
    on_2004 = json.loads(
        run_cli(capsys, "--store", store, "diff", "APA", "--as-of", "2004-03-31", "--known-at", T1, "--json").out
    )
    assert on_2004["known_at_after"] is None
    assert [c["type"] for c in on_2004["causes"]] == ["ClaimAsserted", "ClaimResolved", "SharesSurrendered"]
    on_2005 = json.loads(
        run_cli(capsys, "--store", store, "diff", "APA", "--as-of", "2005-06-01", "--known-at", T1, "--json").out
    )
    assert on_2005["causes"][-1]["type"] == "EscrowReleased"
    assert {"escrow.released_shares": [0, 1000]}.items() <= {
        c["figure"]: [c["old"], c["new"]] for c in on_2005["changes"]
    }.items()


def test_diff_text_report_and_an_unchanged_state(late: OneAgreement, capsys) -> None:
    store = str(late.path)
    text = run_cli(capsys, "--store", store, "diff", "APA", "--as-of", "2004-03-31", "--known-at", T1).out
    assert "escrow.surrendered_shares" in text and "0 -> 4000" in text
    assert "15  ClaimResolved" in text and "recorded 2026-03-01T00:00:01+00:00" in text
    same = run_cli(capsys, "--store", store, "diff", "APA", "--as-of", "2003-06-30", "--known-at", T1).out
    assert "no figure differs" in same


def test_retraction_is_a_cause_whatever_its_date(late: OneAgreement, capsys) -> None:
    """A retraction acts from its recording on: retracting the resolution (dated 2005-07-01)
    undoes the surrender on 2004-03-31 and is listed as the cause."""
    late.clock.set("2026-05-01T00:00:00Z")
    late.apply(fact("EventRetracted", "2005-07-01", event_id=15, reason="settlement rescinded"))
    args = ("diff", "APA", "--as-of", "2004-03-31", "--known-at", "2026-04-15T00:00:00Z", "--json")
    report = json.loads(run_cli(capsys, "--store", str(late.path), *args).out)
    assert {c["figure"]: (c["old"], c["new"]) for c in report["changes"]}["escrow.surrendered_shares"] == (4000, 0)
    assert [(c["type"], c["payload"]["event_id"]) for c in report["causes"]] == [("EventRetracted", 15)]
    assert causes(late.events(), date(2004, 3, 31), datetime(2026, 4, 15, tzinfo=UTC), None)[0].position == 18


@pytest.mark.parametrize(
    "args",
    [
        ("--known-at", "2026-03-01T00:00:00Z", "--known-at", "2026-02-01T00:00:00Z"),
        ("--known-at", T1, "--known-at", T1, "--known-at", T1),
        ("--known-at", "later"),
        (),
    ],
)
def test_bad_diff_arguments_exit_2_with_one_line(late: OneAgreement, capsys, args: tuple[str, ...]) -> None:
    run = run_cli(capsys, "--store", str(late.path), "diff", "APA", "--as-of", "2004-03-31", *args)
    assert one_clear_line(run)
