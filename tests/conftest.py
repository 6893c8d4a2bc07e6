from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.ledger import OneAgreement, new_ledger
from tests.postgres import fresh_schema, skip_reason

# Hypothesis (issue 6): "ci" bounds every property test (the default, for `make test`);
# HYPOTHESIS_PROFILE=thorough runs ten times more examples by hand.
# "ci" is deterministic (same examples every run, no example database) so CI cannot flake;
# "thorough" explores new random histories each run.
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each test that uses a ledger runs on both stores (issue 5): SQLite and PostgreSQL."""
    if request.param == "postgres" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite only: the test reads or alters the SQLite file itself")
    return request.param


@pytest.fixture
def ledger(tmp_path: Path, store_kind: str) -> Iterator[OneAgreement]:
    """A fresh store holding one agreement on this APA's default terms: a SQLite file, or a
    new PostgreSQL schema dropped after the test (skipped, with one reason, if no server)."""
    if store_kind == "sqlite":
        yield new_ledger(tmp_path / "ledger.sqlite")
        return
    with fresh_schema() as url:
        made = new_ledger(tmp_path / "ledger.sqlite", url=url)
        yield made
        made.store.close()


@pytest.fixture
def book(tmp_path: Path) -> OneAgreement:
    """A fresh SQLite ledger on the default terms, for the rule tests (one store is enough
    to pin a clause; the store-parametrised ``ledger`` covers both back ends)."""
    return new_ledger(tmp_path / "book.sqlite")


@pytest.fixture
def empty_store_url(tmp_path: Path, store_kind: str) -> Iterator[str]:
    """The URL of a fresh, empty store of each kind (for CLI runs and several agreements)."""
    if store_kind == "sqlite":
        yield str(tmp_path / "store.sqlite")
        return
    with fresh_schema() as url:
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end when the postgres runs were skipped, with the reason."""
    reason = skip_reason()
    if reason:
        terminalreporter.write_line(reason, yellow=True)
