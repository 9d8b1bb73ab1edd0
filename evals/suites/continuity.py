"""Continuity suite: does a pair's next agenda carry over exactly the open action items?

Each case is a pair with earlier sessions (their summaries, learnings and action items, each
open, done or dropped). The suite records them through the real path (a fresh in-memory
history database, `assistant.pairs.record_summary`, action statuses set as the case says),
plans the next session with `assistant.pairs.plan_next_session`, and checks the agenda: every
open action listed in the review item, no done or dropped one anywhere, the right stage, and
minutes that add up exactly.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from assistant.eval_report import SUITE_METRICS
from assistant.pair_store import PairStore
from assistant.pairs import (
    Goal,
    Pair,
    plan_next_session,
    record_summary,
    redact_for_pair,
)
from assistant.planning import REVIEW_TITLE
from assistant.schemas import ActionItem, Agenda, FeedbackSummary
from assistant.store import Store
from evals.metrics import Score
from evals.suites.common import Outcome, SuiteContext

NAME = "continuity"
DATASET = "continuity"
NEEDS_MODEL = True
METRICS = SUITE_METRICS[NAME]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def continuity_scores(
    agenda: Agenda,
    minutes: int,
    expected_stage: str,
    open_actions: list[str],
    closed_actions: list[str],
) -> dict[str, Score]:
    """The suite's four scores for one next agenda (texts as the pair stores them)."""
    review = " ".join(i.details for i in agenda.items if i.activity == REVIEW_TITLE)
    everything = " ".join(
        [
            agenda.title,
            *agenda.objectives,
            *(f"{i.activity} {i.details}" for i in agenda.items),
            *agenda.starters,
            *agenda.prepare,
            *agenda.follow_up,
        ]
    )
    listed = [a for a in open_actions if _norm(a) in _norm(review)]
    missed = [a for a in open_actions if a not in listed]
    leaked = [a for a in closed_actions if _norm(a) and _norm(a) in _norm(everything)]
    total = sum(i.minutes for i in agenda.items)
    recall = len(listed) / len(open_actions) if open_actions else 1.0
    return {
        "open_action_recall": Score(
            recall,
            f"{len(listed)}/{len(open_actions)} open actions in the review item"
            + (f"; missing: {missed[0]!r}" if missed else ""),
        ),
        "closed_listed": Score(
            float(len(leaked)),
            f"done/dropped listed: {leaked[0]!r}" if leaked else "no done/dropped item listed",
        ),
        "stage_right": Score(
            float(agenda.stage == expected_stage),
            f"stage {agenda.stage}, expected {expected_stage}",
        ),
        "minutes_exact": Score(float(total == minutes), f"items sum to {total} of {minutes}"),
    }


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return {"pair": case["pair"], "sessions": len(case["sessions"]), "next": case["next"]}


def _pair(spec: dict[str, Any]) -> Pair:
    goals = [Goal(side="senior", text=t) for t in spec.get("senior_goals", [])] + [
        Goal(side="junior", text=t) for t in spec.get("junior_goals", [])
    ]
    return Pair(
        mentor=spec["mentor"],
        mentee=spec["mentee"],
        mentor_role=spec.get("mentor_role", "junior mentor"),
        mentee_role=spec.get("mentee_role", "senior leader"),
        cadence_days=spec.get("cadence_days", 14),
        sessions_planned=spec.get("sessions_planned", 6),
        goals=goals,
    )


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    pairs = PairStore(Store("sqlite://"))  # a fresh history per case
    pair = pairs.add_pair(_pair(case["pair"]))
    assert pair.id is not None
    status_of: dict[str, str] = {}
    for session in case["sessions"]:
        summary = FeedbackSummary(
            summary=session.get("summary", ""),
            senior_learned=session.get("senior_learned", []),
            junior_learned=session.get("junior_learned", []),
            action_items=[
                ActionItem(owner=a["owner"], action=a["action"], due=a.get("due"))
                for a in session.get("action_items", [])
            ],
            next_focus=session.get("next_focus", ""),
        )
        record_summary(pairs, pair.id, summary, date.fromisoformat(session["date"]))
        for a in session.get("action_items", []):
            status_of[redact_for_pair(pair, a["action"])] = a["status"]
    for action in pairs.actions(pair.id):
        wanted = status_of.get(action.action, "open")
        if wanted != "open":
            pairs.set_action_status(action.id, wanted)  # type: ignore[arg-type]
    coach, _observed = ctx.observed_coach()
    minutes = int(case["next"]["minutes"])
    agenda = plan_next_session(coach, pairs, pair.id, minutes)
    expect = case["expect"]
    scores = continuity_scores(
        agenda,
        minutes,
        expect["stage"],
        [redact_for_pair(pair, a) for a in expect["open_actions"]],
        [redact_for_pair(pair, a) for a in expect["closed_actions"]],
    )
    return Outcome(output=agenda.model_dump(mode="json"), scores=scores)
