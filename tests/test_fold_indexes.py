"""The fold keeps some figures of ``Facts`` up to date as it goes (``INDEXES``) instead of working
them out again from the claims at every event: after every event of the portfolio's and of random
histories, each equals the same figure worked out from scratch, so a handler that forgot to keep
one would change a check without any rule changing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from benchmarks.portfolio import history, jsonl
from commands.handlers import apply_facts
from commands.parsing import parse_jsonl
from projections.facts import Facts, base_sections
from projections.ledger import Fold, effective_events
from tests.ledger import new_ledger
from tests.strategies import candidate_facts, valid_history


def citing_from_scratch(facts: Facts) -> list[tuple[str, list[int]]]:
    """7.3: each numbered section with the claims citing it, in order of assertion."""
    by_section: dict[str, list[Any]] = {}
    for claim in facts.claims.values():
        for section in base_sections(claim.sections):
            by_section.setdefault(section, []).append(claim)
    return [(section, [id(c) for c in claims]) for section, claims in by_section.items()]


def citing_kept(facts: Facts) -> list[tuple[str, list[int]]]:
    return [(section, [id(c) for c in claims]) for section, claims in facts.citing.items()]


INDEXES: dict[str, tuple[Callable[[Facts], object], Callable[[Facts], object]]] = {
    "citing": (citing_kept, citing_from_scratch),
}
"""Each kept figure: (as the fold keeps it, as worked out from scratch), the same claim objects in
the same order."""


def drifted(events: list) -> list[tuple[int, str]]:
    """(position, index) for each event after which a kept figure differs from scratch."""
    registered, chosen = effective_events(events)
    ledger = Fold(registered)
    wrong = []
    for event in chosen:
        ledger.apply(event, strict=False)
        wrong += [
            (event.position, name)
            for name, (kept, scratch) in INDEXES.items()
            if kept(ledger.facts) != scratch(ledger.facts)
        ]
    return wrong


def _events(tmp_path: Path, index: int) -> list:
    ledger = new_ledger(tmp_path / f"indexes-{index}.sqlite")
    apply_facts(ledger.store, ledger.agreement_id, parse_jsonl(jsonl(history(index))))
    return ledger.events()


def test_the_kept_figures_follow_the_portfolio_histories(tmp_path: Path) -> None:
    """7.3, 8.1-8.6: claims asserted, revised, resolved and withdrawn, with and without a BP Event."""
    for index in range(3):
        assert drifted(_events(tmp_path, index)) == []


@given(candidates=candidate_facts())
def test_the_kept_figures_follow_random_histories(candidates) -> None:
    """Back-dated arrivals, rejected facts (a refused claim keeps nothing), several sections a claim."""
    assert drifted(list(valid_history(candidates).agreement.events)) == []


def test_a_figure_not_kept_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A seeded mutation: a claim asserted without being listed under its sections is named."""

    def forgetful(self: Facts, claim: Any) -> None:
        self.claims[claim.claim_id] = claim

    monkeypatch.setattr(Facts, "add_claim", forgetful)
    assert {name for _, name in drifted(_events(tmp_path, 0))} == {"citing"}
