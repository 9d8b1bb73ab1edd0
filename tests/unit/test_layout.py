"""The house's import rules, read from the source: data flows one way, so the app never
depends on the eval harness, and only the UI package talks to Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

from assistant.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "assistant"
EVAL_COMMAND = PACKAGE / "commands" / "evals.py"  # `coach eval` runs the harness


def _imported_packages(path: Path) -> set[str]:
    """Top-level package of every absolute import in the file, at any depth (lazy ones too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules() -> list[Path]:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 30  # the walk found the package, not an empty folder
    return modules


def test_only_the_eval_command_imports_evals() -> None:
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in _modules()
        if path != EVAL_COMMAND and "evals" in _imported_packages(path)
    ]
    assert offenders == [], f"these modules import evals/: {offenders}"
    assert "evals" in _imported_packages(EVAL_COMMAND)  # the rule's one exception is real


def test_only_the_ui_package_imports_streamlit() -> None:
    ui = PACKAGE / "ui"
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in _modules()
        if ui not in path.parents and "streamlit" in _imported_packages(path)
    ]
    assert offenders == [], f"these modules import streamlit outside assistant/ui: {offenders}"
