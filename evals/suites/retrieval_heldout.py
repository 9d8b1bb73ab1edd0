"""The retrieval suite on held-out questions: 123 queries in users' words, written by someone who
saw neither the ranking code nor the question keys, each labelled with every relevant document
and section. Nothing in the retrieval pipeline was tuned on them (the `retrieval` suite's 195
queries were used for that), so these are the honest numbers."""

from __future__ import annotations

from typing import Any

from evals.metrics import Score
from evals.suites import retrieval
from evals.suites.common import MetricInfo, Outcome, SuiteContext

NAME = "retrieval_heldout"
DATASET = "retrieval_heldout"
NEEDS_MODEL = False
SECTION_K = 5
# Thresholds are the targets for this set (recall@5 >= 0.90, hit@1 >= 0.70).
_TARGETS = {"hit@1": 0.70, "recall@5": 0.90}
METRICS = [
    MetricInfo(
        m.name.replace("retrieval.", f"{NAME}.", 1),
        m.explanation + " (held-out questions)",
        _TARGETS.get(m.name.split(".", 1)[1], m.threshold),
        m.higher_is_better,
        m.aggregate,
    )
    for m in retrieval.METRICS
] + [
    MetricInfo(
        f"{NAME}.section@5",
        "Share of held-out questions with a labelled relevant section among the top 5 passages.",
        None,
    )
]


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return retrieval.case_input(case)


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    outcome = retrieval.run_case(ctx, case)
    wanted = {(s["source"], s["heading"]) for s in case.get("relevant_sections", [])}
    top = outcome.output.get("top_passages", [])[:SECTION_K]
    hit = next((i for i, p in enumerate(top, 1) if tuple(p) in wanted), None)
    outcome.scores["section@5"] = Score(
        1.0 if hit else 0.0,
        f"a labelled section at passage {hit}" if hit else "no labelled section in the top 5",
    )
    return outcome
