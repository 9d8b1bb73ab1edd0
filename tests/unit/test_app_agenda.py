"""The Agenda builder: validation before the model, the editable table, downloads, history."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.llm.errors import ModelTimeout
from tests.fixtures import app_services, page_app, shown

pytestmark = pytest.mark.usefixtures("app_env")

TOPIC = "Using AI chatbots in everyday work"


def fill(topic: str = TOPIC, minutes: int = 45) -> AppTest:
    at = page_app("agenda").run()
    at.text_input(key="agenda_topic").input(topic)
    at.number_input(key="agenda_minutes").set_value(minutes)
    at.text_area(key="agenda_goals").input("Try a chatbot on a real task\nAgree a next step")
    return at


def submit(at: AppTest) -> AppTest:
    return at.form_submit_button[0].click().run()


def test_an_agenda_is_built_shown_as_an_editable_table_with_sources_and_saved() -> None:
    at = submit(fill())
    assert not at.exception
    assert not at.error
    [table] = at.data_editor
    assert table.editing_mode == "dynamic"
    rows = table.value
    assert list(rows.columns) == ["minutes", "activity", "details", "sources"]
    assert len(rows) >= 2 and rows["activity"].str.len().min() > 0
    assert all(rows["sources"].str.contains(".md")), "every item says where it comes from"
    assert f"adds up to {int(rows['minutes'].sum())} minutes" in shown(at, "caption", "warning")
    labels = [b.label for b in at.download_button]
    assert labels == ["Download agenda (Markdown)", "Download calendar invite (.ics)"]
    assert "agenda_save_edits" not in [b.key for b in at.button], "nothing edited yet"
    [saved] = app_services().store.list_artifacts(kind="agenda")
    assert saved.payload["minutes"] == 45
    assert f"Saved to history as item #{saved.id}" in shown(at, "caption")


@pytest.mark.parametrize("minutes", [300, 2])
def test_minutes_out_of_range_are_refused_before_the_model_and_the_form_is_kept(
    minutes: int,
) -> None:
    at = submit(fill(minutes=minutes))
    assert not at.exception
    assert "Minutes must be between 5 and 240 minutes." in shown(at, "error")
    assert app_services().model.history == []
    assert at.text_input(key="agenda_topic").value == TOPIC
    assert at.number_input(key="agenda_minutes").value == minutes
    assert not at.data_editor


def test_an_empty_topic_is_refused_before_the_model() -> None:
    at = submit(fill(topic="   "))
    assert "Topic" in shown(at, "error") and "empty" in shown(at, "error")
    assert app_services().model.history == []


def test_a_slow_model_shows_the_error_and_keeps_every_input() -> None:
    app_services().model.enqueue(
        ModelTimeout("The model did not answer in 60 s.", "Try again, or choose a shorter session.")
    )
    at = submit(fill())
    assert not at.exception
    assert "did not answer in 60 s. Try again" in shown(at, "error")
    assert at.text_input(key="agenda_topic").value == TOPIC
    assert at.text_area(key="agenda_goals").value.startswith("Try a chatbot")
    assert app_services().store.list_artifacts(kind="agenda") == []


def test_the_invite_needs_a_real_time_zone() -> None:
    at = submit(fill())
    at.text_input(key="agenda_zone").input("Mars/Olympus").run()
    assert "is not a time zone" in shown(at, "error")
    assert [b.label for b in at.download_button] == ["Download agenda (Markdown)"]
    at.text_input(key="agenda_zone").input("Europe/Berlin").run()
    assert not at.error
    assert "Download calendar invite (.ics)" in [b.label for b in at.download_button]


def test_edits_in_the_table_are_used_and_a_wrong_total_is_flagged() -> None:
    at = submit(fill())
    first = int(at.data_editor[0].value["minutes"][0])
    at.session_state["agenda_editor_1"] = {
        "edited_rows": {0: {"minutes": first + 20}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert "but the session is 45" in shown(at, "warning")
    at.button(key="agenda_save_edits").click().run()
    titles = [a.title for a in app_services().store.list_artifacts(kind="agenda")]
    assert len(titles) == 2 and titles[0].endswith("(edited)")


def test_the_page_and_coach_agenda_word_a_bad_duration_alike(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assistant.cli import main

    at = submit(fill(minutes=300))
    [error] = at.error
    assert main(["agenda", "--topic", TOPIC, "--minutes", "300"]) == 2
    assert capsys.readouterr().err.strip() == f"coach: {error.value}"
