"""The feedback suite on held-out notes: 19 labelled notes written blind by someone who saw
neither the feedback prompt nor the ledger rules, so the ledger numbers here are the honest
ones (the `feedback` suite's 18 notes were used to design them)."""

from __future__ import annotations

from evals.suites import feedback
from evals.suites.common import MetricInfo

NAME = "feedback_heldout"
DATASET = "feedback_heldout"
NEEDS_MODEL = True
METRICS = [
    MetricInfo(
        m.name.replace("feedback.", f"{NAME}.", 1),
        m.explanation + " (held-out notes)",
        m.threshold,
        m.higher_is_better,
        m.aggregate,
    )
    for m in feedback.METRICS
]
case_input = feedback.case_input
run_case = feedback.run_case
