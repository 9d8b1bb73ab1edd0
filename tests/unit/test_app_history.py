"""The History page: saved results and conversations, searchable, downloadable, deletable."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.schemas import ActionItem, Answer, FeedbackSummary, Starter, StarterSet
from tests.unit.test_app_shell import app_base, app_env, app_services, page_app, shown  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")


def seed() -> dict[str, int]:
    store = app_services().store
    ids = {
        "feedback": store.save_artifact(FeedbackSummary(
            summary="We practised prompting a chatbot for a board memo.",
            action_items=[ActionItem(owner="mentee", action="Draft the update with a chatbot")],
            backend="scripted", model="scripted")),
        "starters": store.save_artifact(StarterSet(
            topic="social media", starters=[Starter(
                text="Which post made you stop scrolling this week?", category="icebreaker",
                why="It starts from their own feed.")])),
    }
    conversation = store.create_conversation("mentor", "Preparing the first session")
    store.add_message(conversation, "user", "Preparing the first session")
    answer_id = store.save_artifact(
        Answer(question="Preparing the first session", answer="Agree one goal [1]."),
        conversation_id=conversation)
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
    assert [label.split(" · ")[0] for label in labels] == ["Answer", "Starters",
                                                          "Feedback summary"]
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
        "Preparing the first session"]
    assert [m.name for m in conversations.chat_message] == ["user", "assistant"]
    assert [b.label for b in conversations.download_button] == [
        "Download conversation (Markdown)"]
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
