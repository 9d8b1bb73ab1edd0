"""`coach eval`: run the offline eval suites, store the run, write a report, gate on scores."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from assistant.config import BACKENDS, Settings
from assistant.errors import InputError
from assistant.eval_report import SUITE_NAMES

SUITE_CHOICES = (*SUITE_NAMES, "all")


class CaseProgress:
    """Per-suite progress on stderr: a redrawn bar on a terminal, a few plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr  # looked up now: tests and callers may swap it
        self.tty = self.stream.isatty()

    def __call__(self, suite: str, done: int, total: int) -> None:
        if total == 0:
            return
        if self.tty:
            filled = done * 30 // total
            end = "\n" if done >= total else ""
            self.stream.write(
                f"\r{suite:<10} [{'#' * filled}{'-' * (30 - filled)}] {done}/{total} cases{end}"
            )
        elif done == 0 or done >= total or (4 * done // total) != (4 * (done - 1) // total):
            self.stream.write(f"{suite}: {done}/{total} cases\n")
        self.stream.flush()


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.commands.knowledge import ensure_index
    from assistant.services import build_services
    from assistant.store import RUN_COMPLETE
    from evals import runner

    if args.resume is not None and (args.suite or args.limit is not None):
        raise InputError(
            "--resume continues a run with its own suites and limit.",
            "Drop --suite and --limit, or start a new run without --resume.",
        )
    suites = runner.resolve_suites(args.suite)
    if args.limit is not None and args.limit < 1:
        raise InputError(
            f"--limit {args.limit} is not a positive number of cases.",
            "Use --limit 1 or more, or leave it out to run every case.",
        )
    # Reports live with the run's database, so two data folders never overwrite each other's.
    report = Path(args.report) if args.report else None
    if report is not None and (report.is_dir() or not report.parent.is_dir()):
        raise InputError(
            f"Cannot write the report to {report}.",
            "Give a file path in an existing folder (checked before the run).",
        )
    if args.model:
        settings = settings.with_(backend=args.model)
    services = build_services(settings)
    from assistant.access import Permission

    services.store.check(Permission.EVALS)  # leads and admins only, before anything runs
    previous = _resumable(services, args.resume) if args.resume is not None else None
    if previous is not None:
        suites, limit = list(previous.suites), previous.config.get("limit")
    else:
        limit = args.limit
    gates = runner.parse_gates(args.fail_under or [], suites)
    baseline = None
    if args.baseline is not None:
        baseline = services.store.get_eval_run(args.baseline, with_cases=False)
        if baseline is None or baseline.status != RUN_COMPLETE:
            raise InputError(
                f"There is no finished eval run #{args.baseline} to compare with.",
                "Pick a finished run from the dashboard, or drop --baseline.",
            )
    ensure_index(settings, services.index)
    run = _run_and_store(services, runner, suites, limit, args.model, previous)
    if run is None:
        return 130
    catalog = runner.metric_catalog(suites)
    run.gates = [gate.check(run.metrics, catalog) for gate in gates]
    payload = runner.report_payload(run, baseline)
    path = runner.write_report(
        payload, report or settings.data_dir / "reports" / f"eval-{payload['run_id']}.json"
    )
    if args.json:
        print(
            json.dumps(
                {k: v for k, v in payload.items() if k != "cases"} | {"report": str(path)},
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        errors = sum(c["error"] is not None for c in run.cases)
        on = "no model needed" if run.backend == "none" else f"on {run.backend}/{run.model}"
        resumed = f", {len(previous.cases or [])} kept from before" if previous else ""
        print(
            f"Eval run #{run.run_id}: {', '.join(suites)} ({on}), "
            f"{len(run.cases)} cases ({errors} failed{resumed}) in {run.seconds:.1f} s\n"
        )
        print(runner.score_table(run, baseline.metrics if baseline else None))
        print(f"\nReport: {path}")
        for result in run.gates:
            print(f"gate {'passed' if result.passed else 'FAILED'}: {result.message}")
    failed = [g for g in run.gates if not g.passed]
    if failed:
        print(
            f"coach eval: {len(failed)} --fail-under gate(s) failed: "
            + "; ".join(g.message for g in failed),
            file=sys.stderr,
        )
        return 1
    return 0


def _resumable(services: Any, run_id: int) -> Any:
    """The stored run to continue, checked to be unfinished and made by the same coach."""
    from assistant.store import RUN_COMPLETE
    from evals import runner

    run = services.store.get_eval_run(run_id)
    if run is None:
        raise InputError(
            f"There is no eval run #{run_id} to resume.",
            "Check the run number in the dashboard or the last `coach eval` output.",
        )
    if run.status == RUN_COMPLETE:
        raise InputError(
            f"Eval run #{run_id} is already complete.", "Start a new run instead (drop --resume)."
        )
    current = runner.build_run(services, run.suites, None, [], 0.0)
    backend, model = current.backend, current.model
    if (backend, model) != (run.backend, run.model):
        raise InputError(
            f"Eval run #{run_id} was made with {run.backend}/{run.model}, not {backend}/{model}.",
            f"Resume it with the same model (e.g. --model {run.backend}), or start a new run.",
        )
    recorded = run.config.get("datasets")
    if recorded is not None and recorded != runner.build_run(
        services, run.suites, run.config.get("limit"), [], 0.0
    ).config.get("datasets"):
        raise InputError(
            f"The eval datasets changed since eval run #{run_id} started, so its cases "
            "would come from two versions.",
            "Start a new run instead (drop --resume).",
        )
    if current.prompt_versions != run.prompt_versions:
        raise InputError(
            f"The prompts changed since eval run #{run_id} started, so its scores "
            "would mix two versions.",
            "Start a new run instead (drop --resume).",
        )
    return run


def _run_and_store(
    services: Any,
    runner: Any,
    suites: list[str],
    limit: int | None,
    model_override: str | None,
    previous: Any,
) -> Any:
    """Run the suites, storing each case as it is scored. Ctrl-C keeps what was scored and
    says how to carry on; a killed process leaves a run that `--resume` also continues."""
    from assistant.store import RUN_INTERRUPTED

    store = services.store
    done = list(previous.cases or []) if previous else []
    # Time already spent: recorded at an interruption, else (killed) the cases' own time.
    spent = (previous.seconds or sum(c["seconds"] for c in done)) if previous else 0.0
    config = {"model_override": model_override}
    if previous is not None:
        run_id = previous.id
        # Only the keys this command adds: the rest (case count, settings) is recomputed.
        config = {
            "model_override": previous.config.get("model_override"),
            "resumed": int(previous.config.get("resumed", 0)) + 1,
        }
    else:
        head = runner.build_run(services, suites, limit, [], 0.0, config)
        run_id = store.start_eval_run(
            suites=head.suites,
            backend=head.backend,
            model=head.model,
            prompt_versions=head.prompt_versions,
            config=head.config,
        )
    started = time.perf_counter()
    scored: list[dict[str, Any]] = []

    def keep(case: dict[str, Any]) -> None:
        store.add_eval_cases(run_id, [case])
        scored.append(case)

    try:
        run = runner.run_eval(
            services,
            suites,
            limit=limit,
            progress=CaseProgress(),
            config=config,
            done=done,
            on_case=keep,
        )
    except KeyboardInterrupt:
        partial = runner.build_run(
            services, suites, limit, done + scored, spent + time.perf_counter() - started, config
        )
        store.finish_eval_run(
            run_id,
            seconds=partial.seconds,
            metrics=partial.metrics,
            config=partial.config,
            status=RUN_INTERRUPTED,
        )
        print(
            f"\ncoach eval: interrupted; the {len(done) + len(scored)} scored case(s) of run "
            f"#{run_id} are kept. Carry on with `coach eval --resume {run_id}`.",
            file=sys.stderr,
        )
        return None
    run.seconds = round(spent + run.seconds, 2)
    store.finish_eval_run(run_id, seconds=run.seconds, metrics=run.metrics, config=run.config)
    run.run_id = run_id
    stored = store.get_eval_run(run_id, with_cases=False)
    run.created_at = stored.created_at if stored else ""
    return run


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="run the offline eval suites and store the scores",
        description="Run eval suites on the coach; each run is stored (see the dashboard) and "
        "written as a JSON report.",
    )
    p.add_argument(
        "--suite",
        action="append",
        choices=SUITE_CHOICES,
        help="suite to run (repeatable; default: all)",
    )
    p.add_argument("--model", choices=BACKENDS, help="override the configured model backend")
    p.add_argument("--limit", type=int, help="run at most N cases per suite")
    p.add_argument(
        "--baseline", type=int, metavar="RUN_ID", help="show deltas against this stored run"
    )
    p.add_argument(
        "--fail-under",
        action="extend",
        nargs="+",
        metavar="METRIC=VALUE",
        help="exit 1 when METRIC misses VALUE (below it, or above it for metrics "
        "where lower is better: errors, attack success, leaks, latency)",
    )
    p.add_argument(
        "--resume",
        type=int,
        metavar="RUN_ID",
        help="continue an interrupted run: only its missing cases are run",
    )
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument(
        "--report",
        metavar="PATH",
        help="where to write the JSON report (default <data dir>/reports/eval-<run id>.json)",
    )
    p.set_defaults(func=run_eval_command)
