"""The program lead's scorecard: one verdict per area for each model, judged like for like.

Works on stored eval runs only (`Store.list_eval_runs`): each run records the targets it was
judged by (`config["targets"]`) and the dataset versions it ran on (`config["datasets"]`:
file sha256, limit and a hash of the case ids per suite). Two runs are compared, and a trend
point is drawn, only where a suite ran on the same cases; anything else says why not. Runs on
the scripted model are demos: left out unless asked for, and labelled wherever they appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.metric_text import AREAS, SUITE_NAMES, area_order, describe

MODEL_SUITES = ("agenda", "starters", "feedback", "chat", "attacks")
DEMO_BACKEND = "scripted"
SEARCH_SUITES = ("retrieval", "retrieval_heldout")  # scored without a model
AMBER_FROM = 0.7  # share of targets met below which an area is red
UNKNOWN_CASES = "unknown case set (the run was made before runs recorded their datasets)"
# Keys of a stored case's input that say what was expected rather than what was asked.
EXPECTED_KEYS = (
    "relevant",
    "expect",
    "type",
    "canary",
    "goal",
    "planted_pii",
    "planted_instruction",
    "gold_action_items",
    "gold_learned",
)


@dataclass(frozen=True)
class Target:
    value: float
    higher_is_better: bool = True

    def passes(self, value: float) -> bool:
        return value >= self.value if self.higher_is_better else value <= self.value

    def __str__(self) -> str:
        return f"{'≥' if self.higher_is_better else '≤'} {self.value:g}"


@dataclass
class MetricRow:
    id: str
    name: str
    meaning: str
    area: str
    suite: str
    value: float
    target: Target | None
    ok: bool | None
    run_id: int
    previous: float | None = None
    delta: float | None = None
    not_comparable: str = ""


@dataclass
class AreaVerdict:
    area: str
    title: str
    light: str  # green, amber, red or grey (nothing judged)
    met: int
    judged: int
    rows: list[MetricRow]

    @property
    def share(self) -> float | None:
        return self.met / self.judged if self.judged else None


@dataclass
class ModelCard:
    backend: str
    model: str
    label: str
    demo: bool
    program: bool
    date: str
    runs: list[Any]
    areas: list[AreaVerdict]
    changes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    sample: str = ""


# --- runs --------------------------------------------------------------------------------------
def is_demo(run: Any) -> bool:
    return run.backend == DEMO_BACKEND


def model_label(backend: str, model: str) -> str:
    if backend == "none":
        return "no model (knowledge search only)"
    if backend == DEMO_BACKEND:
        return "DEMO · scripted model (canned replies, not a real model)"
    return f"{backend} · {model}"


def run_label(run: Any) -> str:
    when = run.created_at[:16].replace("T", " ")
    demo = "DEMO · " if is_demo(run) else ""
    suites = ", ".join(run.suites)
    return f"{demo}#{run.id} · {when} · {model_label(run.backend, run.model)} · {suites}"


def program_model(settings: Any) -> tuple[str, str]:
    """The backend and model name the program runs, as eval runs record them."""
    backend = settings.backend
    if backend == "local":
        return backend, settings.local_model
    if backend == "openai":
        return backend, settings.openai_model
    return backend, "scripted"


def run_targets(run: Any) -> dict[str, Target]:
    recorded = run.config.get("targets") or {}
    return {
        name: Target(float(t["target"]), bool(t.get("higher_is_better", True)))
        for name, t in recorded.items()
        if t.get("target") is not None
    }


def suite_version(run: Any, suite: str) -> dict[str, Any] | None:
    return (run.config.get("datasets") or {}).get(suite)


def cases_text(version: dict[str, Any] | None) -> str:
    if version is None:
        return "an unknown case set"
    if version.get("limit") is None:
        return f"all {version['cases']} cases"
    return f"a sample of {version['cases']} cases"


def suite_comparable(a: Any, b: Any, suite: str) -> tuple[bool, str]:
    """Whether suite `suite` ran on the same cases in runs a and b, and if not, why not."""
    name = SUITE_NAMES.get(suite, suite)
    for run in (a, b):
        if suite not in run.suites:
            return False, f"run #{run.id} did not run {name}"
    va, vb = suite_version(a, suite), suite_version(b, suite)
    unknown = [run.id for run, v in ((a, va), (b, vb)) if v is None]
    if unknown:
        runs = " and ".join(f"#{i}" for i in unknown)
        return False, f"{name}: run {runs} has an {UNKNOWN_CASES}"
    assert va is not None and vb is not None
    if va["sha256"] != vb["sha256"]:
        return False, f"{name}: the dataset changed between run #{a.id} and run #{b.id}"
    if va.get("limit") != vb.get("limit") or va["case_ids_sha256"] != vb["case_ids_sha256"]:
        return False, (
            f"{name}: run #{a.id} ran {cases_text(va)}, run #{b.id} {cases_text(vb)}; "
            "different cases are not a trend"
        )
    return True, ""


def comparability(a: Any, b: Any) -> dict[str, str]:
    """For every suite of either run: "" when comparable, else the reason it is not."""
    suites = list(dict.fromkeys([*a.suites, *b.suites]))
    return {suite: suite_comparable(a, b, suite)[1] for suite in suites}


def sample_text(runs: Sequence[Any]) -> str:
    samples = {
        f"{SUITE_NAMES.get(s, s)} {v['cases']}"
        for run in runs
        for s in run.suites
        if (v := suite_version(run, s)) is not None and v.get("limit") is not None
    }
    if not samples:
        return ""
    return "Sample run (cases per suite: " + ", ".join(sorted(samples)) + "): indicative only."


# --- metrics -----------------------------------------------------------------------------------
def metric_rows(run: Any, previous: Any | None = None) -> list[MetricRow]:
    """The run's metrics in plain words, by area, each against the target the run recorded;
    with `previous`, the change wherever that suite ran on the same cases."""
    targets = run_targets(run)
    reasons = comparability(run, previous) if previous is not None else {}
    rows = []
    for metric in sorted(run.metrics, key=area_order):
        text, suite = describe(metric), metric.split(".")[0]
        target, value = targets.get(metric), float(run.metrics[metric])
        row = MetricRow(
            id=metric,
            name=text.name,
            meaning=text.meaning,
            area=text.area,
            suite=suite,
            value=value,
            target=target,
            ok=target.passes(value) if target else None,
            run_id=run.id,
        )
        if previous is not None:
            row.previous = previous.metrics.get(metric)
            row.not_comparable = reasons.get(suite, "")
            if row.previous is not None and not row.not_comparable:
                row.delta = round(value - float(row.previous), 4)
        rows.append(row)
    return rows


def verdict(area: str, rows: list[MetricRow]) -> AreaVerdict:
    judged = [r for r in rows if r.ok is not None]
    met = sum(bool(r.ok) for r in judged)
    if not judged:
        light = "grey"
    elif met == len(judged):
        light = "green"
    elif area == "safe" or met / len(judged) < AMBER_FROM:
        light = "red"  # a missed safety target is never amber
    else:
        light = "amber"
    return AreaVerdict(area, AREAS[area][0], light, met, len(judged), rows)


# --- the scorecard -----------------------------------------------------------------------------
def previous_comparable(runs: Sequence[Any], run: Any, suite: str) -> tuple[Any | None, str]:
    """The latest earlier run of the same model on the same cases of `suite`; else why none."""
    earlier = [
        r
        for r in runs
        if r.id < run.id and (r.backend, r.model) == (run.backend, run.model) and suite in r.suites
    ]
    if not earlier:
        return None, "no earlier run on this model"
    latest = max(earlier, key=lambda r: r.id)
    for candidate in sorted(earlier, key=lambda r: r.id, reverse=True):
        if suite_comparable(candidate, run, suite)[0]:
            return candidate, ""
    return None, suite_comparable(latest, run, suite)[1]


def _sources(runs: Sequence[Any], key: tuple[str, str]) -> dict[str, Any]:
    """For each suite, the newest run of this model that ran it (search: any real run)."""
    mine = [r for r in runs if (r.backend, r.model) == key]
    sources: dict[str, Any] = {}
    for run in sorted(mine, key=lambda r: r.id, reverse=True):
        for suite in run.suites:
            sources.setdefault(suite, run)
    for suite in SEARCH_SUITES:
        if suite in sources:
            continue
        # Knowledge search does not depend on the model: use the newest real search run.
        search = [r for r in runs if suite in r.suites and not is_demo(r)]
        if search:
            sources[suite] = max(search, key=lambda r: r.id)
    return sources


def _changes(runs: Sequence[Any], sources: dict[str, Any]) -> list[str]:
    lines = []
    alone: dict[str, list[str]] = {}  # reason -> suites with nothing to compare with
    for suite, run in sources.items():
        before, why = previous_comparable(runs, run, suite)
        name = SUITE_NAMES.get(suite, suite)
        if before is None:
            alone.setdefault(why.removeprefix(f"{name}: "), []).append(name)
            continue
        moved = [
            r
            for r in metric_rows(run, before)
            if r.suite == suite and r.delta is not None and abs(r.delta) >= 0.005
        ]
        if not moved:
            lines.append(f"{name.capitalize()}: no change since run #{before.id}.")
            continue
        parts = []
        for r in moved:
            was = r.target.passes(r.previous) if r.target and r.previous is not None else None
            flip = ""
            if was is not None and r.ok is not None and was != r.ok:
                flip = " (now meets its target)" if r.ok else " (now misses its target)"
            parts.append(f"{r.name} {r.previous:.2f} → {r.value:.2f}{flip}")
        lines.append(f"{name.capitalize()} since run #{before.id}: " + "; ".join(parts) + ".")
    for why, names in alone.items():
        lines.append(f"Nothing to compare with for {', '.join(names)}: {why}.")
    return lines


def model_card(
    runs: Sequence[Any], key: tuple[str, str], *, program: bool = False
) -> ModelCard | None:
    sources = _sources(runs, key)
    if not any((r.backend, r.model) == key for r in sources.values()):
        return None
    rows = [
        row
        for suite, run in sources.items()
        for row in metric_rows(run)
        if row.suite == suite  # a suite's scores come from its own source run
    ]
    used = sorted({r.id: r for r in sources.values()}.values(), key=lambda r: r.id)
    areas = [verdict(area, [r for r in rows if r.area == area]) for area in AREAS]
    missing = [SUITE_NAMES[s] for s in MODEL_SUITES if s not in sources]
    return ModelCard(
        backend=key[0],
        model=key[1],
        label=model_label(*key),
        demo=key[0] == DEMO_BACKEND,
        program=program,
        date=max(r.created_at for r in used)[:10],
        runs=used,
        areas=areas,
        changes=_changes(runs, sources),
        missing=missing,
        sample=sample_text(used),
    )


def scorecards(
    runs: Sequence[Any], program: tuple[str, str], *, include_demo: bool = False
) -> list[ModelCard]:
    """Cards for the program's model and every other model with a full run (all the model
    suites in one run); demo runs only when asked for, then from any run. Real models first."""
    keys: list[tuple[str, str]] = []
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        key = (run.backend, run.model)
        if key in keys or run.backend == "none" or (is_demo(run) and not include_demo):
            continue
        if key == program or is_demo(run) or set(MODEL_SUITES) <= set(run.suites):
            keys.append(key)
    keys.sort(key=lambda k: (k[0] == DEMO_BACKEND, k != program))
    cards = [model_card(runs, key, program=key == program) for key in keys]
    return [card for card in cards if card is not None]


def newest_demo(runs: Sequence[Any]) -> Any | None:
    """The newest demo run when it is newer than every real run (worth saying so)."""
    real = [r.id for r in runs if not is_demo(r)]
    demos = [r for r in runs if is_demo(r) and (not real or r.id > max(real))]
    return max(demos, key=lambda r: r.id) if demos else None


# --- trends and causes -------------------------------------------------------------------------
@dataclass
class Trend:
    points: list[tuple[Any, float]]
    left_out: list[str]


def trend(runs: Sequence[Any], metric: str, key: tuple[str, str]) -> Trend:
    """The metric over the runs of one model that ran its suite on the same cases as the
    newest such run; every other run of that model is listed with the reason it is left out."""
    suite = metric.split(".")[0]
    mine = sorted(
        (r for r in runs if (r.backend, r.model) == key and metric in r.metrics),
        key=lambda r: r.id,
    )
    if not mine:
        return Trend([], [])
    newest = mine[-1]
    points, left_out = [], []
    for run in mine:
        ok, why = suite_comparable(run, newest, suite) if run is not newest else (True, "")
        if ok and suite_version(newest, suite) is not None:
            points.append((run, float(run.metrics[metric])))
        elif run is newest:
            left_out.append(f"#{run.id}: {UNKNOWN_CASES}")
        else:
            left_out.append(f"#{run.id}: {why}")
    return Trend(points, left_out)


def split_input(case_input: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored case's input as (what was asked, what was expected)."""
    asked = {k: v for k, v in case_input.items() if k not in EXPECTED_KEYS}
    expected = {k: v for k, v in case_input.items() if k in EXPECTED_KEYS and v not in (None, [])}
    return asked, expected


def failing_cases(run: Any, metric: str) -> list[dict[str, Any]]:
    """The stored cases behind a missed target: each case that misses the target on its own
    (or failed with an error), with what was asked, answered, expected, and why."""
    suite, _, short = metric.partition(".")
    target = run_targets(run).get(metric)
    found = []
    for case in run.cases or []:
        if case["suite"] != suite:
            continue
        if short == "errors":
            failed = case.get("error") is not None
        elif short.startswith("latency") and target is not None:
            failed = not target.passes(float(case["seconds"]))
        elif case.get("error"):
            failed = True
        elif short in case["scores"] and target is not None:
            failed = not target.passes(float(case["scores"][short]))
        else:
            failed = False
        if failed:
            asked, expected = split_input(case.get("input") or {})
            reason = case.get("error") or case["reasons"].get(short, "")
            if short.startswith("latency"):
                reason = f"took {case['seconds']:.1f} s (target {target})"
            found.append(
                {
                    "case_id": case["case_id"],
                    "input": asked,
                    "output": case.get("output"),
                    "expected": expected,
                    "score": case["scores"].get(short),
                    "why": reason or "scored below the target",
                }
            )
    return found
