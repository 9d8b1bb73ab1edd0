"""Starters suite: the right number of distinct, open conversation starters."""

from __future__ import annotations

from typing import Any

from assistant.schemas import StartersRequest
from evals.metrics import citation_validity, starter_scores
from evals.suites.common import MetricInfo, Outcome, SuiteContext

NAME = "starters"
DATASET = "starters"
NEEDS_MODEL = True
METRICS = [
    MetricInfo(
        "starters.count_ok",
        "Share of requests that got exactly the number of starters asked for.",
        0.9,
    ),
    MetricInfo(
        "starters.distinctness",
        "1 minus the share of starter pairs that say nearly the same thing.",
        0.95,
    ),
    MetricInfo("starters.open_rate", "Share of starters that are open questions, not yes/no.", 0.9),
    MetricInfo("starters.citation_valid", "Share of sets citing only retrieved knowledge.", 1.0),
]


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
    scores["citation_valid"] = citation_validity(
        [c.id for c in result.citations], ctx.index_ids, observed.seen
    )
    return Outcome(output=result.model_dump(mode="json"), scores=scores)
