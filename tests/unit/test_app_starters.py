"""The Conversation starters page: starters with categories and reasons, regenerate, download."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.llm.errors import ModelUnavailable
from tests.fixtures import app_services, page_app, shown

pytestmark = pytest.mark.usefixtures("app_env")


def generate(topic: str) -> AppTest:
    at = page_app("starters").run()
    at.text_input(key="starters_topic").input(topic)
    at.slider(key="starters_count").set_value(4)
    return at.form_submit_button[0].click().run()


def test_starters_come_with_a_category_a_reason_and_a_copy_button() -> None:
    at = generate("social media")
    assert not at.exception
    starters = [c.value for c in at.code]
    assert len(starters) == 4 and all(s.strip() for s in starters)
    reasons = [c.value for c in at.caption if c.value.startswith("Why: ")]
    assert len(reasons) == 4
    assert [b.label for b in at.download_button] == ["Download starters (Markdown)"]
    [saved] = app_services().store.list_artifacts(kind="starters")
    assert saved.payload["topic"] == "social media"


def test_regenerate_asks_again_with_the_same_inputs() -> None:
    at = generate("giving feedback")
    calls = len(app_services().model.history)
    at.button(key="starters_regenerate").click().run()
    assert not at.exception
    assert len(app_services().model.history) > calls
    assert len(app_services().store.list_artifacts(kind="starters")) == 2
    assert "giving feedback" in app_services().model.history[-1].last_user


def test_an_empty_topic_is_refused_before_the_model() -> None:
    at = generate("  ")
    assert "Topic is empty" in shown(at, "error")
    assert app_services().model.history == []


def test_a_model_error_is_one_line_and_the_topic_is_kept() -> None:
    app_services().model.enqueue(ModelUnavailable("No model available.", "Run `make run`."))
    at = generate("social media")
    assert not at.exception
    assert "No model available. Run `make run`." in shown(at, "error")
    assert at.text_input(key="starters_topic").value == "social media"
    assert not at.code


def test_a_topic_that_is_too_long_gets_the_same_line_as_coach_starters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assistant.cli import main

    topic = "short-form video for senior leaders " * 6
    at = generate(topic)
    [error] = at.error
    assert f"Topic is too long ({len(topic):,} characters)" in error.value
    assert "at most 200 characters" in error.value
    assert at.text_input(key="starters_topic").value == topic
    assert main(["starters", "--topic", topic]) == 2
    assert capsys.readouterr().err.strip() == f"coach: {error.value}"
    assert app_services().model.history == []
