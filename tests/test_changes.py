"""The read model's timeline, worked out part by part (``projections.changes``), gives exactly the
rows of the whole state built at every change point (``tests/reference_read_model.py``).

readings 9 and issue 4: every table of the read model, on the benchmark portfolio's
rich histories (a BP Event, 20 claims, deliveries, payments, a retraction), on the oracle's
histories, on the JSONL scenarios and on random histories (issue 6's strategies).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from projections.cited import Cited
from projections.explain_base import cite
from projections.ledger import fold
from projections.read_model import agreement_tables
from tests.histories import HISTORIES, History
from tests.ledger import claim, closed, fact, margin, new_ledger, resolve
from tests.reference_read_model import reference_tables
from tests.strategies import candidate_facts, valid_history

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.jsonl"))


def _same_tables(events: list) -> None:
    fast, reference = agreement_tables("A", events), reference_tables("A", events)
    for table in reference:
        assert fast[table] == reference[table], table


@pytest.mark.parametrize("index", range(6))
def test_the_tables_of_a_portfolio_history_match_the_whole_state_at_every_point(tmp_path: Path, index: int) -> None:
    """1.5(b)-(c), 7.3, 8.1-8.6: with a BP Event (0, 3) and without, 20 claims, surrenders,
    deliveries tracked against the schedule, payments and a retraction."""
    ledger = new_ledger(tmp_path / "p.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(jsonl(history(index))))
    _same_tables(ledger.events())


@pytest.mark.parametrize("case", HISTORIES, ids=[h.name for h in HISTORIES])
def test_the_tables_of_each_oracle_history_match(tmp_path: Path, case: History) -> None:
    """Closing before and after 2003, BP Events (a)-(c), Deemed Events, claims both ways, 2.11."""
    ledger = new_ledger(tmp_path / "h.sqlite")
    ledger.apply(*case.facts)
    _same_tables(ledger.events())


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_tables_of_each_scenario_match(tmp_path: Path, path: Path) -> None:
    ledger = new_ledger(tmp_path / "s.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(path.read_bytes()))
    _same_tables(ledger.events())


@given(candidates=candidate_facts())
def test_the_tables_of_random_histories_match(candidates) -> None:
    """Back-dated arrivals, terminations, deemed events, retractions, 8.6 payments, 4.7 and
    8.3(b) reimbursements: whatever the history, the same rows."""
    _same_tables(list(valid_history(candidates).agreement.events))


def _rare_events() -> list[list[dict]]:
    """Histories with what the portfolio and the random strategy rarely hold: 4.7 and 8.3(b)
    reimbursements (paid and unpaid), an extended deadline, withheld payments released, a Deemed
    Event, a termination, a back-dated claim and a retraction of a resolution."""
    signed_on = [fact("EffectiveDateReached", "2002-12-06"), fact("EscrowDeposited", "2002-12-06", shares=25000)]
    reimbursed = [
        *signed_on,
        fact("FormerEmployeeHired", "2002-12-16", employee="E-1", commenced_on="2002-12-20", amount="1200.00"),
        fact("FormerEmployeeHired", "2003-01-10", employee="E-2", commenced_on="2003-01-12"),
        fact("ReimbursementPaid", "2003-01-03", section="4.7", reference="E-1"),
        fact("ClosingDeadlineExtended", "2003-05-30", new_deadline="2003-07-31"),
        fact("ClosingOccurred", "2003-07-15"),
        claim("C1", "2003-08-01", "60000.00"),
        resolve("C1", "2003-09-01", "40000.00"),
        fact("TaxReimbursementNotified", "2003-09-20", claim_id="C1", amount="3200.00"),
        fact("NetTaxBenefitRealized", "2004-04-15", claim_id="C1", amount="1500.00"),
        fact("ReimbursementPaid", "2004-04-29", section="8.3(b)(ii)", reference="C1"),
        fact("PaymentDue", "2003-09-10", payment_id="P1", amount="30000.00"),
        claim("C2", "2003-09-05", "30000.00"),
        fact("PaymentWithheld", "2003-09-10", payment_id="P1", amount="30000.00"),
        resolve("C2", "2003-12-01", "27500.00"),
        fact("WithheldPaymentReleased", "2004-01-31", payment_id="P1", amount="2500.00"),
        claim("C3", "2003-08-15", "5000.00", sections=["2.11"]),  # back-dated, before C2
        fact("TaxLimitationPeriodRecorded", "2003-10-01", expires_on="2006-04-15"),
        resolve("C3", "2005-05-01", "4000.00"),
    ]
    deemed = [
        *closed("2003-02-01"),
        margin("2003-01", "100000.00"),
        margin("2003-05", "90000.00"),
        fact("DeemedEventAgreed", "2003-02-15", promotion_implemented_on="2003-02-10", deemed_on="2003-06-20"),
        *(margin(m, "80000.00") for m in ("2003-06", "2003-07", "2003-08", "2003-09", "2003-10", "2003-11")),
        *(margin(m, "70000.00") for m in ("2003-12", "2004-01", "2004-02")),
        fact("EarnoutSharesDelivered", "2003-07-01", shares=5000),
    ]
    terminated = [
        *signed_on,
        claim("C1", "2003-03-01", "1000.00"),
        fact("AgreementTerminated", "2003-06-02", reason="deadline"),
    ]
    return [reimbursed, deemed, terminated]


@pytest.mark.parametrize("index", range(3))
def test_the_tables_of_histories_with_rare_events_match(tmp_path: Path, index: int) -> None:
    """4.7, 8.3(b)(i)-(ii), 7.1 (extension, termination), 8.6, BP Event (c), 7.3(ii)."""
    ledger = new_ledger(tmp_path / "r.sqlite")
    for step in _rare_events()[index]:  # one fact a batch, so a back-dated one is refolded
        ledger.apply(step)
    events = ledger.events()
    if index == 0:
        resolution = next(e for e in events if e.type == "ClaimResolved" and e.claim_id == "C2")
        ledger.apply(fact("EventRetracted", "2004-02-01", event_id=resolution.position, reason="settled otherwise"))
        events = ledger.events()
    _same_tables(events)


def test_every_figure_the_fold_cites_is_a_named_one_and_a_misspelt_name_is_refused(tmp_path: Path) -> None:
    """What the timeline recomputes is chosen by the figures the fold cites (``Facts.cite``): on a
    rich history (1.5(b), 7.3, 8.1-8.6) each cited name is a ``Cited`` member or keyed by one, and
    an explanation asking for a name the fold never cites fails instead of finding nothing."""
    ledger = new_ledger(tmp_path / "p.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(jsonl(history(0))))
    facts = fold(ledger.events()).facts
    kinds = {Cited.of_key(name) for name in facts.sources}
    assert {Cited.CLAIM, Cited.MARGIN, Cited.ESCROW, Cited.BP_EVENT} <= kinds
    assert cite(facts, Cited.CLAIM.every) and cite(facts, Cited.BP_EVENT)
    with pytest.raises(ValueError):
        cite(facts, "bp_evnet")
    with pytest.raises(AttributeError):
        Cited.BP_EVNET  # noqa: B018
