"""`coach eval`: run the offline eval suites, store the run, write a report, gate on scores."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from assistant.config import BACKENDS, Settings
from assistant.errors import InputError

SUITE_CHOICES = ("retrieval", "agenda", "starters", "feedback", "chat", "attacks", "all")


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
            self.stream.write(f"\r{suite:<10} [{'#' * filled}{'-' * (30 - filled)}] "
                              f"{done}/{total} cases{end}")
        elif done == 0 or done >= total or (4 * done // total) != (4 * (done - 1) // total):
            self.stream.write(f"{suite}: {done}/{total} cases\n")
        self.stream.flush()


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.commands.knowledge import ensure_index
    from assistant.services import build_services
    from evals import runner

    suites = runner.resolve_suites(args.suite)
    gates = runner.parse_gates(args.fail_under or [], suites)
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit {args.limit} is not a positive number of cases.",
                         "Use --limit 1 or more, or leave it out to run every case.")
    # Reports live with the run's database, so two data folders never overwrite each other's.
    report = Path(args.report) if args.report else None
    if report is not None and (report.is_dir() or not report.parent.is_dir()):
        raise InputError(f"Cannot write the report to {report}.",
                         "Give a file path in an existing folder (checked before the run).")
    if args.model:
        settings = settings.with_(backend=args.model)
    services = build_services(settings)
    baseline = None
    if args.baseline is not None:
        baseline = services.store.get_eval_run(args.baseline)
        if baseline is None:
            raise InputError(f"There is no eval run #{args.baseline} to compare with.",
                             "List runs in the dashboard, or drop --baseline.")
    ensure_index(settings, services.index)
    run = runner.run_eval(services, suites, limit=args.limit, progress=CaseProgress(),
                          config={"model_override": args.model})
    runner.save(run, services.store)
    catalog = runner.metric_catalog(suites)
    run.gates = [gate.check(run.metrics, catalog) for gate in gates]
    payload = runner.report_payload(run, baseline)
    path = runner.write_report(payload, report or settings.data_dir / "reports"
                               / f"eval-{payload['run_id']}.json")
    if args.json:
        print(json.dumps({k: v for k, v in payload.items() if k != "cases"} | {
            "report": str(path)}, ensure_ascii=False, default=str))
    else:
        errors = sum(c["error"] is not None for c in run.cases)
        on = "no model needed" if run.backend == "none" else f"on {run.backend}/{run.model}"
        print(f"Eval run #{run.run_id}: {', '.join(suites)} ({on}), "
              f"{len(run.cases)} cases ({errors} failed) in {run.seconds:.1f} s\n")
        print(runner.score_table(run, baseline.metrics if baseline else None))
        print(f"\nReport: {path}")
        for result in run.gates:
            print(f"gate {'passed' if result.passed else 'FAILED'}: {result.message}")
    failed = [g for g in run.gates if not g.passed]
    if failed:
        print(f"coach eval: {len(failed)} --fail-under gate(s) failed: "
              + "; ".join(g.message for g in failed), file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="run the offline eval suites and store the scores",
        description="Run eval suites on the coach; each run is stored (see the dashboard) and "
        "written as a JSON report.",
    )
    p.add_argument("--suite", action="append", choices=SUITE_CHOICES,
                   help="suite to run (repeatable; default: all)")
    p.add_argument("--model", choices=BACKENDS, help="override the configured model backend")
    p.add_argument("--limit", type=int, help="run at most N cases per suite")
    p.add_argument("--baseline", type=int, metavar="RUN_ID",
                   help="show deltas against this stored run")
    p.add_argument("--fail-under", action="extend", nargs="+", metavar="METRIC=VALUE",
                   help="exit 1 when METRIC misses VALUE (below it, or above it for metrics "
                   "where lower is better: errors, attack success, leaks, latency)")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("--report", metavar="PATH",
                   help="where to write the JSON report "
                        "(default <data dir>/reports/eval-<run id>.json)")
    p.set_defaults(func=run_eval_command)
