"""The history store, against a real SQLite file in tmp_path and a real PostgreSQL database
(the `database` fixture runs each test on both; the SQLite-only checks say so)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc

from assistant.errors import CoachError, InputError
from assistant.schemas import (
    ActionItem,
    Agenda,
    AgendaItem,
    Answer,
    Citation,
    FeedbackSummary,
    Starter,
    StarterSet,
)
from assistant.store import Store, load_artifact
from tests.databases import Database
from tests.postgres import PostgresServer, free_port

CITATION = Citation(
    n=1,
    id="guides/listen.md#0",
    source="guides/listen.md",
    title="Listening well",
    heading="Ask, then wait",
    text="Pause first.",
)


def make_answer(
    question: str = "How do I start the first session?", model: str = "qwen2.5-coder-1.5b"
) -> Answer:
    return Answer(
        question=question,
        answer="Agree on goals first [1].",
        citations=[CITATION],
        backend="scripted",
        model=model,
        prompt_version="answer@3",
        seconds=1.5,
        notes=["the prompt was cut to fit"],
    )


def make_agenda() -> Agenda:
    return Agenda(
        title="Session 2: Working with Gen Z colleagues",
        topic="Gen Z at work",
        minutes=45,
        stage="middle",
        session_number=2,
        mentor_role="analyst",
        mentee_role="CFO",
        objectives=["Name two habits to try"],
        items=[
            AgendaItem(
                minutes=10,
                activity="Check-in",
                details="What changed since last time",
                sources=["guides/listen.md"],
            ),
            AgendaItem(minutes=35, activity="Deep dive", details="Messaging norms"),
        ],
        prepare=["Bring one example"],
        citations=[CITATION],
        backend="scripted",
        model="scripted",
        prompt_version="agenda@1",
    )


def make_starters() -> StarterSet:
    return StarterSet(
        topic="remote work",
        starters=[
            Starter(text="What surprised you this week?", category="icebreaker", why="Warms up"),
            Starter(
                text="Which tool saves you most time?",
                category="skill",
                why="Concrete",
                sources=["guides/listen.md"],
            ),
        ],
        citations=[CITATION],
        backend="scripted",
        model="scripted",
        prompt_version="starters@1",
    )


def make_feedback() -> FeedbackSummary:
    return FeedbackSummary(
        summary="A frank session about the équipe's chat habits and meeting overload. " * 3,
        senior_learned=["Threads beat email for quick questions"],
        junior_learned=["How budget decisions are made"],
        action_items=[ActionItem(owner="senior", action="Try a team channel", due="next week")],
        redactions=2,
        backend="scripted",
        model="scripted",
        prompt_version="feedback@1",
    )


MAKERS = {
    "answer": make_answer,
    "agenda": make_agenda,
    "starters": make_starters,
    "feedback": make_feedback,
}


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database.url)


@pytest.mark.parametrize("kind", list(MAKERS))
def test_every_kind_survives_a_round_trip_through_the_database(
    database: Database, kind: str
) -> None:
    original = MAKERS[kind]()
    artifact_id = Store(database.url).save_artifact(original)

    reopened = Store(database.url)  # a fresh engine: the data came from the file
    stored = reopened.get_artifact(artifact_id)
    assert stored is not None
    assert (stored.kind, stored.backend, stored.model) == (kind, original.backend, original.model)
    assert stored.prompt_version == original.prompt_version and stored.rating is None
    restored = load_artifact(stored)
    assert type(restored) is type(original)
    assert restored == original


def test_default_titles_follow_the_artifact(store: Store) -> None:
    long_question = "How can I " + "really " * 30 + "help?"
    titles = {
        store.get_artifact(store.save_artifact(artifact)).title
        for artifact in (
            make_answer(long_question),
            make_agenda(),
            make_starters(),
            make_feedback(),
        )
    }
    answer_title = next(t for t in titles if t.startswith("How can I"))
    assert len(answer_title) <= 80
    assert "Session 2: Working with Gen Z colleagues" in titles
    assert "Starters: remote work" in titles
    assert any(t.startswith("A frank session") and len(t) <= 80 for t in titles)
    named = store.save_artifact(make_answer(), title="My favourite answer")
    assert store.get_artifact(named).title == "My favourite answer"


def test_missing_artifact_is_none_and_unknown_ids_are_refused(store: Store) -> None:
    assert store.get_artifact(999) is None
    with pytest.raises(InputError, match="conversation #42"):
        store.save_artifact(make_answer(), conversation_id=42)
    with pytest.raises(InputError, match="conversation #7"):
        store.add_message(7, "user", "hello")


def test_search_matches_title_and_payload_text_ignoring_case(store: Store) -> None:
    agenda_id = store.save_artifact(make_agenda())
    answer_id = store.save_artifact(make_answer())
    feedback_id = store.save_artifact(make_feedback())

    assert [a.id for a in store.list_artifacts(search="GEN z")] == [agenda_id]  # title
    assert [a.id for a in store.list_artifacts(search="messaging NORMS")] == [agenda_id]
    assert [a.id for a in store.list_artifacts(search="agree on goals")] == [answer_id]
    assert [a.id for a in store.list_artifacts(search="ÉQUIPE")] == [feedback_id]
    assert store.list_artifacts(search="prompt_version") == []  # JSON keys are not content
    assert store.list_artifacts(search="100%") == []  # '%' is literal, not a wildcard
    assert [a.id for a in store.list_artifacts(kind="answer")] == [answer_id]
    assert [a.id for a in store.list_artifacts()] == [feedback_id, answer_id, agenda_id]
    assert len(store.list_artifacts(limit=2)) == 2


def test_conversations_list_newest_first_with_counts_and_search(store: Store) -> None:
    older = store.create_conversation("mentee", "Budget questions")
    newer = store.create_conversation("mentor", "Tools")
    store.add_message(newer, "user", "Which Slack channels should I join?")
    store.add_message(older, "user", "How do I read a P&L?")
    store.add_message(older, "assistant", "Start with the revenue line [1].")

    rows = store.list_conversations()
    assert [(r.id, r.messages) for r in rows] == [(older, 2), (newer, 1)]  # last active first
    assert [r.id for r in store.list_conversations(search="slack")] == [newer]  # content
    assert [r.id for r in store.list_conversations(search="BUDGET")] == [older]  # title
    assert store.list_conversations(search="nothing like this") == []
    # Case folding beyond ASCII, in SQL on both databases (PostgreSQL: a UTF-8 locale).
    team = store.create_conversation("mentor", "Réunion d'ÉQUIPE")
    assert [r.id for r in store.list_conversations(search="équipe")] == [team]
    assert [r.id for r in store.list_conversations(search="RÉUNION")] == [team]
    messages = store.get_messages(older)
    assert [(m.role, m.content) for m in messages] == [
        ("user", "How do I read a P&L?"),
        ("assistant", "Start with the revenue line [1]."),
    ]


def test_deleting_a_conversation_deletes_its_messages_but_keeps_artifacts(
    store: Store, database: Database
) -> None:
    chat = store.create_conversation("mentee", "Chat")
    answer_id = store.save_artifact(make_answer(), conversation_id=chat)
    store.add_message(chat, "user", "How do I start?")
    store.add_message(chat, "assistant", "Agree on goals first [1].", artifact_id=answer_id)

    assert store.delete_conversation(chat) is True
    assert store.get_messages(chat) == [] and store.list_conversations() == []
    assert database.count("messages") == 0
    kept = store.get_artifact(answer_id)
    assert kept is not None and kept.conversation_id is None
    assert store.delete_conversation(chat) is False


def test_deleting_an_artifact_deletes_its_rating(store: Store, database: Database) -> None:
    chat = store.create_conversation("mentee", "Chat")
    answer_id = store.save_artifact(make_answer())
    store.add_message(chat, "assistant", "Agree on goals first [1].", artifact_id=answer_id)
    store.rate(answer_id, 1)

    assert store.delete_artifact(answer_id) is True
    assert store.get_artifact(answer_id) is None
    assert store.ratings_summary() == [] and database.count("ratings") == 0
    assert store.get_messages(chat)[0].artifact_id is None  # the chat keeps its text
    assert store.delete_artifact(answer_id) is False


def test_rating_is_one_per_artifact_and_summarised_by_kind_and_model(
    store: Store, database: Database
) -> None:
    big = [store.save_artifact(make_answer(model="qwen2.5-coder-1.5b")) for _ in range(3)]
    small = store.save_artifact(make_answer(model="qwen2.5-coder-0.5b"))
    agenda = store.save_artifact(make_agenda())
    store.rate(big[0], 1)
    store.rate(big[0], -1, "changed my mind")  # replaces, does not add
    store.rate(big[1], 1)
    store.rate(big[2], 1)
    store.rate(small, -1)
    store.rate(agenda, 1)

    assert store.get_artifact(big[0]).rating == -1
    assert database.count("ratings") == 5
    assert store.ratings_summary() == [
        {"kind": "agenda", "model": "scripted", "up": 1, "down": 0, "total": 1},
        {"kind": "answer", "model": "qwen2.5-coder-0.5b", "up": 0, "down": 1, "total": 1},
        {"kind": "answer", "model": "qwen2.5-coder-1.5b", "up": 2, "down": 1, "total": 3},
    ]
    with pytest.raises(InputError, match=r"\+1"):
        store.rate(agenda, 5)
    with pytest.raises(InputError, match="artifact #999"):
        store.rate(999, 1)


def test_eval_runs_are_listed_newest_first_and_keep_their_cases(store: Store) -> None:
    cases = [
        {
            "suite": "grounding",
            "case_id": "g-1",
            "input": {"question": "Why mentor?"},
            "output": {"answer": "Because [1]."},
            "scores": {"faithfulness": 1.0},
            "reasons": {"faithfulness": "all claims cited"},
            "seconds": 2.5,
            "error": None,
        },
        {
            "suite": "grounding",
            "case_id": "g-2",
            "input": {"question": "Weather?"},
            "output": "",
            "scores": {"faithfulness": 0.0},
            "reasons": {},
            "seconds": 0.1,
            "error": "ModelTimeout: took too long",
        },
    ]
    first = store.save_eval_run(
        suites=["grounding"],
        backend="scripted",
        model="scripted",
        prompt_versions={"answer": "answer@3"},
        config={"k": 5},
        seconds=2.6,
        metrics={"faithfulness": 0.5},
        cases=cases,
    )
    second = store.save_eval_run(
        suites=["agenda", "grounding"],
        backend="local",
        model="qwen2.5-coder-0.5b",
        prompt_versions={},
        config={},
        seconds=9.0,
        metrics={"faithfulness": 0.9},
        cases=[],
    )

    runs = store.list_eval_runs()
    assert [r.id for r in runs] == [second, first]
    assert all(r.cases is None for r in runs)
    assert runs[0].suites == ["agenda", "grounding"] and runs[0].model == "qwen2.5-coder-0.5b"
    run = store.get_eval_run(first)
    assert run is not None
    assert (run.metrics, run.config, run.prompt_versions) == (
        {"faithfulness": 0.5},
        {"k": 5, "status": "complete"},
        {"answer": "answer@3"},
    )
    assert run.cases == cases
    assert store.get_eval_run(second).cases == []
    assert store.get_eval_run(12345) is None
    assert len(store.list_eval_runs(limit=1)) == 1


WRITES_EACH = 50


def save_many(url: str, label: str, start: threading.Barrier, store: Store | None = None) -> None:
    """One writer: waits until every writer is ready, then saves WRITES_EACH artifacts, each
    linked to the shared conversation (a read-then-write transaction, the hardest case)."""
    store = store or Store(url)
    start.wait(timeout=120)
    for n in range(WRITES_EACH):
        artifact_id = store.save_artifact(make_answer(f"{label} question {n}"), conversation_id=1)
        store.add_message(1, "assistant", f"{label} answer {n}", artifact_id=artifact_id)


def test_concurrent_processes_and_threads_lose_no_write(database: Database) -> None:
    url = database.url
    shared = Store(url)  # threads share one Store, as the app's sessions do
    assert shared.create_conversation("mentee", "Busy chat") == 1
    context = multiprocessing.get_context("spawn")
    n_processes, n_threads = 2, 4
    start = context.Barrier(n_processes + n_threads)
    processes = [
        context.Process(target=save_many, args=(url, f"process-{n}", start))
        for n in range(n_processes)
    ]
    errors: list[BaseException] = []

    def thread_writer(label: str) -> None:
        try:
            save_many(url, label, start, shared)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=thread_writer, args=(f"thread-{n}",)) for n in range(n_threads)
    ]
    for worker in [*processes, *threads]:
        worker.start()
    for thread in threads:
        thread.join(timeout=300)
    for process in processes:
        process.join(timeout=300)

    assert errors == []
    assert [p.exitcode for p in processes] == [0] * n_processes
    total = (n_processes + n_threads) * WRITES_EACH
    titles = [a.title for a in Store(url).list_artifacts(limit=10 * total)]
    assert len(titles) == total == database.count("artifacts")
    assert len(set(titles)) == total
    assert len(shared.get_messages(1)) == total


def test_sqlite_file_is_in_wal_mode_with_safe_pragmas(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'data' / 'coach.db'}")
    assert (tmp_path / "data").is_dir()  # the parent folder was created
    with sqlite3.connect(tmp_path / "data" / "coach.db") as conn:  # WAL is stored in the file
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_a_bad_url_names_itself_without_the_password_and_says_what_to_do() -> None:
    # psycopg (3) is a dependency now; psycopg2 is not installed.
    with pytest.raises(CoachError) as caught:
        Store("postgresql+psycopg2://coach:s3cret@127.0.0.1/coach")
    message = str(caught.value)
    assert "s3cret" not in message
    assert "postgresql+psycopg2://coach:***@127.0.0.1/coach" in message
    assert "install" in message.lower()

    with pytest.raises(CoachError, match="not a database URL.*DATABASE_URL"):
        Store("just some words")
    with pytest.raises(CoachError, match="unknown database type"):
        Store("nosuchdb://user:pw@host/db")


def test_an_unreachable_postgresql_server_gives_one_line_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    wrong_port = postgres_server.url().replace(
        f"postgres@127.0.0.1:{postgres_server.port}", f"coach:s3cret@127.0.0.1:{free_port()}"
    )
    with pytest.raises(CoachError, match="Cannot use the database at") as caught:
        Store(wrong_port)
    message = str(caught.value)
    assert "s3cret" not in message and "\n" not in message
    assert "PostgreSQL server named in DATABASE_URL is running" in message
    missing = postgres_server.url("no_such_database")
    with pytest.raises(CoachError, match="no_such_database.*does not exist"):
        Store(missing)


def test_an_unusable_path_gives_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(CoachError, match="not-a-folder.*DATABASE_URL"):
        Store(f"sqlite:///{blocker / 'sub' / 'coach.db'}")
    with pytest.raises(CoachError, match="Cannot use the database") as caught:
        Store(f"sqlite:///{tmp_path}")  # a folder, not a file
    assert "\n" not in str(caught.value)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(CoachError, match="junk.db"):
        Store(f"sqlite:///{junk}")


def test_an_eval_run_is_stored_case_by_case_and_finished_later(database: Database) -> None:
    from assistant.store import RUN_COMPLETE, RUN_INTERRUPTED, RUN_RUNNING

    store = Store(database.url)
    run_id = store.start_eval_run(
        suites=["chat"],
        backend="local",
        model="m",
        prompt_versions={"answer": "answer-v1"},
        config={"limit": 2},
    )
    assert store.get_eval_run(run_id).status == RUN_RUNNING
    case = {
        "suite": "chat",
        "case_id": "chat-001",
        "input": {},
        "output": None,
        "scores": {"groundedness": 1.0},
        "reasons": {},
        "seconds": 2.5,
        "error": None,
    }
    store.add_eval_cases(run_id, [case])
    # A second connection (another process, the dashboard) sees the case at once.
    other = Store(database.url).get_eval_run(run_id)
    assert [c["case_id"] for c in other.cases] == ["chat-001"] and other.metrics == {}
    assert store.count_eval_cases([run_id, 99]) == {run_id: 1, 99: 0}
    store.finish_eval_run(
        run_id,
        seconds=2.5,
        metrics={"chat.groundedness": 1.0},
        config={"limit": 2},
        status=RUN_INTERRUPTED,
    )
    assert store.get_eval_run(run_id, with_cases=False).status == RUN_INTERRUPTED
    store.finish_eval_run(
        run_id, seconds=5.0, metrics={"chat.groundedness": 1.0}, config={"limit": 2}
    )
    row = store.get_eval_run(run_id, with_cases=False)
    assert (row.status, row.seconds, row.cases, row.config["limit"]) == (RUN_COMPLETE, 5.0, None, 2)
    with pytest.raises(CoachError, match="no saved eval run #99"):
        store.add_eval_cases(99, [case])


def test_a_question_and_its_reply_are_recorded_together(store: Store) -> None:
    answer = make_answer()
    first = store.record_exchange(
        conversation_id=None, persona="mentor", question="How do I start?", answer=answer
    )
    [conversation] = store.list_conversations()
    assert (conversation.id, conversation.persona) == (first.conversation_id, "mentor")
    assert conversation.title == "How do I start?" and conversation.messages == 2
    user, assistant = store.get_messages(first.conversation_id)
    assert (user.role, user.content, user.artifact_id) == ("user", "How do I start?", None)
    assert (assistant.role, assistant.artifact_id) == ("assistant", first.artifact_id)
    assert assistant.content == "Agree on goals first [1]."
    saved = store.get_artifact(first.artifact_id)
    assert saved is not None and saved.conversation_id == first.conversation_id
    assert saved.title == "How do I start?" and load_artifact(saved) == answer

    follow_up = store.record_exchange(
        conversation_id=first.conversation_id,
        persona="mentor",
        question="And then?",
        answer=make_answer("And then?"),
    )
    assert follow_up.conversation_id == first.conversation_id
    [conversation_after] = store.list_conversations()
    assert conversation_after.messages == 4
    assert conversation_after.updated_at > conversation.updated_at
    assert conversation_after.updated_at == store.get_messages(first.conversation_id)[-1].created_at


def test_a_question_is_saved_before_its_reply(store: Store, database: Database) -> None:
    conversation_id = store.record_question(
        conversation_id=None, persona="mentee", question="How do I start?"
    )
    [asked] = store.list_conversations()
    assert (asked.id, asked.title, asked.messages) == (conversation_id, "How do I start?", 1)
    assert database.count("artifacts") == 0  # nothing of a reply yet
    artifact_id = store.record_reply(
        conversation_id=conversation_id, question="How do I start?", answer=make_answer()
    )
    user, assistant = store.get_messages(conversation_id)
    assert (user.role, user.content) == ("user", "How do I start?")
    assert (assistant.role, assistant.artifact_id) == ("assistant", artifact_id)
    saved = store.get_artifact(artifact_id)
    assert saved is not None and saved.conversation_id == conversation_id
    assert (
        store.record_question(
            conversation_id=conversation_id, persona="mentee", question="And then?"
        )
        == conversation_id
    )
    assert [c.messages for c in store.list_conversations()] == [3]
    with pytest.raises(CoachError, match="no saved conversation #999"):
        store.record_reply(conversation_id=999, question="?", answer=make_answer())


def test_an_exchange_that_fails_half_way_leaves_nothing_behind(
    store: Store, database: Database
) -> None:
    kept = store.record_exchange(
        conversation_id=None, persona="mentee", question="How do I start?", answer=make_answer()
    )
    [before] = store.list_conversations()
    # A reply without text breaks the last write (the assistant's message is NOT NULL), after
    # the user's message and the artifact were written in the same transaction.
    broken = make_answer("What next?")
    broken.answer = None  # type: ignore[assignment]
    for conversation_id in (kept.conversation_id, None):
        with pytest.raises(sa_exc.IntegrityError):
            store.record_exchange(
                conversation_id=conversation_id,
                persona="mentee",
                question="What next?",
                answer=broken,
            )
    assert database.count("conversations") == 1
    assert database.count("messages") == 2
    assert database.count("artifacts") == 1
    assert store.list_conversations() == [before]  # updated_at did not move either
    assert store.list_artifacts(search="what next") == []


def test_an_exchange_for_a_deleted_conversation_is_refused_and_not_saved(
    store: Store, database: Database
) -> None:
    with pytest.raises(InputError, match="conversation #5"):
        store.record_exchange(
            conversation_id=5, persona="mentee", question="Hello?", answer=make_answer()
        )
    assert database.count("messages") == 0 and database.count("artifacts") == 0
