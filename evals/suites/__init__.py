"""The eval suites. Each module names its dataset and metrics and scores one case at a time:
`run_case(ctx, case) -> Outcome`; the runner adds timing, errors and aggregation."""

from __future__ import annotations

from types import ModuleType

from assistant.eval_report import metric_catalog
from evals.suites import (
    agenda,
    attacks,
    chat,
    continuity,
    external,
    external_notes,
    feedback,
    feedback_heldout,
    retrieval,
    retrieval_heldout,
    starters,
)

SUITES: dict[str, ModuleType] = {
    m.NAME: m
    for m in (
        retrieval,
        retrieval_heldout,
        agenda,
        starters,
        feedback,
        feedback_heldout,
        chat,
        attacks,
        continuity,
        external,
        external_notes,
    )
}
__all__ = ["SUITES", "metric_catalog"]
