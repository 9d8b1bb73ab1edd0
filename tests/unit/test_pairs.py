"""Pairs: what the next session is, what a summary records, and the health figures a lead sees."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from assistant.pair_health import nudge_message, pair_health, sessions_per_week
from assistant.pairs import (
    Goal,
    LedgerEntry,
    Pair,
    PairSession,
    TrackedAction,
    next_session_date,
    next_session_request,
    session_record,
    stage_for,
    starters_topic,
)
from assistant.schemas import ActionItem, FeedbackSummary

PAIR = Pair(
    id=1,
    mentor="Priya Raman",
    mentee="Gordon Hale",
    start_date=date(2026, 9, 1),
    sessions_planned=4,
    goals=[
        Goal(side="senior", text="use an AI chatbot for first drafts", progress=2),
        Goal(side="junior", text="how budget decisions are made", progress=4),
    ],
)


def test_a_pair_has_the_issue_defaults_and_refuses_bad_values() -> None:
    pair = Pair(mentor=" Priya  Raman ", mentee="Gordon Hale")
    assert (pair.cadence_days, pair.sessions_planned, pair.status) == (14, 6, "active")
    assert pair.mentor == "Priya Raman"
    for bad in ({"mentor": ""}, {"cadence_days": 0}, {"sessions_planned": 0}, {"status": "x"}):
        with pytest.raises(ValidationError):
            Pair.model_validate({"mentor": "A", "mentee": "B"} | bad)
    with pytest.raises(ValidationError):
        Goal(side="senior", text="x", progress=6)


@pytest.mark.parametrize(
    ("number", "planned", "stage"),
    [(1, 6, "first"), (2, 6, "middle"), (5, 6, "middle"), (6, 6, "closing"), (7, 6, "closing")],
)
def test_stage_follows_the_session_number(number: int, planned: int, stage: str) -> None:
    assert stage_for(number, planned) == stage


def _session(number: int, day: str, focus: str = "", rating: int | None = None) -> PairSession:
    return PairSession(
        number=number, held_on=date.fromisoformat(day), next_focus=focus, rating=rating
    )


def test_next_request_lists_only_open_actions_and_fills_number_stage_topic_goals() -> None:
    sessions = [_session(1, "2026-09-01", "first try"), _session(2, "2026-09-15", "checking AI")]
    actions = [
        TrackedAction(id=1, session=1, owner="Mentor", action="Send the charter", status="done"),
        TrackedAction(id=2, session=2, owner="Mentee", action="Try it on a report"),
        TrackedAction(id=3, session=2, owner="Mentor", action="Book a room", status="dropped"),
    ]
    request = next_session_request(PAIR, sessions, actions, 45)
    assert (request.session_number, request.stage, request.topic) == (3, "middle", "checking AI")
    assert [a.action for a in request.review_actions] == ["Try it on a report"]
    assert request.review_actions[0].session == 2
    assert any("first drafts" in g for g in request.goals)
    assert any("budget decisions" in g for g in request.goals)
    closing = next_session_request(PAIR, [*sessions, _session(3, "2026-09-29")], [], 45)
    assert closing.stage == "closing" and closing.session_number == 4
    first = next_session_request(PAIR, [], [], 45)
    assert first.stage == "first" and first.topic == "use an AI chatbot for first drafts"
    assert "budget decisions" in starters_topic(PAIR, [])


def test_a_summary_becomes_actions_and_ledger_entries_with_names_redacted() -> None:
    summary = FeedbackSummary(
        summary="Good session.",
        senior_learned=["Gordon Hale learned a summarising prompt"],
        junior_learned=["how the exec agenda is set"],
        action_items=[
            ActionItem(owner="Mentor", action="Email Priya Raman's prompts to gordon@example.com"),
            ActionItem(owner="Mentee", action="  ", due=None),
        ],
        next_focus="checking summaries",
    )
    record = session_record(PAIR, summary, 3, date(2026, 10, 1), rating=4)
    assert record.session.number == 3 and record.session.rating == 4
    assert len(record.actions) == 1  # the blank one is not tracked
    stored_text = " ".join([a.action for a in record.actions] + [e.text for e in record.ledger])
    assert "Priya" not in stored_text and "Gordon" not in stored_text
    assert "example.com" not in stored_text
    assert [e.side for e in record.ledger] == ["senior", "junior"]
    assert all(e.session == 3 for e in record.ledger)


def test_health_counts_and_the_stalled_flag() -> None:
    sessions = [_session(1, "2026-09-01", rating=4), _session(2, "2026-09-15", rating=5)]
    actions = [
        TrackedAction(session=1, owner="a", action="x", status="done"),
        TrackedAction(session=2, owner="a", action="y", status="open"),
        TrackedAction(session=2, owner="a", action="z", status="dropped"),
    ]
    ledger = [LedgerEntry(side="senior", text="", session=1)] * 3 + [
        LedgerEntry(side="junior", text="", session=2)
    ]
    quiet = pair_health(PAIR, sessions, actions, ledger, date(2026, 10, 10), 21)
    assert quiet.stalled and quiet.days_since_last == 25
    assert (quiet.sessions_held, quiet.actions_open, quiet.actions_done) == (2, 1, 1)
    assert quiet.action_completion == 0.5 and quiet.goal_progress == 3.0
    assert (quiet.learned_by_senior, quiet.learned_by_junior) == (3, 1)
    assert quiet.average_rating == 4.5
    assert not pair_health(PAIR, sessions, actions, ledger, date(2026, 10, 6), 21).stalled
    paused = PAIR.model_copy(update={"status": "paused"})
    assert not pair_health(paused, sessions, actions, ledger, date(2027, 1, 1), 21).stalled
    never = pair_health(PAIR, [], [], [], date(2026, 9, 30), 21)
    assert never.stalled and never.days_since_last is None
    message = nudge_message(quiet)
    assert "Priya Raman" in message and "25 days" in message


def test_health_shows_no_text_of_the_pair() -> None:
    actions = [TrackedAction(session=1, owner="Mentor", action="SECRET-ACTION")]
    ledger = [LedgerEntry(side="senior", text="SECRET-LEARNING", session=1)]
    sessions = [_session(1, "2026-09-01", "SECRET-FOCUS")]
    figures = pair_health(PAIR, sessions, actions, ledger, date(2026, 9, 2), 21).as_dict()
    assert "SECRET" not in repr(figures)


def test_sessions_per_week_and_next_date_follow_the_calendar() -> None:
    weeks = sessions_per_week([date(2026, 9, 1), date(2026, 9, 3), date(2026, 9, 16)])
    assert weeks == [(date(2026, 8, 31), 2), (date(2026, 9, 7), 0), (date(2026, 9, 14), 1)]
    sessions = [_session(1, "2026-09-01")]
    assert next_session_date(PAIR, sessions, date(2026, 9, 2)) == date(2026, 9, 15)
    assert next_session_date(PAIR, sessions, date(2026, 10, 1)) == date(2026, 10, 1)
    assert next_session_date(PAIR, [], date(2026, 8, 1)) == date(2026, 9, 1)
