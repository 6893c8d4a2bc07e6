"""The state reuses its unchanged parts between change points (``projections.facts.recalled``): a
result is keyed on the figures it read, so the figures must be exactly those of a fresh projection,
every change the fold makes must be cited, and the memo must stay bounded."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given

import projections.facts as facts_module
from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from projections.earnout import release_schedule
from projections.facts import FIELD_FIGURES, Facts, recalled
from projections.ledger import Fold, effective_events, fold
from projections.read_model import agreement_tables
from projections.state import project, state_of
from projections.timeline import change_points
from tests.ledger import fact, margin, new_ledger, signed
from tests.strategies import candidate_facts, valid_history


def _events(tmp_path: Path, index: int) -> list:
    ledger = new_ledger(tmp_path / f"memo-{index}.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(jsonl(history(index))))
    return ledger.events()


@contextmanager
def _no_memo() -> Iterator[None]:
    """Every ``recalled`` function computed afresh at every call."""
    facts_module.MEMOISE = False
    try:
        yield
    finally:
        facts_module.MEMOISE = True


def uncited_changes(events: list) -> list[tuple[int, str]]:
    """(position, field) for each field of ``Facts`` an event changed without citing the figure it
    is cited as (``FIELD_FIGURES``): what a ``recalled`` result would not see change."""
    registered, chosen = effective_events(events)
    ledger = Fold(registered)
    facts = ledger.facts
    wrong = []
    for event in chosen:
        before = {name: copy.deepcopy(getattr(facts, name)) for name, figure in FIELD_FIGURES.items() if figure}
        fixed = {name: getattr(facts, name) for name, figure in FIELD_FIGURES.items() if not figure}
        facts.drain()
        ledger.apply(event, strict=False)
        cited = {name.partition(":")[0] for name in facts.drain()}
        wrong += [
            (event.position, name)
            for name, value in before.items()
            if getattr(facts, name) != value and FIELD_FIGURES[name] not in cited
        ]
        wrong += [(event.position, name) for name, value in fixed.items() if getattr(facts, name) is not value]
    return wrong


def test_every_change_point_of_a_rich_history_is_a_fresh_projection(tmp_path: Path) -> None:
    """1.5(b)-(c), 7.3, 8.1-8.6: with a BP Event (index 0) and without (index 1), 20 claims
    revised and resolved or withdrawn, surrenders, payments, releases and a retraction, the
    state at each change point equals ``project(events, day)`` computed from scratch."""
    for index in (0, 1):
        events = _events(tmp_path, index)
        points = list(change_points(events))
        assert len(points) > 100
        for day, state in points:
            assert state == project(events, day)


def test_the_memo_keeps_one_entry_per_function_and_reuses_it(tmp_path: Path) -> None:
    """However many dates are asked of one fold, the memo holds one result per recalled function;
    and a part whose inputs did not change between two dates is the result computed before (the
    same object), not worked out again."""
    ledger = fold(_events(tmp_path, 0))
    states = [state_of(ledger, date.fromordinal(date(2003, 1, 1).toordinal() + n)) for n in range(0, 2000, 7)]
    recalled_functions = {
        "projections.earnout._installment_schedule",
        "projections.earnout._bp_event",
        "projections.earnout._release_schedule",
        "projections.indemnity._claims_state",
        "projections.survival._bounds",
        "projections.survival._rows",
        "projections.state._as_of_free",
    }
    assert set(ledger.facts.memo) == recalled_functions
    before, after = states[-2], states[-1]  # 2008: nothing changes between these two dates
    assert after.earnout.bp_event is before.earnout.bp_event
    assert after.earnout.schedule[0] is before.earnout.schedule[0]
    assert after.escrow is before.escrow and after.indemnity is before.indemnity and after.offset is before.offset
    assert all(a is b for a, b in zip(after.claims, before.claims, strict=True))
    assert all(a is b for a, b in zip(after.survival, before.survival, strict=True))


def test_a_result_is_worked_out_again_once_a_figure_it_read_is_cited() -> None:
    """1.5(b): the release schedule reads the Closing and the BP Event, and Gross Margin only once
    there is a BP Event: a margin report before it keeps the schedule (the same object), the
    Closing gives a new one (Closing 2003-04-10: the catch-up and eleven installments)."""
    facts_in = [*signed(), margin("2003-01", "100000.00"), fact("ClosingOccurred", "2003-04-10")]
    registered, chosen = effective_events(valid_history(facts_in).agreement.events)
    *signing, report, closing = chosen
    ledger = Fold(registered).apply_all(signing)
    facts = ledger.facts
    slot = "projections.earnout._release_schedule"
    assert release_schedule(facts) == ([], None)
    held = facts.memo[slot][2]
    ledger.apply(report)
    release_schedule(facts)
    assert facts.memo[slot][2] is held  # no BP Event: the schedule reads no margin
    ledger.apply(closing)
    schedule, _ = release_schedule(facts)
    assert len(schedule) == 12 and facts.memo[slot][2] is not held


def test_a_recalled_function_reads_only_cited_fields_and_changes_nothing() -> None:
    """A field no handler cites when it changes (the fold's ``last_date``, the explanations'
    ``sources``) cannot be read by a recalled function, and a recalled function cannot write."""
    facts = Facts(terms=fold(valid_history(signed()).agreement.events).facts.terms, agreement_id="A")

    @recalled
    def reads_last_date(f: Facts) -> object:
        return f.last_date

    @recalled
    def writes(f: Facts) -> None:
        f.closing_date = date(2003, 4, 10)

    with pytest.raises(AttributeError, match="last_date"):
        reads_last_date(facts)
    with pytest.raises(AttributeError, match="pure"):
        writes(facts)
    assert facts.closing_date is None


def test_every_handler_cites_the_figure_of_every_field_it_changes(tmp_path: Path) -> None:
    """The memo's key is only as good as the citations: on the portfolio's rich histories
    (1.5(b)-(c), 7.3, 8.1-8.6, withheld payments, a retraction), no event changes a field of the
    facts without citing it."""
    for index in range(3):
        assert uncited_changes(_events(tmp_path, index)) == []


@given(candidates=candidate_facts())
def test_random_histories_change_nothing_uncited(candidates) -> None:
    """Back-dated arrivals, terminations, deemed events, 8.6 payments, reimbursements: the same."""
    assert uncited_changes(list(valid_history(candidates).agreement.events)) == []


def test_a_forgotten_citation_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A seeded mutation: a fold that forgets to cite the escrow (8.1(c)) when it changes is named,
    event by event, before any memo could return a stale balance."""
    cite = Facts.cite

    def forgetful(self: Facts, figure: str, position: int, replace: bool = False) -> None:
        if figure != "escrow":
            cite(self, figure, position, replace)

    monkeypatch.setattr(Facts, "cite", forgetful)
    wrong = uncited_changes(_events(tmp_path, 0))
    assert wrong and {name for _, name in wrong} == {
        "escrow_deposited",
        "escrow_movements",
        "escrow_released",
        "escrow_surrendered",
    }


@given(candidates=candidate_facts())
def test_the_tables_and_states_are_the_same_without_the_memo(candidates) -> None:
    """readings 9: every table of the read model and the state at every change point of a random
    history, with every recalled function worked out afresh at every call and with the memo."""
    events = list(valid_history(candidates).agreement.events)
    tables, points = agreement_tables("A", events), list(change_points(events))
    with _no_memo():
        assert agreement_tables("A", events) == tables
        assert list(change_points(events)) == points


def test_a_fold_read_once_remembers_nothing_and_gives_the_same_state(tmp_path: Path) -> None:
    """readings 9: ``project`` folds with ``remember=False`` (one state asked: the memo is left
    out); its fold keeps no result, and the state and anomalies are those of a remembering fold,
    with a BP Event (index 0) and without (index 1), at dates before, inside and after the claims."""
    for index in (0, 1):
        events = _events(tmp_path, index)
        for day in (date(2003, 3, 1), date(2004, 6, 30), date(2009, 1, 1)):
            once, kept = fold(events, day, remember=False), fold(events, day)
            assert state_of(once, day) == state_of(kept, day) == project(events, day)
            assert once.facts.memo is None and kept.facts.memo
            assert once.anomalies == kept.anomalies
