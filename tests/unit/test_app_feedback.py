"""The Feedback summary page: redaction preview, the two-way ledger, action items, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import get_settings
from assistant.llm.errors import BadModelOutput
from tests.fixtures import app_services, page_app, shown

pytestmark = pytest.mark.usefixtures("app_env")

NOTES = (
    "Alex Kim showed Jordan Lee how to draft a board memo with ChatGPT. Jordan learned to "
    "check the output against the figures; Alex learned how the board reads a memo. "
    "Jordan will try it on next week's update by Friday. Reach Alex at alex.kim@example.com "
    "or +44 20 7946 0958."
)


def paste(notes: str, names: str = "Alex Kim, Jordan Lee") -> AppTest:
    at = page_app("feedback").run()
    at.text_area(key="feedback_notes").input(notes)
    at.text_input(key="feedback_names").input(names)
    return at.run()


def test_the_preview_shows_what_will_be_hidden_before_anything_is_sent() -> None:
    at = paste(NOTES)
    assert not at.exception
    [preview] = at.expander
    assert "What will be hidden" in preview.label
    hidden = preview.dataframe[0].value
    assert set(hidden["What"]) == {"Name", "Email", "Phone"}
    assert "alex.kim@example.com" in set(hidden["Your text"])
    model_sees = preview.code[0].value
    assert "[MENTOR]" in model_sees and "[MENTEE]" in model_sees and "[EMAIL 1]" in model_sees
    assert "Alex" not in model_sees and "example.com" not in model_sees
    assert app_services().model.history == []


def test_a_summary_shows_the_ledger_and_action_items_and_is_saved() -> None:
    at = paste(NOTES)
    at.button(key="feedback_submit").click().run()
    assert not at.exception
    assert not at.error
    page = shown(at, "subheader", "markdown")
    for heading in (
        "Session summary",
        "What the senior learned",
        "What the junior learned",
        "Action items",
    ):
        assert heading in page
    assert [b.label for b in at.download_button] == ["Download summary (Markdown)"]
    sent = "\n".join(m["content"] for m in app_services().model.history[-1].messages)
    assert "alex.kim@example.com" not in sent and "Jordan" not in sent
    [saved] = app_services().store.list_artifacts(kind="feedback")
    assert saved.payload["redactions"] > 0


def test_empty_notes_are_refused_before_the_model() -> None:
    at = page_app("feedback").run()
    at.button(key="feedback_submit").click().run()
    assert "Notes are empty" in shown(at, "error")
    assert app_services().model.history == []


def test_notes_over_the_limit_are_refused_with_the_limit() -> None:
    limit = get_settings().max_notes_chars
    at = paste("word " * (limit // 5 + 10))
    at.button(key="feedback_submit").click().run()
    assert f"the limit is {limit:,}" in shown(at, "error")
    assert app_services().model.history == []


def test_a_model_failure_is_shown_and_the_notes_are_kept() -> None:
    failure = BadModelOutput("The model's summary was not valid.", "Try again.")
    app_services().model.enqueue(failure, failure, failure)
    at = paste(NOTES)
    at.button(key="feedback_submit").click().run()
    assert not at.exception
    assert "Try again." in shown(at, "error")
    assert at.text_area(key="feedback_notes").value == NOTES
    assert app_services().store.list_artifacts(kind="feedback") == []


def test_a_paste_over_the_limit_gets_one_message_with_one_piece_of_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    limit = get_settings().max_notes_chars
    notes = ("Alex showed Jordan a prompt. " * 3_000)[: limit + 11_000]
    at = paste(notes)
    assert not at.exception
    [error] = at.error
    assert f"{len(notes):,} characters; the limit is {limit:,}" in error.value
    assert not at.expander, "no preview of notes that will not be sent"
    at.button(key="feedback_submit").click().run()
    assert [e.value for e in at.error] == [error.value], "one message, before and after a click"
    assert app_services().model.history == []

    # `coach feedback` refuses the same file with the same sentence.
    notes_file = tmp_path / "notes.txt"
    notes_file.write_text(notes, encoding="utf-8")
    assert main(["feedback", "--notes-file", str(notes_file)]) == 2
    assert capsys.readouterr().err.strip() == f"coach: {error.value}"
