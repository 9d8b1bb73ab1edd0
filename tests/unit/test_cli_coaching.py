"""`coach ask` and `coach feedback` on the scripted model: what is saved, and what is refused.

Bad input is the request's own sentence on one line of stderr, exit code 2, nothing saved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.store import Store, load_artifact

QUESTION = "How do I prepare for my first session with a senior leader?"
NOTES = (
    "Alex Kim showed Jordan Lee how to draft a board memo with ChatGPT. Jordan learned to "
    "check the figures; Alex learned how the board reads a memo. Jordan will try it by Friday."
)


@pytest.fixture
def database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_index_settings: Settings
) -> Store:
    """The real knowledge index (built once per session) and an empty history of our own."""
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    for key, value in {
        "COACH_MODEL": "scripted",
        "COACH_DATA_DIR": str(real_index_settings.data_dir),
        "COACH_KNOWLEDGE_DIR": str(real_index_settings.knowledge_dir),
        "DATABASE_URL": url,
        "CHROMA_HOST": "",
    }.items():
        monkeypatch.setenv(key, value)
    return Store(url)


def test_coach_ask_saves_the_question_and_its_answer_as_one_conversation(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", f"  {QUESTION}  ", "--persona", "mentor", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    [conversation] = database.list_conversations()
    assert (conversation.title, conversation.persona, conversation.messages) == (
        QUESTION,
        "mentor",
        2,
    )
    user, assistant = database.get_messages(conversation.id)
    assert user.content == QUESTION and assistant.content == printed["answer"]
    stored = database.get_artifact(assistant.artifact_id)
    assert stored is not None and stored.conversation_id == conversation.id
    assert load_artifact(stored).answer == printed["answer"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ask", "   "], "coach: The question is empty. Type a question first."),
        (["ask", "x" * 2_001], "coach: The question is 2,001 characters long."),
        (["ask", "Why?", "--persona", "ceo"], None),  # argparse refuses it first
        (["starters", "--topic", "AI", "--count", "13"], "coach: 13 starters is out of range."),
        (["agenda", "--topic", " ", "--minutes", "45"], "coach: Topic is empty."),
        (
            ["agenda", "--topic", "AI", "--minutes", "45", "--session", "500"],
            "coach: Session number must be at most 100. Correct it and try again.",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_saved(
    database: Store, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str | None
) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own refusal (choices)
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    if expected is not None:
        assert err.startswith(expected) and len(err.splitlines()) == 1
    assert database.list_conversations() == [] and database.list_artifacts() == []


def test_the_notes_limit_is_the_setting(
    database: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COACH_MAX_NOTES_CHARS", "200")
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES + " More detail." * 10, encoding="utf-8")
    assert main(["feedback", "--notes-file", str(notes)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"coach: The notes are {len(notes.read_text()):,} characters; ")
    assert "the limit is 200." in err and database.list_artifacts() == []

    notes.write_text(NOTES, encoding="utf-8")
    assert main(["feedback", "--notes-file", str(notes), "--names", "Alex Kim, Jordan Lee"]) == 0
    [saved] = database.list_artifacts(kind="feedback")
    assert saved.payload["redactions"] >= 2  # both names, given as one string, were hidden


def test_coach_agenda_reports_progress_on_stderr_and_keeps_stdout_json(
    database: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    draft = {
        "title": "Chatbots at work",
        "details": [f"Worded item {n}." for n in range(1, 13)],  # more than any plan has
        "objectives": [],
        "starters": [],
        "prepare": [],
        "follow_up": [],
    }
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([draft]), encoding="utf-8")
    monkeypatch.setenv("COACH_SCRIPTED_REPLIES", str(replies))
    assert main(["agenda", "--topic", "AI chatbots", "--minutes", "45", "--json"]) == 0
    out, err = capsys.readouterr()
    agenda = json.loads(out)  # stdout is the JSON alone
    items = len(agenda["items"])
    lines = err.splitlines()
    assert lines[0] == (
        f"coach: plan ready: {items} items, 45 minutes; the model is writing each item's wording…"
    )
    assert [line for line in lines if "worded item" in line] == [
        f"coach: worded item {n} of {items}" for n in range(1, items + 1)
    ]
    assert agenda["items"][0]["details"] == "Worded item 1."
