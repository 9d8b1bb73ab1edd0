"""The feedback suite on held-out notes: 33 labelled notes written blind by someone who saw
neither the feedback prompt nor the ledger rules, so the ledger numbers here are the honest
ones (the `feedback` suite's 18 notes were used to design them). feedback-h01..h19 came first;
feedback-b01..b14 were added in session 7, written before the owner mapping of that session
and not read while it was built."""

from __future__ import annotations

from assistant.eval_report import SUITE_METRICS
from evals.suites import feedback

NAME = "feedback_heldout"
DATASET = "feedback_heldout"
NEEDS_MODEL = True
METRICS = SUITE_METRICS[NAME]
case_input = feedback.case_input
run_case = feedback.run_case
