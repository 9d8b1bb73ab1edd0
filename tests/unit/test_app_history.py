"""The History page: saved results and conversations, searchable, downloadable, deletable."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.schemas import ActionItem, Answer, FeedbackSummary, Starter, StarterSet
from tests.fixtures import app_services, page_app, shown

pytestmark = pytest.mark.usefixtures("app_env")


def seed() -> dict[str, int]:
    store = app_services().store
    ids = {
        "feedback": store.save_artifact(
            FeedbackSummary(
                summary="We practised prompting a chatbot for a board memo.",
                action_items=[ActionItem(owner="mentee", action="Draft the update with a chatbot")],
                backend="scripted",
                model="scripted",
            )
        ),
        "starters": store.save_artifact(
            StarterSet(
                topic="social media",
                starters=[
                    Starter(
                        text="Which post made you stop scrolling this week?",
                        category="icebreaker",
                        why="It starts from their own feed.",
                    )
                ],
            )
        ),
    }
    conversation = store.create_conversation("mentor", "Preparing the first session")
    store.add_message(conversation, "user", "Preparing the first session")
    answer_id = store.save_artifact(
        Answer(question="Preparing the first session", answer="Agree one goal [1]."),
        conversation_id=conversation,
    )
    store.add_message(conversation, "assistant", "Agree one goal [1].", artifact_id=answer_id)
    ids |= {"answer": answer_id, "conversation": conversation}
    return ids


def artifact_expanders(at: AppTest) -> list[str]:
    return [e.label for e in at.tabs[0].expander]


def test_saved_results_are_listed_newest_first_and_downloadable() -> None:
    seed()
    at = page_app("history").run()
    assert not at.exception
    labels = artifact_expanders(at)
    assert [label.split(" · ")[0] for label in labels] == ["Answer", "Starters", "Feedback summary"]
    assert "board memo" in shown(at.tabs[0], "markdown")
    downloads = [b.label for b in at.tabs[0].download_button]
    assert downloads == ["Download (Markdown)"] * 3


def test_filter_and_search_narrow_the_list() -> None:
    seed()
    at = page_app("history").run()
    at.selectbox(key="history_kind").set_value("starters").run()
    assert [label.split(" · ")[0] for label in artifact_expanders(at)] == ["Starters"]
    at.selectbox(key="history_kind").set_value("all")
    at.text_input(key="history_search").input("board memo").run()
    assert [label.split(" · ")[0] for label in artifact_expanders(at)] == ["Feedback summary"]
    at.text_input(key="history_search").input("nothing like this").run()
    assert "Nothing saved matches." in shown(at, "info")


def test_delete_asks_once_then_removes_the_item() -> None:
    ids = seed()
    at = page_app("history").run()
    at.button(key=f"history_delete_artifact_{ids['starters']}").click().run()
    assert "Delete this for good?" in shown(at, "warning")
    assert app_services().store.get_artifact(ids["starters"]) is not None
    at.button(key=f"history_yes_artifact_{ids['starters']}").click().run()
    assert not at.exception
    assert app_services().store.get_artifact(ids["starters"]) is None
    assert "Starters" not in [label.split(" · ")[0] for label in artifact_expanders(at)]


def test_conversations_are_listed_searchable_and_deletable() -> None:
    ids = seed()
    at = page_app("history").run()
    conversations = at.tabs[1]
    assert [e.label.split(" · ")[0] for e in conversations.expander] == [
        "Preparing the first session"
    ]
    assert [m.name for m in conversations.chat_message] == ["user", "assistant"]
    assert [b.label for b in conversations.download_button] == ["Download conversation (Markdown)"]
    at.text_input(key="history_conversation_search").input("agree one goal").run()
    assert len(at.tabs[1].expander) == 1
    at.text_input(key="history_conversation_search").input("")
    at.button(key=f"history_delete_conversation_{ids['conversation']}").click().run()
    at.button(key=f"history_yes_conversation_{ids['conversation']}").click().run()
    assert app_services().store.list_conversations() == []
    assert "No conversations yet" in shown(at.tabs[1], "info")


def test_an_empty_history_says_what_will_appear() -> None:
    at = page_app("history").run()
    assert not at.exception
    assert "Nothing saved yet" in shown(at, "info")


def test_an_agenda_opens_again_in_the_agenda_builder() -> None:
    from assistant.schemas import Agenda, AgendaItem

    agenda = Agenda(
        title="Session 3: prompts",
        topic="prompts",
        minutes=30,
        stage="middle",
        items=[
            AgendaItem(
                minutes=30,
                activity="Try three prompts",
                details="",
                sources=["activities/live-demo.md"],
            )
        ],
        backend="scripted",
        model="scripted",
    )
    agenda_id = app_services().store.save_artifact(agenda)
    at = page_app("history").run()
    at.button(key=f"history_open_{agenda_id}").click().run()
    assert not at.exception
    result = at.session_state["agenda_result"]
    assert result["artifact_id"] == agenda_id
    assert Agenda.model_validate(result["agenda"]).items[0].activity == "Try three prompts"
    # Run on its own (no router), the page says where to carry on instead of switching.
    assert "Open the Agenda builder page" in shown(at, "success")
    # Only agendas get the button.
    assert [b.key for b in at.button if b.key.startswith("history_open_")] == [
        f"history_open_{agenda_id}"
    ]


def test_a_conversation_can_be_continued_on_the_coach_page() -> None:
    ids = seed()
    app_services().store.rate(ids["answer"], 1)
    at = page_app("history").run()
    at.button(key=f"history_continue_{ids['conversation']}").click().run()
    assert not at.exception
    chat = at.session_state["chat"]
    assert chat["conversation_id"] == ids["conversation"]
    assert [(m["role"], m["content"]) for m in chat["messages"]] == [
        ("user", "Preparing the first session"),
        ("assistant", "Agree one goal [1]."),
    ]
    reply = chat["messages"][1]
    assert reply["artifact_id"] == ids["answer"] and reply["rating"] == 1
    assert Answer.model_validate(reply["answer"]).answer == "Agree one goal [1]."
    assert "Open the Coach page" in shown(at, "success")
    assert at.session_state["coach_persona"] == "mentor"  # the conversation's own persona


def test_a_long_history_is_drawn_a_page_at_a_time() -> None:
    from assistant.ui.pages.history import PAGE

    store = app_services().store
    for i in range(PAGE + 3):
        store.save_artifact(
            StarterSet(
                topic=f"topic {i}",
                starters=[
                    Starter(
                        text=f"What surprised you about topic {i}?", category="icebreaker", why=""
                    )
                ],
            )
        )
    at = page_app("history").run()
    assert len(artifact_expanders(at)) == PAGE
    at.button(key="history_shown_button").click().run()
    assert len(artifact_expanders(at)) == PAGE + 3
    assert not [b for b in at.button if b.key == "history_shown_button"]


ROUTER = """
import streamlit as st
from assistant.ui.pages import agenda, coach, history
from assistant.ui.shell import framed, remember_pages

pages = {"Pages": [
    st.Page(framed(history.render), title="History", url_path="history", default=True),
    st.Page(framed(coach.render), title="Coach", url_path="coach"),
    st.Page(framed(agenda.render), title="Agenda builder", url_path="agenda"),
]}
remember_pages(pages)
st.navigation(pages).run()
"""


def test_behind_a_router_continue_switches_to_the_coach_page_with_the_transcript() -> None:
    ids = seed()
    at = AppTest.from_string(ROUTER, default_timeout=30).run()
    assert at.title[0].value == "History"
    at.button(key=f"history_continue_{ids['conversation']}").click().run()
    assert not at.exception
    assert at.title[0].value == "Coach"
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert "Agree one goal" in shown(at, "markdown")
