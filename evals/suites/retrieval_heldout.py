"""The retrieval suite on held-out questions: 123 queries in users' words, written by someone who
saw neither the ranking code nor the question keys, each labelled with every relevant document
and section. Nothing in the retrieval pipeline was tuned on them (the `retrieval` suite's 195
queries were used for that), so these are the honest numbers."""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from evals.metrics import Score
from evals.suites import retrieval
from evals.suites.common import Outcome, SuiteContext

NAME = "retrieval_heldout"
DATASET = "retrieval_heldout"
NEEDS_MODEL = False
SECTION_K = 5
METRICS = SUITE_METRICS[NAME]


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
