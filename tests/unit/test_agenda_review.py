"""A pair's agenda reviews every open action item, and the plan's invariants still hold."""

from __future__ import annotations

import pytest

from assistant.agendas import check_agenda
from assistant.coach import Coach
from assistant.llm.scripted import ScriptedModel
from assistant.planning import REVIEW_TITLE
from assistant.schemas import Agenda, AgendaItem, AgendaRequest, ReviewAction
from evals.suites.continuity import continuity_scores


@pytest.fixture
def coach(real_retriever) -> Coach:  # noqa: ANN001
    return Coach(real_retriever, ScriptedModel())  # schema examples for the wording


def actions(count: int) -> list[ReviewAction]:
    return [
        ReviewAction(action=f"Carry-over task number {n}", owner="Mentee", session=1 + n % 3)
        for n in range(count)
    ]


@pytest.mark.parametrize(
    ("minutes", "stage", "open_count"),
    [
        (5, "middle", 1),
        (15, "closing", 3),
        (30, "middle", 4),
        (45, "closing", 2),
        (60, "middle", 5),
        (90, "middle", 8),
        (240, "closing", 12),
    ],
)
def test_review_lists_every_open_action_and_minutes_still_add_up(
    coach: Coach, minutes: int, stage: str, open_count: int
) -> None:
    review = actions(open_count)
    agenda = coach.agenda(
        AgendaRequest(topic="AI summaries", minutes=minutes, stage=stage, review_actions=review)
    )
    known = {str(c.metadata["source"]) for c in coach.retriever.index.all_chunks()}
    assert check_agenda(agenda, minutes, known) == []
    items = [i for i in agenda.items if i.activity == REVIEW_TITLE]
    assert len(items) == 1 and items[0].minutes > 0
    for action in review:
        assert f"{action.action} (from session {action.session})" in items[0].details


def test_no_open_actions_means_no_review_item(coach: Coach) -> None:
    agenda = coach.agenda(AgendaRequest(topic="AI summaries", minutes=45, stage="middle"))
    assert all(i.activity != REVIEW_TITLE for i in agenda.items)


def _agenda(details: str, minutes: list[int], stage: str = "middle") -> Agenda:
    items = [AgendaItem(minutes=m, activity="Other", details="Practise.") for m in minutes]
    items[0] = AgendaItem(minutes=minutes[0], activity=REVIEW_TITLE, details=details)
    return Agenda(title="t", topic="t", minutes=sum(minutes), stage=stage, items=items)


def test_continuity_scores_catch_a_missing_open_action_and_a_listed_closed_one() -> None:
    good = _agenda("Mentee: Send the deck. (from session 2); Mentor: Book a demo.", [10, 35])
    scores = continuity_scores(good, 45, "middle", ["Send the deck", "Book a demo"], ["Old task"])
    assert {k: s.value for k, s in scores.items()} == {
        "open_action_recall": 1.0,
        "closed_listed": 0.0,
        "stage_right": 1.0,
        "minutes_exact": 1.0,
    }
    bad = _agenda("Mentee: Send the deck; Old task", [10, 30], stage="closing")
    scores = continuity_scores(bad, 45, "middle", ["Send the deck", "Book a demo"], ["Old task"])
    assert scores["open_action_recall"].value == 0.5
    assert "Book a demo" in scores["open_action_recall"].reason
    assert scores["closed_listed"].value == 1.0
    assert scores["stage_right"].value == 0.0 and scores["minutes_exact"].value == 0.0


def test_the_continuity_suite_runs_in_coach_eval_and_meets_its_targets(
    real_index_settings,
    tmp_path,
    monkeypatch,
    capsys,  # noqa: ANN001
) -> None:
    import json

    from assistant.cli import main

    for key, value in {
        "COACH_DATA_DIR": str(real_index_settings.data_dir),
        "COACH_MODEL": "scripted",
        "COACH_KNOWLEDGE_DIR": str(real_index_settings.knowledge_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}",
        "CHROMA_HOST": "",
    }.items():
        monkeypatch.setenv(key, value)
    code = main(
        ["eval", "--suite", "continuity", "--json", "--report", str(tmp_path / "r.json")]
        + ["--fail-under", "continuity.open_action_recall=0.95", "continuity.stage_right=1"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    metrics = out["metrics"]
    assert metrics["continuity.open_action_recall"] >= 0.95
    assert metrics["continuity.closed_listed"] == 0
    assert metrics["continuity.minutes_exact"] == 1.0
