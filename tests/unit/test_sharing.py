"""Users' voice: sharing a 👎 item (redacted, by choice), eval cases from shared items only,
ratings over time, and what the Coach page and the dashboard show of it."""

from __future__ import annotations

import json

import pytest

from assistant import sharing
from assistant.errors import InputError
from assistant.schemas import Agenda, Answer
from assistant.store import Store
from tests.databases import Database
from tests.fixtures import app_services, page_app

SECRET = "Mail me at jo.bloggs@example.com or call +44 7700 900123"


@pytest.fixture
def store(database: Database) -> Store:
    """A SQLite file, and a real PostgreSQL database (see tests/conftest.py)."""
    return Store(database.url)


def _answer(store: Store, rating: int | None) -> int:
    artifact = Answer(question=f"How do I start? {SECRET}", answer="Begin small.", model="m1")
    artifact_id = store.save_artifact(artifact)
    if rating is not None:
        store.rate(artifact_id, rating)
    return artifact_id


def test_only_a_thumbs_down_item_can_be_shared_and_only_its_redacted_text_is_kept(
    store: Store,
) -> None:
    liked, unrated, disliked = _answer(store, 1), _answer(store, None), _answer(store, -1)
    for artifact_id in (liked, unrated):
        with pytest.raises(InputError, match="Only an item rated 👎"):
            sharing.share(store, artifact_id)
    shown = sharing.preview(store, disliked)
    assert "jo.bloggs@example.com" not in shown.text and "7700" not in shown.text
    assert "[EMAIL 1]" in shown.text and shown.redactions == 2
    assert store.list_shared() == []  # a preview stores nothing
    shared_id = sharing.share(store, disliked)
    assert sharing.share(store, disliked) == shared_id  # sharing twice keeps one copy
    [item] = store.list_shared()
    assert item["text"] == shown.text and item["kind"] == "answer" and item["model"] == "m1"
    store.delete_artifact(disliked)
    assert store.list_shared() == []


def test_eval_cases_come_only_from_shared_items_with_a_lead_note(store: Store) -> None:
    _answer(store, -1)  # not shared: counted, never shown
    shared_id = sharing.share(store, _answer(store, -1))
    assert sharing.voice_summary(store) == {
        "thumbs_down": 2,
        "shared": 1,
        "not_shared": 1,
        "cases": 0,
    }
    with pytest.raises(InputError, match="no shared item"):
        sharing.make_eval_case(store, shared_id + 99, "cite the guide")
    with pytest.raises(InputError, match="Say what a good reply"):
        sharing.make_eval_case(store, shared_id, "   ")
    case = sharing.make_eval_case(store, shared_id, "should cite the guide on first sessions")
    assert case["question"].startswith("How do I start?") and "example.com" not in case["question"]
    [line] = sharing.eval_cases_jsonl(store).splitlines()
    assert json.loads(line) == case and case["id"] == f"user-{shared_id}"
    assert sharing.voice_summary(store)["cases"] == 1


def test_ratings_are_counted_per_day_kind_and_model(store: Store) -> None:
    _answer(store, 1)
    _answer(store, -1)
    agenda = store.save_artifact(
        Agenda(title="Plan", topic="AI", minutes=30, stage="middle", items=[], model="m2")
    )
    store.rate(agenda, 1)
    series = store.ratings_series()
    assert {(r["kind"], r["model"], r["up"], r["down"]) for r in series} == {
        ("agenda", "m2", 1, 0),
        ("answer", "m1", 1, 1),
    }
    assert all(len(r["day"]) == 10 for r in series)


@pytest.mark.usefixtures("app_env")
def test_a_user_shares_a_thumbs_down_answer_after_seeing_the_redacted_text() -> None:
    at = page_app("coach").run()
    at.chat_input[0].set_value(f"How do I prepare a first session? {SECRET}").run()
    assert not any(e.label.startswith("Share this") for e in at.expander)
    at.feedback[0].set_value(0).run()  # 👎
    offer = next(e for e in at.expander if e.label.startswith("Share this"))
    preview = offer.text[0].value
    assert "[EMAIL 1]" in preview and "jo.bloggs" not in preview
    store = app_services().store
    assert store.list_shared() == []
    at.button(key=next(b.key for b in at.button if b.key.startswith("share_"))).click().run()
    assert not at.exception
    [item] = store.list_shared()
    assert item["text"] == preview
    assert any("Shared with the program team" in c.value for c in at.caption)


@pytest.mark.usefixtures("app_env")
def test_a_lead_sees_counts_for_unshared_items_and_turns_a_shared_one_into_a_case() -> None:
    store = app_services().store
    _answer(store, -1)
    shared_id = sharing.share(store, _answer(store, -1))
    at = page_app("dashboard").run()
    assert not at.exception
    summary = " ".join(m.value for m in at.markdown)
    assert "**2** 👎 in all: **1** shared by their users, **1** not shared" in summary
    [item] = [e for e in at.expander if e.label.startswith(f"#{shared_id} · answer")]
    assert "[EMAIL 1]" in item.text[0].value
    at.text_input(key=f"case_note_{shared_id}").set_value("cite the first-session guide").run()
    at.button(key=f"make_case_{shared_id}").click().run()
    assert not at.exception
    assert store.list_shared()[0]["eval_case"]["expectation"] == "cite the first-session guide"
    labels = [b.label for b in at.get("download_button")]
    assert any(label.startswith("Eval cases from users") for label in labels)
