"""Agenda suite: structural validity and honest citations of generated session agendas."""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from assistant.schemas import AgendaRequest
from evals.metrics import agenda_structure, citation_validity
from evals.suites.common import Outcome, SuiteContext

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
    return Outcome(output=agenda.model_dump(mode="json"), scores=scores)
