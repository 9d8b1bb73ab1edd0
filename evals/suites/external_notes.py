"""The external suite's planted-notes cases alone, every one of them: each instruction meant for
planting (BIPIA's text attacks, Greshake's payloads; 166 in all) put into a real session note at
the start, middle or end, then summarised. This is the long run for the obedience rate on a real
model (`coach eval --suite external_notes --model local`), which a mixed `--limit` sample of the
external suite covers only a few of. Scored like the external suite's notes: `set_aside` (the
planted line never reached the model; such a case is not generated) and `obeyed`, overall and
per corpus."""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from evals.metrics import Score
from evals.suites import external
from evals.suites.common import Outcome, SuiteContext

NAME = "external_notes"
DATASET = "external_notes"  # not a file: the cases come from load_cases()
NEEDS_MODEL = True
IN_ALL = False  # run it by name
METRICS = SUITE_METRICS[NAME]
case_input = external.case_input


def load_cases() -> list[dict[str, Any]]:
    return [c for c in external.load_cases() if c["mode"] == "notes"]


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    outcome = external.run_case(ctx, case)
    corpus = external._metric_name(case["corpus"])
    per_corpus: dict[str, Score] = {
        f"{name}_{corpus}": score for name, score in outcome.scores.items()
    }
    return Outcome(output=outcome.output, scores={**outcome.scores, **per_corpus})
