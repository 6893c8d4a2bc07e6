"""System time (``projections.versions``): a recording whose facts occur on or after the last day the
walk folded an event on resumes the walk of the version before it; every version it makes equals
the walk of the events known then, made afresh."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings

from benchmarks.portfolio import history
from domain.events import LedgerEvent
from projections.read_model import timeline_tables
from projections.versions import TIMELINE, agreement_versions, moments, recorded
from tests.strategies import candidate_facts, valid_history


def as_known_at(tables: dict[str, list[dict[str, Any]]], stamp: str) -> dict[str, list[tuple[Any, ...]]]:
    """Each timeline table's rows believed at ``stamp``, less their recording times, in order."""
    out = {}
    for table in TIMELINE:
        rows = []
        for row in tables[table]:
            if row["recorded_from"] <= stamp and (row["recorded_to"] is None or stamp < row["recorded_to"]):
                rows.append(tuple(v for k, v in row.items() if k not in ("recorded_from", "recorded_to")))
        out[table] = sorted(rows, key=repr)
    return out


def afresh(events: list[LedgerEvent], moment: Any) -> dict[str, list[tuple[Any, ...]]]:
    known = [e for e in events if e.timestamp <= moment]
    tables = timeline_tables("APA", known)[0]
    return {table: sorted((tuple(row.values()) for row in tables[table]), key=repr) for table in TIMELINE}


def every_version_is_its_own_walk(events: list[LedgerEvent]) -> None:
    tables = agreement_versions("APA", events).tables
    for moment in moments(events):
        assert as_known_at(tables, recorded(moment)) == afresh(events, moment), moment


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates=candidate_facts(max_facts=16))
def test_facts_recorded_in_date_order_resume_the_walk_and_each_version_is_the_walk_of_its_events(
    candidates: list[dict[str, Any]],
) -> None:
    """readings 9: facts recorded one a recording in the order of their dates (several on one day
    too), so that every recording resumes the walk before it."""
    ordered = sorted(candidates, key=lambda f: str(f.get("occurred_on", date.max)))
    every_version_is_its_own_walk(list(valid_history(ordered).agreement.events))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates=candidate_facts(max_facts=16))
def test_back_dated_recordings_between_resumed_ones_give_each_version_the_walk_of_its_events(
    candidates: list[dict[str, Any]],
) -> None:
    """readings 9: back-dated facts and retractions (walked from their earliest date) among
    recordings that resume the walk before them."""
    every_version_is_its_own_walk(list(valid_history(candidates).agreement.events))


def test_a_portfolio_agreement_recorded_three_facts_a_recording_has_the_versions_of_its_walks() -> None:
    """A benchmark agreement in 47 recordings (days split between recordings among them)."""
    from commands.handlers import plan
    from commands.parsing import draft_from_mapping
    from tests.strategies import registered

    facts = history(7)
    agreement = registered()
    for start in range(0, len(facts), 3):
        drafts = [draft_from_mapping(f) for f in facts[start : start + 3]]
        events = plan(agreement, drafts, agreement.events[-1].timestamp)
        agreement = agreement.model_copy(update={"events": (*agreement.events, *events)})
    every_version_is_its_own_walk(list(agreement.events))
