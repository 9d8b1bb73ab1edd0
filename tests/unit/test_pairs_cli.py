"""The pairs CLI contract: JSON shapes, the two-session flow ending in an agenda that reviews
the open actions, and one line + exit 2 for every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assistant.llm as llm
from assistant.cli import main
from assistant.config import Settings
from assistant.llm.scripted import ScriptedModel

NOTES_ONE = """Session 1 with Priya Raman (mentor) and Gordon Hale (mentee).
Gordon opened the company chatbot for the first time and summarised a board paper.
Gordon learned that a prompt needs context, a role and a format.
Priya learned that the board agenda is fixed two weeks ahead.
Priya will send three example prompts by Friday.
Gordon will try the chatbot on his weekly depot report.
"""
NOTES_TWO = """Session 2 with Priya Raman and Gordon Hale.
Gordon found one wrong figure in a chatbot summary and checked it against the source.
Priya learned how budget trade-offs are argued at the executive table.
Gordon will check every AI summary against its source before sharing it.
Priya will draft five questions about hybrid working for her graduate cohort.
"""
REPLY_ONE = {
    "summary": "[MENTEE] tried the chatbot on a board paper.",
    "action_items": [
        {"owner": "mentor", "action": "Send three example prompts", "due": "Friday"},
        {"owner": "mentee", "action": "Try the chatbot on his weekly depot report", "due": None},
    ],
    "went_well": ["[MENTEE] summarised a board paper"],
    "senior_learned": ["[MENTEE] learned that a prompt needs context, a role and a format"],
    "junior_learned": ["[MENTOR] learned that the board agenda is fixed two weeks ahead"],
    "challenges": [],
    "next_focus": "checking AI summaries against the source",
}
REPLY_TWO = {
    "summary": "[MENTEE] found a wrong figure in a chatbot summary.",
    "action_items": [
        {"owner": "mentee", "action": "Check every AI summary against its source", "due": None},
        {
            "owner": "mentor",
            "action": "Draft five questions about hybrid working for her graduate cohort",
            "due": None,
        },
    ],
    "went_well": [],
    "senior_learned": ["[MENTEE] learned to check a chatbot summary against the source"],
    "junior_learned": ["[MENTOR] learned how budget trade-offs are argued at the executive table"],
    "challenges": [],
    "next_focus": "hybrid working and graduates",
}


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> ScriptedModel:
    """The model every command of the test gets: queued feedback replies, then schema
    examples (for agenda wording)."""
    scripted = ScriptedModel()
    monkeypatch.setattr(llm, "get_model", lambda _settings: scripted)
    return scripted


@pytest.fixture
def env(real_index_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    values = {
        "COACH_DATA_DIR": str(real_index_settings.data_dir),
        "COACH_MODEL": "scripted",
        "COACH_KNOWLEDGE_DIR": str(real_index_settings.knowledge_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}",
        "CHROMA_HOST": "",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return tmp_path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    return captured.err


def test_two_sessions_then_the_agenda_reviews_exactly_the_open_actions(
    env: Path, model: ScriptedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    added = run_json(
        capsys,
        "pair",
        "add",
        "--mentor",
        "Priya Raman",
        "--mentee",
        "Gordon Hale",
        "--senior-goal",
        "use an AI chatbot for first drafts",
        "--junior-goal",
        "how budget decisions are made",
        "--sessions",
        "4",
    )
    pair = added["pair"]
    assert {"id", "mentor", "mentee", "cadence_days", "sessions_planned", "status", "goals"} <= set(
        pair
    )
    assert (pair["mentor"], pair["cadence_days"], pair["sessions_planned"]) == (
        "Priya Raman",
        14,
        4,
    )
    pair_id = str(pair["id"])
    (env / "one.txt").write_text(NOTES_ONE, encoding="utf-8")
    (env / "two.txt").write_text(NOTES_TWO, encoding="utf-8")

    model.enqueue(REPLY_ONE)
    first = run_json(capsys, "feedback", "--pair", pair_id, "--notes-file", str(env / "one.txt"))
    model.enqueue(REPLY_TWO)
    second = run_json(capsys, "feedback", "--pair", pair_id, "--notes-file", str(env / "two.txt"))
    assert (first["session"], second["session"]) == (1, 2)
    # The pair's names never reached the model, though the command line did not repeat them.
    sent = " ".join(m["content"] for call in model.history for m in call.messages)
    assert "Priya" not in sent and "Gordon" not in sent

    shown = run_json(capsys, "pair", "show", pair_id)
    assert set(shown) >= {"pair", "sessions", "open_actions", "ledger"}
    assert [s["number"] for s in shown["sessions"]] == [1, 2]
    opened = shown["open_actions"]
    assert all(set(a) >= {"id", "owner", "action", "due", "session"} for a in opened)
    assert [a["session"] for a in opened] == [1, 1, 2, 2]
    assert len(shown["ledger"]["senior_learned"]) == 2
    assert len(shown["ledger"]["junior_learned"]) == 2

    done, dropped = opened[0], opened[1]
    assert main(["action", "done", str(done["id"])]) == 0
    assert main(["action", "drop", str(dropped["id"])]) == 0
    capsys.readouterr()

    agenda = run_json(capsys, "agenda", "--pair", pair_id, "--minutes", "45")
    assert (agenda["session_number"], agenda["stage"], agenda["minutes"]) == (3, "middle", 45)
    assert sum(i["minutes"] for i in agenda["items"]) == 45
    review = [i for i in agenda["items"] if i["activity"] == "Review of open action items"]
    assert len(review) == 1 and review[0]["sources"]
    text = review[0]["details"]
    for action in opened[2:]:
        assert action["action"] in text
    assert text.count("from session 2") == 2
    everything = json.dumps(agenda)
    assert done["action"] not in everything and dropped["action"] not in everything
    timeline = run_json(capsys, "pair", "show", pair_id)["artifacts"]
    assert [(a["kind"], a["session"]) for a in timeline] == [
        ("feedback", 1),
        ("feedback", 2),
        ("agenda", 3),
    ]

    health = run_json(capsys, "pairs", "health")["pairs"]
    assert len(health) == 1
    figures = health[0]
    expected = {
        "id": int(pair_id),
        "sessions_held": 2,
        "sessions_planned": 4,
        "days_since_last": 0,
        "stalled": False,
        "actions_open": 2,
        "actions_done": 1,
        "learned_by_senior": 2,
        "learned_by_junior": 2,
    }
    assert {k: figures[k] for k in expected} == expected
    assert "Send three example prompts" not in json.dumps(health)


def test_pair_list_edit_delete_and_exports(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "pair", "list") == {"pairs": []}
    run_json(capsys, "pair", "add", "--mentor", "Ana", "--mentee", "Bob", "--senior-goal", "x")
    edited = run_json(capsys, "pair", "edit", "1", "--status", "paused", "--goal-progress", "1=4")[
        "pair"
    ]
    assert edited["status"] == "paused" and edited["goals"][0]["progress"] == 4
    assert [p["id"] for p in run_json(capsys, "pair", "list")["pairs"]] == [1]
    assert main(["pair", "export", "1", "md", str(env / "timeline.md")]) == 0
    timeline = (env / "timeline.md").read_text(encoding="utf-8")
    assert "# Ana (mentor) and Bob (mentee)" in timeline and "| senior | x | 4/5 |" in timeline
    assert main(["pair", "export", "1", "ics", str(env / "next.ics")]) == 0
    assert b"Reverse mentoring session 1: Ana and Bob" in (env / "next.ics").read_bytes()
    capsys.readouterr()
    assert "--yes" in fails(capsys, "pair", "delete", "1")
    assert main(["pair", "delete", "1", "--yes"]) == 0
    capsys.readouterr()
    assert run_json(capsys, "pair", "list") == {"pairs": []}


def test_cohorts_filter_the_health_view(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cohort = run_json(
        capsys, "cohort", "add", "--name", "Autumn", "--start", "2026-09-01", "--end", "2027-01-31"
    )["cohort"]
    run_json(capsys, "pair", "add", "--mentor", "A", "--mentee", "B", "--cohort", str(cohort["id"]))
    run_json(capsys, "pair", "add", "--mentor", "C", "--mentee", "D")
    assert [c["name"] for c in run_json(capsys, "cohort", "list")["cohorts"]] == ["Autumn"]
    in_cohort = run_json(capsys, "pairs", "health", "--cohort", str(cohort["id"]))["pairs"]
    assert [p["mentor"] for p in in_cohort] == ["A"]
    assert len(run_json(capsys, "pairs", "health")["pairs"]) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ("pair", "show", "42"),
        ("pair", "edit", "42", "--status", "closed"),
        ("pair", "delete", "42", "--yes"),
        ("action", "done", "42"),
        ("action", "drop", "42"),
        ("agenda", "--pair", "42", "--minutes", "45"),
        ("pair", "add", "--mentor", "A", "--mentee", "B", "--cadence-days", "0"),
        ("pair", "add", "--mentor", " ", "--mentee", "B"),
        ("pair", "add", "--mentor", "A", "--mentee", "B", "--start", "someday"),
        ("pair", "add", "--mentor", "A", "--mentee", "B", "--cohort", "9"),
        ("cohort", "add", "--name", "X", "--start", "2026-09-01", "--end", "2026-01-01"),
        ("agenda", "--minutes", "45"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    env: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    fails(capsys, *argv)


def test_pair_flags_that_the_pair_fills_in_are_refused(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "pair", "add", "--mentor", "A", "--mentee", "B")
    assert "topic" in fails(capsys, "agenda", "--pair", "1", "--minutes", "45", "--topic", "x")
    assert "duration" in fails(capsys, "agenda", "--pair", "1", "--minutes", "500")
    notes = env / "n.txt"
    notes.write_text("Session notes.\nA tried the chatbot.\n", encoding="utf-8")
    assert "no pair #7" in fails(capsys, "feedback", "--pair", "7", "--notes-file", str(notes))
    assert "rating" in fails(
        capsys, "feedback", "--pair", "1", "--notes-file", str(notes), "--rating", "9"
    )


def test_starters_for_a_pair_carry_its_goals_and_land_on_its_timeline(
    env: Path, model: ScriptedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(
        capsys,
        "pair",
        "add",
        "--mentor",
        "A",
        "--mentee",
        "B",
        "--senior-goal",
        "posting on LinkedIn with confidence",
        "--junior-goal",
        "negotiating a budget",
    )
    result = run_json(capsys, "starters", "--pair", "1", "--count", "4")
    assert (result["pair_id"], result["session"]) == (1, 1)
    sent = " ".join(m["content"] for call in model.history for m in call.messages)
    assert "posting on LinkedIn with confidence" in sent and "negotiating a budget" in sent
    timeline = run_json(capsys, "pair", "show", "1")["artifacts"]
    assert [(a["kind"], a["session"]) for a in timeline] == [("starters", 1)]
    assert "topic" in fails(capsys, "starters", "--pair", "1", "--topic", "x")
