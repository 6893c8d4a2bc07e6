from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger import Ledger, new_ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    """A fresh SQLite store holding one agreement on this APA's default terms."""
    return new_ledger(tmp_path / "ledger.sqlite")
