"""The app's frame: the router, the sidebar's model and index states.

Every AppTest here runs the real pages on the scripted model against a real Chroma index of
the project's knowledge base (built once per session, copied per test) and a real SQLite
store; the fixtures are in tests/unit/conftest.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT, Settings, get_settings
from assistant.llm.base import ModelStatus
from tests.fixtures import APP_TIMEOUT, app_services, page_app, shown


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
    at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=APP_TIMEOUT)
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
        default_timeout=APP_TIMEOUT,
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


def test_a_request_behind_others_is_told_its_place_in_the_queue(app_env) -> None:  # noqa: ANN001
    from assistant.ui.widgets import waiting_text

    model = app_services().model
    states = {
        "ready": ModelStatus("ready", "loaded", 0),
        "busy": ModelStatus("busy", "generating", 2),
        "loading": ModelStatus("loading", "loading", 0),
    }
    for state, expected in (
        ("ready", "Writing…"),
        ("busy", "Waiting in queue: 2 request(s) ahead of yours, then: Writing…"),
        ("loading", "Loading the model (first use can take a while), then: Writing…"),
    ):
        model.status = lambda state=state: states[state]
        assert waiting_text("Writing…") == expected
