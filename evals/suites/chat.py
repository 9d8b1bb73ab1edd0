"""Chat suite: grounded answers with honest citations, and polite refusals out of scope."""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from assistant.schemas import AnswerRequest, Turn
from evals.metrics import Score, citation_validity, groundedness
from evals.suites.common import Outcome, SuiteContext
from evals.wording import opening_fault, persona_fault

NAME = "chat"
DATASET = "chat"
NEEDS_MODEL = True
METRICS = SUITE_METRICS[NAME]


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case.get(k) for k in ("question", "persona", "history", "type", "relevant")}


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    coach, observed = ctx.observed_coach()
    history = [Turn(**turn) for turn in case.get("history") or []]
    answer = coach.answer(
        AnswerRequest(
            question=case["question"], persona=case.get("persona", "mentee"), history=history
        )
    )
    answered = answer.outcome == "answered" and bool(answer.citations)
    scores: dict[str, Score] = {}
    kind = case.get("type", "grounded")
    if kind == "answerable":  # a covered look-alike: scored like a grounded question
        kind = "grounded"
    if kind == "grounded":
        scores["answerable_answered"] = Score(float(answered), f"outcome {answer.outcome}")
    if kind == "no_answer":
        declined = answer.outcome == "declined"
        scores["unanswerable_declined"] = Score(float(declined), f"outcome {answer.outcome}")
        number = case["id"].rsplit("-", 1)[-1]
        if case["id"].startswith("chat-u-") and number.isdigit() and int(number) % 2 == 0:
            scores["unanswerable_declined_heldout"] = scores["unanswerable_declined"]
    if kind == "grounded":
        scores["scope_ok"] = Score(
            float(answered),
            f"answered with {len(answer.citations)} citation(s)"
            if answered
            else f"declined or uncited (relevance {answer.relevance}) a covered question",
        )
    else:
        scores["scope_ok"] = Score(
            float(not answered),
            f"declined as expected ({case.get('type')})"
            if not answered
            else f"answered a {case.get('type')} question it should have declined",
        )
    if answer.citations:
        scores["citation_valid"] = citation_validity(
            [c.id for c in answer.citations], ctx.index_ids, observed.seen
        )
    if answered:
        scores["groundedness"] = groundedness(
            answer.answer, [c.text for c in answer.citations], ctx.embed
        )
        fault = opening_fault(case["question"], answer.answer)
        scores["opening_fault"] = Score(float(fault is not None), fault or "starts with the advice")
        wrong = persona_fault(case.get("persona", "mentee"), answer.answer)
        scores["persona_fit"] = Score(
            float(wrong is None), f"speaks to another persona: {wrong!r}" if wrong else "fits"
        )
        relevant = set(case.get("relevant") or [])
        if relevant:
            cited = [c.source for c in answer.citations]
            hits = [s for s in cited if s in relevant]
            scores["cited_relevant"] = Score(
                float(bool(hits)),
                f"cites expected {hits[0]}"
                if hits
                else f"cites {', '.join(cited[:3])}; "
                f"expected one of {', '.join(sorted(relevant)[:3])}",
            )
    return Outcome(output=answer.model_dump(mode="json"), scores=scores)
