"""The app's fixtures for every test_app_* module (helpers such as page_app and shown are in
tests/fixtures.py).

Each AppTest runs the real pages on the scripted model against a real Chroma index of the
project's knowledge base (built once per session, copied per test) and a real SQLite store,
selected through the environment as a user's settings would be.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from assistant.config import Settings, get_settings
from tests.fixtures import KNOWLEDGE, coach_env, doc


def _env(root: Path) -> dict[str, str]:
    return coach_env(root / "data", root / "knowledge")


@pytest.fixture(scope="session")
def app_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real knowledge base, copied and indexed once per test session."""
    from assistant.index import build_index

    root = tmp_path_factory.mktemp("app-base")
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    build_index(Settings.from_env(_env(root), secrets_file=root / "absent.toml"))
    return root


def _activate(root: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in _env(root).items():
        monkeypatch.setenv(key, value)
    # AppTest runs its script as __main__ and leaves it in sys.modules; a later test that
    # spawns processes would re-run that script in each child. Put the real one back.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    get_settings.cache_clear()
    st.cache_resource.clear()
    return get_settings()


@pytest.fixture
def app_env(app_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A private copy of the indexed knowledge base and an empty history, selected via env."""
    shutil.copytree(app_base / "knowledge", tmp_path / "knowledge")
    shutil.copytree(app_base / "data", tmp_path / "data")
    yield _activate(tmp_path, monkeypatch)
    get_settings.cache_clear()
    st.cache_resource.clear()


@pytest.fixture
def empty_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Two small documents and no index yet."""
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "prepare.md").write_text(doc("Preparing sessions"), "utf-8")
    (tmp_path / "knowledge" / "listen.md").write_text(doc("Listening well"), "utf-8")
    yield _activate(tmp_path, monkeypatch)
    get_settings.cache_clear()
    st.cache_resource.clear()


@pytest.fixture
def real_coach(real_retriever, scripted_model):  # noqa: ANN001, ANN201 - a Coach
    """The coach on the real knowledge index (built once per session) and the strict scripted
    model: a test queues each reply it expects the model to give."""
    from assistant.coach import Coach

    return Coach(real_retriever, scripted_model)
