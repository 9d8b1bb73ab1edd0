"""Pairs in the history database (a SQLite file and a real PostgreSQL database): round trips,
one transaction per session, deletion of everything of a pair, and two processes writing to
the same pair at once."""

from __future__ import annotations

import multiprocessing
from datetime import date

import pytest

from assistant.errors import CoachError, InputError
from assistant.pair_store import PairStore, UnknownAction, UnknownPair
from assistant.pairs import Cohort, Goal, Pair, record_summary
from assistant.schemas import ActionItem, Agenda, AgendaItem, FeedbackSummary
from assistant.store import Store
from tests.databases import Database


@pytest.fixture
def pairs(database: Database) -> PairStore:
    return PairStore(Store(database.url))


def new_pair(pairs: PairStore, **extra: object) -> Pair:
    return pairs.add_pair(
        Pair(
            mentor="Priya Raman",
            mentee="Gordon Hale",
            goals=[Goal(side="senior", text="AI drafts"), Goal(side="junior", text="budgets")],
            **extra,
        )
    )


def summary(label: str, actions: int = 2) -> FeedbackSummary:
    return FeedbackSummary(
        summary=f"Summary {label}",
        senior_learned=[f"senior learning {label}"],
        junior_learned=[f"junior learning {label}"],
        action_items=[
            ActionItem(owner="Mentor", action=f"{label} action {n}") for n in range(actions)
        ],
        next_focus=f"focus {label}",
    )


def test_a_pair_round_trips_with_goals_cohort_and_edits(pairs: PairStore) -> None:
    cohort = pairs.add_cohort(
        Cohort(name="Autumn 2026", start_date=date(2026, 9, 1), end_date=date(2027, 2, 28))
    )
    pair = new_pair(pairs, cohort_id=cohort.id)
    assert pair.id == 1 and [g.text for g in pair.goals] == ["AI drafts", "budgets"]
    assert pairs.get_pair(1) == pair
    assert [p.id for p in pairs.list_pairs(cohort.id)] == [1]
    assert pairs.list_pairs(cohort.id + 1) == []
    goals = [pair.goals[0].model_copy(update={"progress": 4}), Goal(side="junior", text="new")]
    edited = pairs.update_pair(pair.model_copy(update={"status": "paused", "goals": goals}))
    assert edited.status == "paused"
    assert [(g.text, g.progress) for g in edited.goals] == [("AI drafts", 4), ("new", 1)]
    pairs.set_goal_progress(1, edited.goals[1].id, 5)
    assert pairs.get_pair(1).goals[1].progress == 5
    with pytest.raises(InputError):
        pairs.add_pair(Pair(mentor="a", mentee="b", cohort_id=99))


def test_unknown_ids_are_input_errors_that_say_what_to_do(pairs: PairStore) -> None:
    for call in (
        lambda: pairs.get_pair(7),
        lambda: pairs.sessions(7),
        lambda: pairs.delete_pair(7),
    ):
        with pytest.raises(UnknownPair, match="no pair #7.*coach pair list"):
            call()
    with pytest.raises(UnknownAction, match="no action item #3"):
        pairs.set_action_status(3, "done")
    assert UnknownPair(1).exit_code == 2


def test_recording_numbers_sessions_and_tracks_actions_and_ledger(pairs: PairStore) -> None:
    new_pair(pairs)
    first = record_summary(pairs, 1, summary("one"), date(2026, 9, 1), rating=4)
    second = record_summary(pairs, 1, summary("two", actions=1), date(2026, 9, 15))
    assert (first.session.number, second.session.number) == (1, 2)
    assert [s.next_focus for s in pairs.sessions(1)] == ["focus one", "focus two"]
    actions = pairs.actions(1)
    assert [(a.session, a.action, a.status) for a in actions] == [
        (1, "one action 0", "open"),
        (1, "one action 1", "open"),
        (2, "two action 0", "open"),
    ]
    pairs.set_action_status(actions[0].id, "done")
    pairs.set_action_status(actions[1].id, "dropped")
    assert [a.action for a in pairs.actions(1, "open")] == ["two action 0"]
    assert [(e.side, e.session) for e in pairs.ledger(1)] == [
        ("senior", 1),
        ("junior", 1),
        ("senior", 2),
        ("junior", 2),
    ]
    timeline = pairs.artifacts(1)
    assert [(a.kind, a.session) for a in timeline] == [("feedback", 1), ("feedback", 2)]


def test_a_failed_write_leaves_no_half_recorded_session(
    pairs: PairStore, database: Database
) -> None:
    new_pair(pairs)
    # A real database fault in the middle of the write: the ledger insert is refused.
    if database.kind == "sqlite":
        database.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON pair_ledger "
            "BEGIN SELECT RAISE(ABORT, 'ledger refused'); END"
        )
    else:
        database.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'ledger refused'; END $$"
        )
        database.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON pair_ledger "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    with pytest.raises(CoachError, match="ledger refused"):
        record_summary(pairs, 1, summary("one"), date(2026, 9, 1))
    for table in ("pair_sessions", "pair_actions", "pair_ledger", "artifacts", "pair_artifacts"):
        assert database.count(table) == 0, table


def test_deleting_a_pair_removes_everything_of_it_and_nothing_else(
    pairs: PairStore, database: Database
) -> None:
    new_pair(pairs)
    other = new_pair(pairs)
    record_summary(pairs, 1, summary("one"), date(2026, 9, 1))
    record_summary(pairs, other.id, summary("other"), date(2026, 9, 1))
    agenda = Agenda(
        title="t",
        topic="t",
        minutes=5,
        stage="middle",
        items=[AgendaItem(minutes=5, activity="a", details="d")],
    )
    pairs.save_artifact(1, agenda, session=2)
    conversation = pairs.store.create_conversation("mentor", "chat of pair 1")
    pairs.store.add_message(conversation, "user", "hello")
    pairs.link_conversation(1, conversation)
    unrelated = pairs.store.save_artifact(agenda)
    pairs.delete_pair(1)
    with pytest.raises(UnknownPair):
        pairs.get_pair(1)
    left = [a.id for a in pairs.store.list_artifacts()]
    assert unrelated in left and len(left) == 2  # the other pair's summary + the unrelated one
    assert pairs.store.list_conversations() == []
    assert database.count("messages") == 0
    assert len(pairs.actions(other.id)) == 2 and len(pairs.ledger(other.id)) == 2
    assert database.count("pair_actions") == 2 and database.count("pair_goals") == 2


SESSIONS_EACH = 8


def record_many(url: str, label: str, start) -> None:  # noqa: ANN001
    """One writer process: records SESSIONS_EACH sessions for pair 1 and ticks one action."""
    pairs = PairStore(Store(url))
    start.wait(timeout=120)
    for n in range(SESSIONS_EACH):
        record = record_summary(pairs, 1, summary(f"{label}-{n}"), date(2026, 9, 1))
        assert record.session.number >= 1
    opened = [a for a in pairs.actions(1, "open") if a.action.startswith(f"{label}-0 ")]
    pairs.set_action_status(opened[0].id, "done")


def test_two_processes_writing_to_the_same_pair_lose_nothing(database: Database) -> None:
    url = database.url
    pairs = PairStore(Store(url))
    new_pair(pairs)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [context.Process(target=record_many, args=(url, f"p{n}", start)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]
    total = 2 * SESSIONS_EACH
    assert [s.number for s in pairs.sessions(1)] == list(range(1, total + 1))
    actions = pairs.actions(1)
    assert len(actions) == 2 * total
    assert sorted(a.action for a in actions if a.status == "done") == [
        "p0-0 action 0",
        "p1-0 action 0",
    ]
    assert len(pairs.ledger(1)) == 2 * total
    assert len(pairs.artifacts(1)) == total
