"""The app's frame: the router, the sidebar's model and index states, and the shared fixtures.

Every AppTest here runs the real pages on the scripted model against a real Chroma index of
the project's knowledge base (built once per session, copied per test) and a real SQLite
store. The other test_app_* modules import their fixtures from this one.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT, Settings, get_settings
from assistant.llm.base import ModelStatus
from tests.fixtures import KNOWLEDGE

TIMEOUT = 180  # generous: the first run in a process loads the embedder and opens Chroma


def _env(root: Path) -> dict[str, str]:
    return {
        "COACH_MODEL": "scripted",
        "COACH_DATA_DIR": str(root / "data"),
        "COACH_KNOWLEDGE_DIR": str(root / "knowledge"),
        "DATABASE_URL": f"sqlite:///{root / 'data' / 'coach.db'}",
        "COACH_COLLECTION": "coach_knowledge",
        "CHROMA_HOST": "",
    }


_BASE: list[Path] = []  # built once per session, whichever module asks first


@pytest.fixture(scope="session")
def app_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real knowledge base, copied and indexed once per test session."""
    # Each module that imports this fixture gets its own definition of it, so the session
    # scope alone would rebuild the index once per module: the build is shared here instead.
    if not _BASE:
        from assistant.index import build_index

        root = tmp_path_factory.mktemp("app-base")
        shutil.copytree(KNOWLEDGE, root / "knowledge")
        build_index(Settings.from_env(_env(root), secrets_file=root / "absent.toml"))
        _BASE.append(root)
    return _BASE[0]


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
    from tests.fixtures import doc

    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "prepare.md").write_text(doc("Preparing sessions"), "utf-8")
    (tmp_path / "knowledge" / "listen.md").write_text(doc("Listening well"), "utf-8")
    yield _activate(tmp_path, monkeypatch)
    get_settings.cache_clear()
    st.cache_resource.clear()


def page_app(name: str) -> AppTest:
    """One page inside the app's frame (sidebar included), as the router would run it."""
    script = (
        "from assistant.ui.shell import framed\n"
        f"from assistant.ui.pages import {name}\n"
        f"framed({name}.render)()\n"
    )
    return AppTest.from_string(script, default_timeout=TIMEOUT)


def app_services():  # noqa: ANN201 - the app's own cached Services (same process as AppTest)
    from assistant.ui.resources import services

    return services()


def shown(at: AppTest, *kinds: str) -> str:
    """Every text of the given element kinds, joined: what a user would read on the page."""
    kinds = kinds or (
        "title",
        "subheader",
        "markdown",
        "caption",
        "error",
        "warning",
        "info",
        "success",
        "code",
        "metric",
    )
    parts: list[str] = []
    for kind in kinds:
        for element in getattr(at, kind):
            parts.append(str(element.value))
    return "\n".join(parts)


class StatusOnlyModel:
    """A model in a state the scripted backend cannot reach (loading, queued, unavailable)."""

    backend = "local"
    model = "qwen2.5-coder-1.5b"
    context_window = 4096

    def __init__(self, status: ModelStatus) -> None:
        self._status = status

    def status(self) -> ModelStatus:
        return self._status


# ---------------------------------------------------------------------------------- tests


def test_router_opens_on_the_coach_page_with_model_and_index_state(app_env: Settings) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Coach"
    sidebar = shown(at.sidebar, "success", "caption")
    assert "scripted" in sidebar and "Ready" in sidebar
    chunks = app_services().index.count()
    assert f"{chunks:,} chunks indexed" in sidebar


def test_sidebar_says_how_to_build_a_missing_index(empty_env: Settings) -> None:
    at = page_app("coach").run()
    assert not at.exception
    warning = shown(at.sidebar, "warning")
    assert "Not built" in warning and "Re-index on the Knowledge page" in warning


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (
            ModelStatus("unavailable", "No model available. Run `make run`."),
            "error",
            "Run `make run`",
        ),
        (ModelStatus("busy", "generating", queue=2), "warning", "2 request(s) waiting in queue"),
        (ModelStatus("loading", "loading qwen2.5-coder-1.5b"), "info", "Loading"),
    ],
)
def test_sidebar_shows_the_model_state_and_the_fix(
    app_env: Settings, status: ModelStatus, kind: str, expected: str
) -> None:
    app_services().__dict__["model"] = StatusOnlyModel(status)
    at = page_app("starters").run()
    assert not at.exception
    assert expected in shown(at.sidebar, kind)
    assert "qwen2.5-coder-1.5b" in shown(at.sidebar, "caption")


def test_a_missing_optional_page_is_left_out_and_a_present_one_renders(app_env: Settings) -> None:
    from assistant.ui.shell import optional_page

    assert optional_page("assistant.ui.pages.no_such_page") is None
    at = AppTest.from_string(
        "from assistant.ui.shell import framed, optional_page\n"
        "framed(optional_page('assistant.ui.pages.starters'))()\n",
        default_timeout=TIMEOUT,
    ).run()
    assert not at.exception
    assert at.title[0].value == "Conversation starters"


def test_a_bad_setting_is_one_line_not_a_traceback(
    app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_MODEL", "gpt-17")
    get_settings.cache_clear()
    at = page_app("coach").run()
    assert not at.exception
    assert "COACH_MODEL='gpt-17' is not a backend" in shown(at, "error")
