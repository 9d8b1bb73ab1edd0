"""The Coach page: persona, suggestions, streamed cited answers, ratings, kept questions."""

from __future__ import annotations

import pytest

from assistant.llm.errors import ModelUnavailable, StreamInterrupted
from tests.fixtures import app_services, page_app, shown

pytestmark = pytest.mark.usefixtures("app_env")

QUESTION = "How do I prepare for my first session with a senior leader?"


def ask(question: str):  # noqa: ANN201
    at = page_app("coach").run()
    at.chat_input[0].set_value(question).run()
    return at


def test_an_empty_chat_offers_first_questions_for_the_chosen_persona() -> None:
    at = page_app("coach").run()
    assert not at.exception
    labels = [b.label for b in at.button if b.key and b.key.startswith("coach_suggestion_")]
    assert len(labels) == 3
    at.radio(key="coach_persona").set_value("lead").run()
    lead_labels = [b.label for b in at.button if b.key and b.key.startswith("coach_suggestion_")]
    assert lead_labels != labels
    assert any("program" in label.lower() for label in lead_labels)
    at.button(key="coach_suggestion_0").click().run()
    sent = "\n".join(m["content"] for m in app_services().model.history[-1].messages)
    assert "Program lead" in sent, "the chosen persona reaches the prompt"
    assert app_services().store.list_conversations()[0].persona == "lead"


def test_a_question_gets_a_streamed_answer_with_numbered_sources_and_is_saved() -> None:
    at = ask(QUESTION)
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    answer_text = at.chat_message[1].markdown[0].value
    assert "[1]" in answer_text
    sources = [e.label for e in at.expander]
    assert sources and sources[0].startswith("[1] ")
    assert "File: knowledge/" in shown(at.expander[0], "caption")
    assert at.expander[0].markdown[0].value.strip()  # the passage itself

    store = app_services().store
    [conversation] = store.list_conversations()
    assert conversation.messages == 2 and conversation.title == QUESTION
    [saved] = store.list_artifacts(kind="answer")
    assert saved.payload["answer"] == answer_text
    assert app_services().model.history, "the model was asked"


def test_clicking_a_suggestion_asks_it() -> None:
    at = page_app("coach").run()
    suggestion = at.button(key="coach_suggestion_0")
    suggestion.click().run()
    assert not at.exception
    assert at.chat_message[0].markdown[0].value == suggestion.label
    assert at.chat_message[1].name == "assistant"


def test_thumbs_are_stored_with_the_answer() -> None:
    at = ask(QUESTION)
    [feedback] = at.feedback
    feedback.set_value(1).run()
    assert not at.exception
    [saved] = app_services().store.list_artifacts(kind="answer")
    assert saved.rating == 1
    at.feedback[0].set_value(0).run()
    [saved] = app_services().store.list_artifacts(kind="answer")
    assert saved.rating == -1


def test_the_transcript_survives_reruns_and_a_new_conversation_clears_it() -> None:
    at = ask(QUESTION)
    at.chat_input[0].set_value("And what should I avoid saying?").run()
    assert len(at.chat_message) == 4
    at.run()
    assert len(at.chat_message) == 4
    assert [c.messages for c in app_services().store.list_conversations()] == [4]
    at.button(key="coach_new").click().run()
    assert len(at.chat_message) == 0
    assert at.button(key="coach_suggestion_0")


def test_an_empty_question_is_refused_before_any_model_call() -> None:
    at = ask("   ")
    assert not at.exception
    assert "Type a question first" in shown(at, "error")
    assert app_services().model.history == []
    assert app_services().store.list_conversations() == []


def test_a_model_that_is_down_shows_the_fix_and_keeps_the_question() -> None:
    app_services().model.enqueue(
        ModelUnavailable("No model available.", "Run `make run` or set OPENAI_BASE_URL.")
    )
    at = ask(QUESTION)
    assert not at.exception
    assert "No model available. Run `make run`" in shown(at, "error")
    store = app_services().store
    # Kept although the model failed: History has the question, unanswered.
    [conversation] = store.list_conversations()
    assert conversation.title == QUESTION and conversation.messages == 1

    at.run()  # the next rerun still has the question, with a way to ask it again
    assert QUESTION in shown(at, "info")
    at.button(key="coach_retry").click().run()
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert "[1]" in at.chat_message[1].markdown[0].value
    # Asked again, it is answered in the same conversation and not saved twice.
    [conversation] = store.list_conversations()
    rows = store.get_messages(conversation.id)
    assert [(m.role, m.content) for m in rows][0] == ("user", QUESTION)
    assert [m.role for m in rows] == ["user", "assistant"] and rows[1].artifact_id is not None


def test_a_stream_that_breaks_keeps_the_question() -> None:
    app_services().model.enqueue(["A first ", "half ", StreamInterrupted()])
    at = ask(QUESTION)
    assert not at.exception
    assert "stopped mid-way" in shown(at, "error")
    at.run()
    assert QUESTION in shown(at, "info")


def test_leaving_the_page_mid_answer_keeps_the_question_in_history() -> None:
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    # What Streamlit raises in this run when the browser leaves or reruns the page while the
    # answer streams (the raise comes from the scripted stream, where the next chunk would be).
    app_services().model.enqueue([StopException()])
    at = ask(QUESTION)
    assert not at.exception
    store = app_services().store
    [conversation] = store.list_conversations()
    assert conversation.title == QUESTION and conversation.messages == 1
    assert store.list_artifacts(kind="answer") == []  # no half reply saved as an answer


def test_html_in_a_question_or_answer_is_never_rendered_as_html() -> None:
    app_services().model.enqueue("<b>bold</b> <script>alert(1)</script> Start small [1].")
    at = ask("<img src=x onerror=alert(1)> how do I prepare my first mentoring session?")
    assert not at.exception
    assert not at.get("html")
    assert all(not m.proto.allow_html for m in at.markdown)


def test_an_answer_the_sources_do_not_back_is_flagged_on_screen() -> None:
    app_services().model.enqueue(
        "Mentors never need to declare gift cards on a tax return [1]. "
        "Visa rules for visiting staff are always simple [2]."
    )
    at = ask(QUESTION)
    assert not at.exception
    assert "not backed by the sources below" in shown(at, "warning")
    [saved] = app_services().store.list_artifacts(kind="answer")
    assert saved.payload["support"] == 0.0  # kept with the answer, for History and exports


LONG_QUESTION = ("How do I prepare for my first session with a senior leader? " * 1_000)[:60_000]


def test_a_question_over_the_limit_stays_whole_in_the_chat_box_with_the_true_reason() -> None:
    at = ask(LONG_QUESTION)
    assert not at.exception
    [error] = at.error
    assert "The question is 60,000 characters long" in error.value
    assert "2,000 characters or fewer" in error.value and "below" not in error.value
    box = at.chat_input(key="coach_input")
    assert box.proto.set_value and box.proto.value == LONG_QUESTION, "back where it was typed"
    assert not at.chat_message and not at.info, "nothing asked, no truncated copy shown"
    assert "coach_retry" not in [b.key for b in at.button]
    assert app_services().model.history == []
    assert app_services().store.list_conversations() == []

    at.run()  # the next click: still no fixed 2,000-character block, no button that sends it
    assert not at.info and "coach_retry" not in [b.key for b in at.button]
    at.chat_input(key="coach_input").set_value(LONG_QUESTION[:300]).run()
    assert not at.exception and not at.error
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    [conversation] = app_services().store.list_conversations()
    assert conversation.messages == 2


def test_the_page_and_coach_ask_give_the_same_reason(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    at = ask(LONG_QUESTION)
    [error] = at.error
    assert main(["ask", LONG_QUESTION]) == 2
    assert capsys.readouterr().err.strip() == f"coach: {error.value}"
