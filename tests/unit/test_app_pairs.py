"""The Pairs and Program health pages, and the agenda, feedback and history pages attached
to a pair: real pages on the scripted model, a real index and a real SQLite store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.pairs import Goal, Pair, record_summary
from assistant.schemas import ActionItem, Agenda, AgendaItem, FeedbackSummary
from tests.fixtures import app_services, page_app, shown

pytestmark = pytest.mark.usefixtures("app_env")


def seed_pair(**extra: object) -> Pair:
    pairs = app_services().pairs
    pair = pairs.add_pair(
        Pair(
            mentor="Priya Raman",
            mentee="Gordon Hale",
            sessions_planned=3,
            goals=[
                Goal(side="senior", text="AI first drafts"),
                Goal(side="junior", text="budgets"),
            ],
            **extra,
        )
    )
    return pair


def seed_session(pair: Pair, day: date | None = None) -> None:
    record_summary(
        app_services().pairs,
        pair.id,
        FeedbackSummary(
            summary="SECRET-SUMMARY",
            senior_learned=["a summarising prompt"],
            junior_learned=["how the exec agenda is set"],
            action_items=[
                ActionItem(owner="Mentor", action="Send three example prompts"),
                ActionItem(owner="Mentee", action="Try the prompt on the weekly report"),
            ],
            next_focus="checking AI summaries",
        ),
        day or date.today(),
    )


def click(at, label: str):  # noqa: ANN001, ANN201
    return next(b for b in at.button if b.label == label).click().run()


def test_a_pair_is_created_from_the_page_with_its_goals() -> None:
    at = page_app("pairs").run()
    assert "No pairs yet" in shown(at, "info")
    at.text_input(key="pairs_new_mentor").input("Priya Raman")
    at.text_input(key="pairs_new_mentee").input("Gordon Hale")
    at.text_area(key="pairs_new_sg").input("AI first drafts\nSocial media basics")
    at.text_area(key="pairs_new_jg").input("How budgets are decided")
    at = click(at, "Create pair")
    assert not at.exception
    [pair] = app_services().pairs.list_pairs()
    assert (pair.mentor, pair.mentee) == ("Priya Raman", "Gordon Hale")
    assert [g.side for g in pair.goals] == ["senior", "senior", "junior"]
    assert "Next: session 1 of 6" in shown(at, "markdown")


def test_a_pair_without_names_is_refused_with_a_clear_line() -> None:
    at = page_app("pairs").run()
    at = click(at, "Create pair")
    assert "Mentor" in shown(at, "error") and app_services().pairs.list_pairs() == []


def test_open_actions_tick_off_and_drop_and_goals_keep_their_progress() -> None:
    pair = seed_pair()
    seed_session(pair)
    at = page_app("pairs").run()
    assert not at.exception
    page = shown(at, "markdown", "caption")
    assert "a summarising prompt (session 1)" in page
    assert "how the exec agenda is set (session 1)" in page
    sent, tried = app_services().pairs.actions(pair.id)
    at.checkbox(key=f"pairs_action_{sent.id}").check().run()
    at.button(key=f"pairs_drop_{tried.id}").click().run()
    assert [a.status for a in app_services().pairs.actions(pair.id)] == ["done", "dropped"]
    assert "Nothing open." in shown(at, "caption")
    goal = pair.goals[0]
    at.slider(key=f"pairs_goal_{goal.id}").set_value(4).run()
    assert app_services().pairs.get_pair(pair.id).goals[0].progress == 4
    at.selectbox(key="pairs_rate_session").set_value(1)
    at.select_slider(key="pairs_rate_value").set_value(5)
    at.button(key="pairs_rate_save").click().run()
    assert app_services().pairs.sessions(pair.id)[0].rating == 5
    assert "Session 1 rated 5 of 5." in shown(at, "success")
    assert [d.label for d in at.get("download_button")] == [
        "Download timeline (Markdown)",
        "Download next session invite (.ics)",
    ]


def test_prepare_next_session_fills_the_agenda_form_and_attaches_the_pair() -> None:
    pair = seed_pair()
    seed_session(pair, date.today() - timedelta(days=3))
    at = page_app("pairs").run()
    at.number_input(key="pairs_minutes").set_value(45)
    at.button(key="pairs_prepare").click().run()
    assert not at.exception
    state = at.session_state
    assert state["agenda_topic"] == "checking AI summaries"
    assert (state["agenda_minutes"], state["agenda_stage"]) == (45, "middle")
    assert state["agenda_session_number"] == 2
    assert "AI first drafts" in state["agenda_goals"]
    assert state["agenda_pair"]["id"] == pair.id


def test_the_agenda_builder_reviews_the_pairs_open_actions_and_saves_on_its_timeline() -> None:
    pair = seed_pair()
    seed_session(pair)
    sent, _ = app_services().pairs.actions(pair.id)
    app_services().pairs.set_action_status(sent.id, "done")
    at = page_app("agenda")
    at.session_state["agenda_pair"] = {"id": pair.id, "label": pair.label, "session": 2}
    at.session_state["agenda_topic"] = "checking AI summaries"
    at.session_state["agenda_session_number"] = 2
    at = at.run()
    assert "Preparing session 2 of the pair" in shown(at, "info")
    at.button(key="FormSubmitter:agenda_form-Build agenda").click().run()
    assert not at.exception
    agenda = Agenda.model_validate(at.session_state["agenda_result"]["agenda"])
    assert sum(i.minutes for i in agenda.items) == agenda.minutes
    [review] = [i for i in agenda.items if i.activity == "Review of open action items"]
    assert "Try the prompt on the weekly report (from session 1)" in review.details
    assert "Send three example prompts" not in review.details
    assert [(a.kind, a.session) for a in app_services().pairs.artifacts(pair.id)] == [
        ("feedback", 1),
        ("agenda", 2),
    ]


def test_summarise_this_session_records_it_on_the_pair_with_names_hidden() -> None:
    pair = seed_pair()
    app_services().model.enqueue(
        {
            "summary": "[MENTEE] tried a chatbot.",
            "action_items": [{"owner": "mentee", "action": "Try it on the weekly report"}],
            "senior_learned": ["[MENTEE] learned to write a prompt with a role"],
            "junior_learned": ["[MENTOR] learned how the board agenda is set"],
            "next_focus": "checking summaries",
        }
    )
    at = page_app("feedback")
    at.session_state["feedback_pair"] = {
        "id": pair.id,
        "label": pair.label,
        "session": 1,
        "names": pair.names,
    }
    at = at.run()
    assert "recorded as session 1 of the pair" in shown(at, "info")
    at.text_area(key="feedback_notes").input(
        "Gordon Hale tried a chatbot with Priya Raman and learned to write a prompt with a role.\n"
        "Priya learned how the board agenda is set.\nGordon will try it on the weekly report."
    ).run()
    at.button(key="feedback_submit").click().run()
    assert not at.exception
    assert "Recorded as session 1 of the pair" in shown(at, "success")
    sent = " ".join(m["content"] for m in app_services().model.history[-1].messages)
    assert "Gordon" not in sent and "Priya" not in sent
    store = app_services().pairs
    assert [s.number for s in store.sessions(pair.id)] == [1]
    assert [a.action for a in store.actions(pair.id, "open")] == ["Try it on the weekly report"]
    assert {e.side for e in store.ledger(pair.id)} == {"senior", "junior"}


def test_an_agenda_reopened_from_history_refills_its_form() -> None:
    agenda = Agenda(
        title="Checking AI summaries",
        topic="Checking AI summaries",
        minutes=60,
        stage="closing",
        session_number=4,
        goals=["AI first drafts", "budgets"],
        items=[AgendaItem(minutes=60, activity="Try it", details="", sources=["a.md"])],
    )
    agenda_id = app_services().store.save_artifact(agenda)
    at = page_app("history").run()
    at.button(key=f"history_open_{agenda_id}").click().run()
    state = at.session_state
    assert state["agenda_topic"] == "Checking AI summaries"
    assert (state["agenda_minutes"], state["agenda_stage"], state["agenda_session_number"]) == (
        60,
        "closing",
        4,
    )
    assert state["agenda_goals"] == "AI first drafts\nbudgets"


def test_program_health_shows_figures_stalled_pairs_and_no_text() -> None:
    from assistant.pairs import Cohort

    pairs = app_services().pairs
    cohort = pairs.add_cohort(
        Cohort(name="Autumn", start_date=date(2026, 1, 1), end_date=date(2027, 1, 1))
    )
    busy = seed_pair(cohort_id=cohort.id)
    seed_session(busy)
    quiet = pairs.add_pair(
        Pair(mentor="Ana Diaz", mentee="Bob Stone", start_date=date.today() - timedelta(days=40))
    )
    paused = pairs.add_pair(
        Pair(
            mentor="Cy Young",
            mentee="Di Lane",
            status="paused",
            start_date=date.today() - timedelta(days=90),
        )
    )
    at = page_app("program_health").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Pair"]) == [busy.id, quiet.id, paused.id]
    assert list(table["Stalled"]) == [False, True, False]
    assert list(table["Held"]) == [1, 0, 0]
    page = shown(at)
    assert "SECRET-SUMMARY" not in page and "example prompts" not in page
    assert "Hi Ana Diaz and Bob Stone" in shown(at, "code")
    assert [d.label for d in at.get("download_button")] == ["Download CSV"]
    at.selectbox(key="health_cohort").set_value(cohort.id).run()
    assert list(at.dataframe[0].value["Pair"]) == [busy.id]


def test_a_coach_conversation_filed_under_a_pair_shows_on_its_timeline() -> None:
    pair = seed_pair()
    other = seed_pair()
    at = page_app("coach").run()
    at.selectbox(key="coach_pair").set_value(pair.id).run()
    at.chat_input[0].set_value("How do I prepare for my first session?").run()
    assert not at.exception
    assert f"Filed under the pair #{pair.id}" in shown(at, "caption")
    assert "coach_pair" not in [s.key for s in at.selectbox], "a filed conversation stays put"
    [chat] = app_services().pairs.conversations(pair.id)
    assert chat.title == "How do I prepare for my first session?"
    assert app_services().pairs.conversations(other.id) == []

    pairs_page = page_app("pairs").run()
    pairs_page.selectbox(key="pairs_selected").set_value(pair.id).run()
    saved = " ".join(" ".join(frame.value["Saved"]) for frame in pairs_page.dataframe)
    assert f"Coach conversation #{chat.id}: How do I prepare" in saved
