"""The layers point one way (issue 15.3): ``domain/`` reaches the store by no channel a signature hides."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "domain"


def _modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(), str(path)) for path in sorted(DOMAIN.glob("*.py"))}


def test_domain_imports_nothing_of_the_commands_or_the_projections() -> None:
    """Issue 15.3: the rules in domain/ know nothing of the store or the state built on them
    (``commands -> projections -> domain``), not even inside a function."""
    reached = []
    for name, module in _modules().items():
        for node in ast.walk(module):
            targets = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            reached += [f"{name}: {t}" for t in targets if t.split(".")[0] in ("commands", "projections")]
    assert reached == []


def test_domain_keeps_nothing_by_object_identity() -> None:
    """Issue 15.3: no table in domain/ keyed by ``id()`` (the sealed-event cache the store's mapper
    once read back): what the store writes is what sealing returns, explicitly."""
    calls = [
        f"{name}:{node.lineno}"
        for name, module in _modules().items()
        for node in ast.walk(module)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "id"
    ]
    assert calls == []
