"""Agenda suite: structural validity and honest citations of generated session agendas."""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from assistant.schemas import AgendaRequest
from evals.metrics import Score, agenda_structure, citation_validity
from evals.suites.common import Outcome, SuiteContext
from evals.wording import (
    goal_coverage,
    has_two_way_exchange,
    is_card_copy,
    two_way_applies,
    unused_citations,
)

NAME = "agenda"
DATASET = "agenda"
NEEDS_MODEL = True
REQUEST_FIELDS = (
    "topic",
    "minutes",
    "stage",
    "session_number",
    "mentor_role",
    "mentee_role",
    "goals",
    "notes_from_last_time",
)
METRICS = SUITE_METRICS[NAME]


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case[k] for k in REQUEST_FIELDS if k in case} | {"expect": case.get("expect")}


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    request = AgendaRequest(**{k: case[k] for k in REQUEST_FIELDS if k in case})
    coach, observed = ctx.observed_coach()
    agenda = coach.agenda(request)
    items = [(i.minutes, f"{i.activity} {i.details} {' '.join(i.sources)}") for i in agenda.items]
    required = (case.get("expect") or {}).get("must_include_kinds")
    scores = agenda_structure(items, request.minutes, request.stage, required=required)
    scores["citation_valid"] = citation_validity(
        [c.id for c in agenda.citations], ctx.index_ids, observed.seen
    )
    scores.update(wording_scores(agenda, coach.retriever.activity_cards(), ctx.embed))
    return Outcome(output=agenda.model_dump(mode="json"), scores=scores)


def wording_scores(agenda: Any, cards: Any, embed: Any) -> dict[str, Score]:
    """Issue 16's agenda faults: goals without a block, card copy, no two-way exchange,
    citations no item uses."""
    items = [i.model_dump() for i in agenda.items]
    scores: dict[str, Score] = {}
    goals = [g for g in agenda.goals if g.strip()]
    if goals:
        covered = goal_coverage(goals, items, embed)
        scores["goal_coverage"] = Score(
            covered, f"{round(covered * len(goals))}/{len(goals)} goals"
        )
    checked = copied = 0
    for item in agenda.items:
        card = cards.get(item.sources[0]) if item.sources else None
        if card is None or "action-review" in card.provides:
            continue
        checked += 1
        copied += is_card_copy(item.details, f"{card.summary} {card.how_to}")
    if checked:
        scores["card_copy_rate"] = Score(copied / checked, f"{copied}/{checked} details copy")
    if two_way_applies(agenda.minutes):
        present = has_two_way_exchange(items)
        scores["two_way_exchange"] = Score(
            float(present), "senior teaches back" if present else "no item has the senior teach"
        )
    unused = unused_citations(items, [c.source for c in agenda.citations])
    scores["unused_citations"] = Score(
        float(len(unused)), ", ".join(unused[:3]) or "every cited source is used by an item"
    )
    return scores
