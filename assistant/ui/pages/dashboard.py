"""Dashboard for program leads: how good is the coach, for which model, and is it improving?

Reads eval runs (`coach eval`) and users' thumbs ratings from the history store. What the
numbers mean comes from assistant.eval_report; this page only lays them out.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant.eval_report import case_is_imperfect, metric_catalog, metric_order, metric_rows
from assistant.store import RUN_COMPLETE
from assistant.ui.resources import services

RUNS_SHOWN = 50
CASES_SHOWN = 60
VERDICT = {True: "✅ meets target", False: "❌ below target", None: "info"}


def _run_label(run: Any) -> str:
    return (
        f"#{run.id} · {run.created_at[:16].replace('T', ' ')} · {run.backend}/{run.model} · "
        f"{', '.join(run.suites)}"
    )


def _latest(run: Any) -> None:
    st.subheader("Latest run")
    st.caption(f"{_run_label(run)} · {run.seconds:.0f} s · {run.config.get('cases', '?')} cases")
    rows = metric_rows(run.metrics, run.suites)
    judged = [r for r in rows if r["ok"] is not None]
    passing = sum(bool(r["ok"]) for r in judged)
    st.markdown(f"**{passing} of {len(judged)}** metrics with a target meet it.")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Metric": r["metric"],
                    "Score": r["value"],
                    "Target": r["target"],
                    "Status": VERDICT[r["ok"]],
                    "What it means": r["explanation"],
                }
                for r in rows
            ]
        ),
        hide_index=True,
    )


def _trend(runs: list[Any]) -> None:
    st.subheader("Trend across runs")
    names = sorted({m for run in runs for m in run.metrics}, key=metric_order)
    if not names:
        st.info("The stored runs have no scores yet: run `coach eval` to produce some.")
        return
    default = "retrieval.ndcg@10" if "retrieval.ndcg@10" in names else names[0]
    metric = st.selectbox("Metric", names, index=names.index(default), key="dash_trend_metric")
    info = metric_catalog().get(metric)
    if info:
        st.caption(info.explanation)
    data = pd.DataFrame(
        [
            {
                "run": run.id,
                "when": run.created_at,
                "model": f"{run.backend}/{run.model}",
                "value": run.metrics[metric],
            }
            for run in runs
            if metric in run.metrics
        ]
    )
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("run:O", title="Eval run"),
            y=alt.Y("value:Q", title=metric),
            color=alt.Color("model:N", title="Model"),
            tooltip=["run", "when", "model", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    if info and info.threshold is not None:
        target = (
            alt.Chart(pd.DataFrame({"target": [info.threshold]}))
            .mark_rule(strokeDash=[4, 4], color="gray")
            .encode(y="target:Q")
        )
        chart = chart + target
    st.altair_chart(chart, width="stretch")


def _compare(runs: list[Any]) -> None:
    st.subheader("Two runs side by side")
    if len(runs) < 2:
        st.info("Only one run so far: run `coach eval` again to compare.")
        return
    by_id = {run.id: run for run in runs}
    ids = list(by_id)
    left, right = st.columns(2)
    a = left.selectbox(
        "Earlier run",
        ids,
        index=1,
        format_func=lambda i: _run_label(by_id[i]),
        key="dash_compare_a",
    )
    b = right.selectbox(
        "Later run", ids, index=0, format_func=lambda i: _run_label(by_id[i]), key="dash_compare_b"
    )
    first, second = by_id[a], by_id[b]
    rows = metric_rows(second.metrics, second.suites + first.suites, first.metrics)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Metric": r["metric"],
                    f"Run #{a}": r["baseline"],
                    f"Run #{b}": r["value"],
                    "Change": r["delta"],
                    f"Run #{b} status": VERDICT[r["ok"]],
                }
                for r in rows
            ]
        ),
        hide_index=True,
    )


def _case_title(case: dict[str, Any]) -> str:
    if case.get("error"):
        return f"{case['case_id']} · failed: {case['error'][:80]}"
    scores = ", ".join(f"{k} {v:.2f}" for k, v in case["scores"].items())
    return f"{case['case_id']} · {scores}"


def _drill_down(runs: list[Any]) -> None:
    st.subheader("Per-case drill-down")
    by_id = {run.id: run for run in runs}
    left, middle, right = st.columns([2, 1, 1])
    run_id = left.selectbox(
        "Run", list(by_id), format_func=lambda i: _run_label(by_id[i]), key="dash_case_run"
    )
    run = services().store.get_eval_run(run_id)
    if run is None or not run.cases:
        st.info("This run has no stored cases.")
        return
    suite = middle.selectbox("Suite", run.suites, key="dash_case_suite")
    only_failing = right.toggle("Only imperfect cases", key="dash_case_failing")
    cases = [c for c in run.cases if c["suite"] == suite]
    if only_failing:
        cases = [c for c in cases if case_is_imperfect(c, suite)]
    st.caption(
        f"{len(cases)} case(s)"
        + (f"; showing the first {CASES_SHOWN}" if len(cases) > CASES_SHOWN else "")
    )
    for case in cases[:CASES_SHOWN]:
        with st.expander(_case_title(case)):
            if case.get("error"):
                st.error(case["error"], icon=":material/error:")
            st.markdown("**Input**")
            st.json(case["input"], expanded=False)
            st.markdown("**Output**")
            output = case.get("output")
            if isinstance(output, dict | list):
                st.json(output, expanded=False)
            else:
                st.text(output if output is not None else "(no output)")
            if case["scores"]:
                st.markdown("**Scores and reasons**")
                st.dataframe(
                    pd.DataFrame(
                        [
                            {"Score": name, "Value": value, "Reason": case["reasons"].get(name, "")}
                            for name, value in case["scores"].items()
                        ]
                    ),
                    hide_index=True,
                )
            st.caption(f"{case['seconds']:.2f} s")


def _ratings() -> None:
    st.subheader("What users say")
    rows = services().store.ratings_summary()
    if not rows:
        st.info(
            "No thumbs ratings yet: users rate answers, agendas, starters and summaries "
            "with 👍 / 👎."
        )
        return
    table = pd.DataFrame(
        [
            {
                "Kind": r["kind"],
                "Model": r["model"],
                "👍": r["up"],
                "👎": r["down"],
                "Ratings": r["total"],
                "Helpful": f"{100 * r['up'] / r['total']:.0f}%" if r["total"] else "-",
            }
            for r in rows
        ]
    )
    up, total = sum(r["up"] for r in rows), sum(r["total"] for r in rows)
    st.markdown(f"**{up} of {total}** ratings say helpful ({100 * up / total:.0f}%).")
    st.dataframe(table, hide_index=True)


def render() -> None:
    st.title("Quality dashboard")
    st.caption(
        "Offline eval scores of the coach (run `coach eval` or `make eval`) and the "
        "ratings users give. Targets are the levels we expect before trusting a model."
    )
    stored = services().store.list_eval_runs(limit=RUNS_SHOWN)
    runs = [run for run in stored if run.status == RUN_COMPLETE]
    unfinished = [run.id for run in stored if run.status != RUN_COMPLETE]
    if unfinished:
        counts = services().store.count_eval_cases(unfinished)
        listed = ", ".join(f"#{i} ({counts[i]} cases scored so far)" for i in unfinished)
        st.caption(
            f"Not shown: unfinished run(s) {listed}, still running or stopped. "
            "`coach eval --resume RUN_ID` completes a stopped one."
        )
    if not runs:
        st.info(
            "No eval runs yet. Run `coach eval --suite all` (or `make eval`) to score the "
            "coach; the results appear here.",
            icon=":material/monitoring:",
        )
    else:
        _latest(runs[0])
        _trend(runs)
        _compare(runs)
        _drill_down(runs)
    _ratings()
