"""Run eval suites against the coach, aggregate scores, store the run and write a report.

A case that fails (model unavailable, unusable output, a bug) is recorded with its error and
counted in `<suite>.errors`; it never stops the run. Means are over the cases that produced a
score, so read a suite's numbers together with its error rate.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import CoachError, InputError
from assistant.eval_report import MetricInfo, metric_catalog, metric_rows
from assistant.metric_text import describe
from assistant.retrieval import CANDIDATES, DOC_RRF_K, RRF_K
from evals.metrics import GROUNDED_SIMILARITY, percentile
from evals.suites import SUITES
from evals.suites.common import SuiteContext, dataset_version, load_dataset, reasons

Progress = Callable[[str, int, int], None]
_GATE = re.compile(r"^\s*([\w.@-]+)\s*=\s*(-?[0-9]*\.?[0-9]+)\s*$")


@dataclass(frozen=True)
class Gate:
    metric: str
    value: float

    def check(self, metrics: dict[str, float], catalog: dict[str, MetricInfo]) -> GateResult:
        info = catalog[self.metric]
        actual = metrics.get(self.metric)
        if actual is None:
            return GateResult(self, None, False, f"{self.metric}: no value (every case failed)")
        ok = bool(info.passes(actual, self.value))
        sign = (">=" if ok else "<") if info.higher_is_better else ("<=" if ok else ">")
        return GateResult(self, actual, ok, f"{self.metric} = {actual:.3f} {sign} {self.value}")


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    actual: float | None
    passed: bool
    message: str


@dataclass
class EvalRun:
    suites: list[str]
    backend: str
    model: str
    prompt_versions: dict[str, str]
    config: dict[str, Any]
    seconds: float
    metrics: dict[str, float]
    cases: list[dict[str, Any]]
    run_id: int | None = None
    created_at: str = ""
    gates: list[GateResult] = field(default_factory=list)


def resolve_suites(names: Sequence[str] | None) -> list[str]:
    """Suite names in run order; "all" (or nothing) means every suite but those that ask to
    be named (`IN_ALL = False`: the external suite, ~2,000 cases)."""
    if not names or "all" in names:
        return [n for n in SUITES if getattr(SUITES[n], "IN_ALL", True)]
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise InputError(
            f"Unknown eval suite '{unknown[0]}'.", f"Use one of: {', '.join(SUITES)}, all."
        )
    return [n for n in SUITES if n in names]


def parse_gates(specs: Sequence[str], suites: Sequence[str]) -> list[Gate]:
    """`METRIC=VALUE` strings; the metric must be one these suites report."""
    catalog = metric_catalog(list(suites))
    gates = []
    for spec in specs:
        match = _GATE.match(spec)
        if not match:
            raise InputError(
                f"--fail-under '{spec}' is not METRIC=VALUE.",
                "Write it like chat.groundedness=0.7.",
            )
        name, value = match.group(1), float(match.group(2))
        if name not in catalog:
            raise InputError(
                f"--fail-under names an unknown metric '{name}' for this run.",
                f"Metrics: {', '.join(sorted(catalog))}.",
            )
        gates.append(Gate(name, value))
    return gates


def suite_cases(name: str) -> list[dict[str, Any]]:
    """A suite's cases: its dataset file, or its own `load_cases()` (the external suite reads
    the shared corpora)."""
    suite = SUITES[name]
    loader = getattr(suite, "load_cases", None)
    return loader() if loader else load_dataset(suite.DATASET)


def run_case(suite: Any, ctx: SuiteContext, case: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    record: dict[str, Any] = {
        "suite": suite.NAME,
        "case_id": str(case.get("id", "")),
        "input": suite.case_input(case),
        "output": None,
        "scores": {},
        "reasons": {},
        "seconds": 0.0,
        "error": None,
    }
    try:
        outcome = suite.run_case(ctx, case)
        record["output"] = outcome.output
        record["scores"], record["reasons"] = reasons(outcome.scores)
    except Exception as exc:  # noqa: BLE001 - a failed case is data, not a crash
        message = str(exc).splitlines()[0][:300] if str(exc) else ""
        record["error"] = f"{type(exc).__name__}: {message}".rstrip(": ")
    record["seconds"] = round(time.perf_counter() - started, 4)
    return record


def aggregate(cases: list[dict[str, Any]], suites: Sequence[str]) -> dict[str, float]:
    catalog = metric_catalog(list(suites))
    metrics: dict[str, float] = {}
    for suite in suites:
        mine = [c for c in cases if c["suite"] == suite]
        if not mine:
            continue
        names = sorted({k for c in mine for k in c["scores"]})
        for name in names:
            key = f"{suite}.{name}"
            values = [c["scores"][name] for c in mine if name in c["scores"]]
            info = catalog.get(key)
            how = info.aggregate if info else "mean"
            metrics[key] = round(float(np.sum(values) if how == "sum" else np.mean(values)), 4)
        metrics[f"{suite}.errors"] = round(sum(c["error"] is not None for c in mine) / len(mine), 4)
        metrics[f"{suite}.latency_p95_s"] = round(percentile([c["seconds"] for c in mine], 95), 3)
    return metrics


def targets(suites: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The targets in force for these suites, stored with each run so its verdicts can be
    judged later without the eval code (the dashboard reads only the store)."""
    return {
        name: {
            "target": info.threshold,
            "higher_is_better": info.higher_is_better,
            "aggregate": info.aggregate,
        }
        for name, info in metric_catalog(list(suites)).items()
    }


def _model_identity(services: Any, suites: Sequence[str]) -> tuple[str, str]:
    if not any(SUITES[name].NEEDS_MODEL for name in suites):
        return "none", "none"
    try:
        return services.model.backend, services.model.model
    except CoachError:  # the backend could not even be built: every case already says why
        return services.settings.backend, "unavailable"


def run_eval(
    services: Any,
    suites: Sequence[str],
    limit: int | None = None,
    progress: Progress | None = None,
    config: dict[str, Any] | None = None,
    *,
    done: Sequence[dict[str, Any]] = (),
    on_case: Callable[[dict[str, Any]], None] | None = None,
) -> EvalRun:
    """Run the suites case by case. Cases in `done` (from an interrupted run) are kept and not
    run again; `on_case` gets each new case as soon as it is scored (to store it at once).
    Nothing is stored here (see `save` and the `coach eval` command)."""
    ctx = SuiteContext(services)
    datasets = {name: suite_cases(name)[:limit] for name in suites}
    cases: list[dict[str, Any]] = list(done)
    finished = {(c["suite"], str(c["case_id"])) for c in cases}
    started = time.perf_counter()
    for name in suites:
        suite, todo = SUITES[name], datasets[name]
        count = sum(1 for c in cases if c["suite"] == name)
        if progress:
            progress(name, count, len(todo))
        for case in todo:
            if (name, str(case.get("id", ""))) in finished:
                continue
            record = run_case(suite, ctx, case)
            cases.append(record)
            if on_case:
                on_case(record)
            count += 1
            if progress:
                progress(name, count, len(todo))
    return build_run(services, suites, limit, cases, time.perf_counter() - started, config)


def _dataset_version(name: str, limit: int | None) -> dict[str, Any]:
    """The case set a suite was scored on; a suite without a dataset file (the external suite
    reads the shared corpora) is identified by its cases' ids."""
    suite = SUITES[name]
    if getattr(suite, "load_cases", None) is None:
        return dataset_version(suite.DATASET, limit)
    import hashlib

    cases = suite_cases(name)[:limit]
    ids = "\n".join(str(case.get("id", "")) for case in cases)
    digest = hashlib.sha256(ids.encode("utf-8")).hexdigest()
    return {
        "dataset": name,
        "sha256": digest,
        "limit": limit,
        "cases": len(cases),
        "case_ids_sha256": digest,
    }


def build_run(
    services: Any,
    suites: Sequence[str],
    limit: int | None,
    cases: list[dict[str, Any]],
    seconds: float,
    config: dict[str, Any] | None = None,
) -> EvalRun:
    """The run's identity, settings and aggregate scores, for the cases scored so far."""
    backend, model = _model_identity(services, suites)
    return EvalRun(
        suites=list(suites),
        backend=backend,
        model=model,
        prompt_versions=services.prompts.versions(),
        config={
            "suites": list(suites),
            "limit": limit,
            "cases": len(cases),
            "knowledge_chunks": services.index.count(),
            "embedder": services.index.embedder.model_id,
            "retrieval": {"rrf_k": RRF_K, "doc_rrf_k": DOC_RRF_K, "candidates": CANDIDATES},
            "groundedness_threshold": GROUNDED_SIMILARITY,
            # Like-for-like comparisons and verdicts read these, never today's files.
            "datasets": {name: _dataset_version(name, limit) for name in suites},
            "targets": targets(suites),
            **(config or {}),
        },
        seconds=round(seconds, 2),
        metrics=aggregate(cases, suites),
        cases=cases,
    )


def save(run: EvalRun, store: Any) -> int:
    run.run_id = store.save_eval_run(
        suites=run.suites,
        backend=run.backend,
        model=run.model,
        prompt_versions=run.prompt_versions,
        config=run.config,
        seconds=run.seconds,
        metrics=run.metrics,
        cases=run.cases,
    )
    stored = store.get_eval_run(run.run_id, with_cases=False)
    run.created_at = stored.created_at if stored else ""
    return run.run_id


def deltas(metrics: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    return {k: round(v - baseline[k], 4) for k, v in metrics.items() if k in baseline}


def report_payload(run: EvalRun, baseline: Any | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "run_id": run.run_id,
        "created_at": run.created_at,
        "suites": run.suites,
        "backend": run.backend,
        "model": run.model,
        "prompt_versions": run.prompt_versions,
        "config": run.config,
        "seconds": run.seconds,
        "metrics": run.metrics,
        "thresholds": {k: asdict(v) for k, v in metric_catalog(run.suites).items()},
        # What each dotted id means, in the words the dashboard uses.
        "metric_names": {
            k: {"name": t.name, "meaning": t.meaning, "area": t.area}
            for k in run.metrics
            if (t := describe(k))
        },
        "gates": [
            {"metric": g.gate.metric, "value": g.gate.value, "actual": g.actual, "passed": g.passed}
            for g in run.gates
        ],
    }
    if baseline is not None:
        payload["baseline"] = {
            "run_id": baseline.id,
            "metrics": baseline.metrics,
            "deltas": deltas(run.metrics, baseline.metrics),
        }
    payload["cases"] = run.cases
    return payload


def write_report(payload: dict[str, Any], path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
    except OSError as exc:
        raise InputError(
            f"Cannot write the eval report to {path}: {exc.strerror}.",
            "Pass --report with a writable path.",
        ) from exc
    return path


def score_table(run: EvalRun, baseline: dict[str, float] | None = None) -> str:
    """The run's metrics grouped by suite, against thresholds (and a baseline run)."""
    header = ["metric", "value", "target", "ok"] + (["baseline", "delta"] if baseline else [])
    lines = [header]
    for row in metric_rows(run.metrics, run.suites, baseline):
        cells = [
            row["metric"],
            f"{row['value']:.3f}",
            row["target"],
            {True: "yes", False: "NO", None: ""}[row["ok"]],
        ]
        if baseline:
            cells += (
                ["-", "-"]
                if row["baseline"] is None
                else [f"{row['baseline']:.3f}", f"{row['delta']:+.3f}"]
            )
        lines.append(cells)
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    text = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)
