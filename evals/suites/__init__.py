"""The eval suites. Each module names its dataset and metrics and scores one case at a time:
`run_case(ctx, case) -> Outcome`; the runner adds timing, errors and aggregation."""

from __future__ import annotations

from types import ModuleType

from evals.suites import agenda, attacks, chat, external, feedback, retrieval, starters
from evals.suites.common import MetricInfo

SUITES: dict[str, ModuleType] = {
    m.NAME: m for m in (retrieval, agenda, starters, feedback, chat, attacks, external)
}


def metric_catalog(suites: list[str] | None = None) -> dict[str, MetricInfo]:
    """Every metric a run of these suites reports, with its explanation and threshold."""
    catalog: dict[str, MetricInfo] = {}
    for name in suites or list(SUITES):
        for info in SUITES[name].METRICS:
            catalog[info.name] = info
        catalog[f"{name}.errors"] = MetricInfo(
            f"{name}.errors",
            "Share of cases that failed with an error (model unavailable, "
            "unusable output...) instead of a result.",
            0.0 if name == "retrieval" else 0.05,
            higher_is_better=False,
        )
        catalog[f"{name}.latency_p95_s"] = MetricInfo(
            f"{name}.latency_p95_s",
            "Seconds per case, 95th percentile: what a slow case costs a user.",
            None,
            higher_is_better=False,
        )
    return catalog
