"""Starters suite: the right number of distinct, open conversation starters."""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from assistant.schemas import StartersRequest
from evals.metrics import Score, citation_validity, starter_scores
from evals.suites.common import Outcome, SuiteContext
from evals.wording import template_repeats

NAME = "starters"
DATASET = "starters"
NEEDS_MODEL = True
METRICS = SUITE_METRICS[NAME]


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case.get(k) for k in ("topic", "stage", "count")}


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    coach, observed = ctx.observed_coach()
    result = coach.starters(
        StartersRequest(
            topic=case["topic"], stage=case.get("stage", "middle"), count=int(case["count"])
        )
    )
    texts = [s.text for s in result.starters]
    scores = starter_scores(texts, int(case["count"]), ctx.embed)
    repeats = template_repeats(texts)
    scores["template_repeats"] = Score(
        len(repeats) / len(texts) if texts else 0.0,
        "; ".join(texts[j][:60] for j in repeats[:2]) or "no starter repeats another's frame",
    )
    scores["citation_valid"] = citation_validity(
        [c.id for c in result.citations], ctx.index_ids, observed.seen
    )
    return Outcome(output=result.model_dump(mode="json"), scores=scores)
