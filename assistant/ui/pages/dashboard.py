"""Dashboard for program leads: is the model we run good enough, and is it getting better?

A scorecard first (one verdict per area and model), then trends, comparisons and each run's
cases. Every figure and judgement comes from `assistant.scorecard` (which reads the store);
this page only lays them out. Demo runs (the scripted model) are hidden unless asked for.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant import report_export as export
from assistant import scorecard as sc
from assistant.metric_text import AREAS, describe
from assistant.store import RUN_COMPLETE
from assistant.ui.resources import services, settings
from assistant.ui.voice import users_voice
from assistant.ui.widgets import download

RUNS_SHOWN = 50
CASES_SHOWN = 60
# Colours and words both: a light must read without colour, and without an emoji font.
LIGHT = {
    "green": ":green[:material/circle:]",
    "amber": ":orange[:material/circle:]",
    "red": ":red[:material/circle:]",
    "grey": ":gray[:material/radio_button_unchecked:]",
}
LIGHT_WORD = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}
MARK = {
    True: ":green[:material/check_circle:]",
    False: ":red[:material/cancel:]",
    None: ":gray[:material/info:]",
}
STATUS = {True: "✅ meets target", False: "❌ below target", None: "for information"}


def _case(case: dict[str, Any]) -> None:
    """One stored case: what was asked, what came out, what was expected, and why."""
    st.markdown(f"**Why:** {case['why']}")
    st.markdown("**Input**")
    st.json(case["input"], expanded=False)
    st.markdown("**Output**")
    output = case.get("output")
    if isinstance(output, dict | list):
        st.json(output, expanded=False)
    else:
        st.text(output if output is not None else "(no output)")
    if case["expected"]:
        st.markdown("**Expected**")
        st.json(case["expected"], expanded=False)


def _metric_line(row: sc.MetricRow, runs: dict[int, Any], key: str) -> None:
    target = f" · target {row.target}" if row.target else ""
    text = f"{MARK[row.ok]} **{row.name}**: "
    text += f"{row.value:.3g}{target} — {row.meaning}"
    if row.ok is not False:
        st.markdown(text, help=f"`{row.id}` (run #{row.run_id})")
        return
    run = runs.get(row.run_id) or services().store.get_eval_run(row.run_id)
    runs[row.run_id] = run
    failing = sc.failing_cases(run, row.id) if run else []
    st.markdown(text, help=f"`{row.id}` (run #{row.run_id})")
    with st.expander(f"Failing cases for “{row.name}” ({len(failing)})", key=key):
        if not failing:
            st.caption("No single case misses the target; the average does.")
        for case in failing[:CASES_SHOWN]:
            st.markdown(f"##### Case {case['case_id']}")
            _case(case)


def _card(card: sc.ModelCard, number: int) -> None:
    with st.container(border=True):
        title = card.label + (" — the model the program runs" if card.program else "")
        st.subheader(title)
        if card.demo:
            st.warning(
                "DEMO: the scripted model replies with canned text. Its scores test the "
                "coach's code, not a model's quality.",
                icon=":material/science:",
            )
        runs = ", ".join(sc.run_label(r) for r in card.runs)
        st.caption(f"Scores of {card.date} · from run(s) {runs}")
        if card.sample:
            st.caption(card.sample)
        columns = st.columns(len(card.areas))
        for column, area in zip(columns, card.areas, strict=True):
            share = f"{area.met} of {area.judged} targets met" if area.judged else "no data yet"
            column.markdown(
                f"### {LIGHT[area.light]} {area.title}\n**{LIGHT_WORD[area.light]}** · {share}",
                help=AREAS[area.area][1],
            )
        if card.missing:
            st.caption(f"Not evaluated yet on this model: {', '.join(card.missing)}.")
        st.markdown("**What changed since the previous comparable run**")
        st.markdown("\n".join(f"- {line}" for line in card.changes) or "- Nothing yet.")
        tabs = st.tabs([f"{LIGHT[a.light]} {a.title}" for a in card.areas])
        fetched: dict[int, Any] = {}
        for tab, area in zip(tabs, card.areas, strict=True):
            with tab:
                st.caption(AREAS[area.area][1])
                if not area.rows:
                    st.caption("No scores in this area yet.")
                for i, row in enumerate(area.rows):
                    _metric_line(row, fetched, key=f"dash_fail_{number}_{area.area}_{i}")


def _scorecard(runs: list[Any], show_demo: bool) -> list[sc.ModelCard]:
    st.header("Scorecard")
    demo = sc.newest_demo(runs)
    if demo is not None:
        st.info(
            f"The newest run, #{demo.id}, is a DEMO on the scripted model (canned replies)"
            + (", shown below as such." if show_demo else "; it is not part of the scorecard.")
            + " Real models' verdicts come from their own runs.",
            icon=":material/science:",
        )
    cards = sc.scorecards(runs, sc.program_model(settings()), include_demo=show_demo)
    backend, model = sc.program_model(settings())
    if backend == sc.DEMO_BACKEND and not show_demo:
        st.caption(
            "This app runs the scripted demo model (COACH_MODEL=scripted): its runs are "
            "demos, shown only with the toggle above."
        )
    elif not any(card.program for card in cards):
        st.info(
            f"No finished eval run of the model the program runs ({backend} · {model}) yet: "
            f"run `coach eval --model {backend}` to give it a verdict.",
            icon=":material/monitoring:",
        )
    for number, card in enumerate(cards):
        _card(card, number)
    left, middle, right = st.columns(3)
    with left:
        download(
            "Scorecard (CSV)",
            export.scorecard_csv(cards),
            "scorecard.csv",
            "text/csv",
            "dash_sc_csv",
        )
    with middle:
        download(
            "Scorecard report (HTML)",
            export.scorecard_html(cards, services().store.ratings_summary()),
            "scorecard.html",
            "text/html",
            "dash_sc_html",
        )
    with right:
        download(
            "Scorecard (JSON)",
            export.scorecard_json(cards),
            "scorecard.json",
            "application/json",
            "dash_sc_json",
        )
    return cards


def _trend(runs: list[Any]) -> None:
    st.header("Trend")
    models = list(dict.fromkeys((r.backend, r.model) for r in runs))
    left, right = st.columns(2)
    key = left.selectbox(
        "Model", models, format_func=lambda k: sc.model_label(*k), key="dash_trend_model"
    )
    names = sorted({m for r in runs if (r.backend, r.model) == key for m in r.metrics})
    names.sort(key=lambda m: list(AREAS).index(describe(m).area))
    if not names:
        st.info("This model's runs have no scores yet.")
        return
    default = "retrieval.ndcg@10" if "retrieval.ndcg@10" in names else names[0]
    metric = right.selectbox(
        "Metric",
        names,
        index=names.index(default),
        format_func=lambda m: f"{AREAS[describe(m).area][0]}: {describe(m).name}",
        key="dash_trend_metric",
    )
    st.caption(f"{describe(metric).meaning} (`{metric}`)")
    line = sc.trend(runs, metric, key)
    if line.left_out:
        st.caption(
            "Not drawn, because not comparable with the newest run: " + "; ".join(line.left_out)
        )
    if len(line.points) < 2:
        st.info(
            "Fewer than two runs of this model on the same cases, so there is no trend yet: "
            "run the same `coach eval` command again (same suites, same --limit).",
            icon=":material/timeline:",
        )
        return
    data = pd.DataFrame(
        [{"run": r.id, "when": r.created_at[:16], "value": v} for r, v in line.points]
    )
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("run:O", title="Eval run (same cases)"),
            y=alt.Y("value:Q", title=describe(metric).name),
            tooltip=["run", "when", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    target = sc.run_targets(line.points[-1][0]).get(metric)
    if target is not None:
        rule = pd.DataFrame({"target": [target.value]})
        chart = chart + alt.Chart(rule).mark_rule(strokeDash=[4, 4], color="gray").encode(
            y="target:Q"
        )
    st.altair_chart(chart, width="stretch")


def _rows_frame(rows: list[sc.MetricRow], previous: Any | None = None) -> pd.DataFrame:
    records = []
    for r in rows:
        record = {
            "Area": AREAS[r.area][0],
            "Metric": r.name,
            "Score": r.value,
            "Target": str(r.target) if r.target else "-",
            "Status": STATUS[r.ok],
        }
        if previous is not None:
            record[f"Run #{previous.id}"] = r.previous
            record["Change"] = r.delta
            record["Not comparable because"] = r.not_comparable
        record["Id"] = r.id
        records.append(record)
    return pd.DataFrame(records)


def _compare(runs: list[Any]) -> None:
    st.header("Two runs side by side")
    if len(runs) < 2:
        st.info("Only one run so far: run `coach eval` again to compare.")
        return
    by_id = {run.id: run for run in runs}
    ids = list(by_id)
    left, right = st.columns(2)
    a = left.selectbox(
        "Earlier run", ids, index=1, format_func=lambda i: sc.run_label(by_id[i]), key="dash_cmp_a"
    )
    b = right.selectbox(
        "Later run", ids, index=0, format_func=lambda i: sc.run_label(by_id[i]), key="dash_cmp_b"
    )
    first, second = by_id[a], by_id[b]
    reasons = {s: why for s, why in sc.comparability(first, second).items() if why}
    for why in reasons.values():
        st.warning(f"Not comparable — {why}.", icon=":material/compare_arrows:")
    st.dataframe(_rows_frame(sc.metric_rows(second, first), first), hide_index=True)


def _runs(runs: list[Any]) -> None:
    st.header("Runs and their cases")
    by_id = {run.id: run for run in runs}
    left, middle, right = st.columns([2, 1, 1])
    run_id = left.selectbox(
        "Run", list(by_id), format_func=lambda i: sc.run_label(by_id[i]), key="dash_case_run"
    )
    run = services().store.get_eval_run(run_id)
    if run is None:
        return
    if sc.is_demo(run):
        st.warning("DEMO run on the scripted model (canned replies).", icon=":material/science:")
    st.caption(
        f"{run.seconds:.0f} s · "
        + "; ".join(f"{s}: {sc.cases_text(sc.suite_version(run, s))}" for s in run.suites)
    )
    st.dataframe(_rows_frame(sc.metric_rows(run)), hide_index=True)
    one, two = st.columns(2)
    with one:
        download(
            f"Run #{run.id} (CSV)",
            export.run_csv(run),
            f"eval-run-{run.id}.csv",
            "text/csv",
            f"dash_run_csv_{run.id}",
        )
    with two:
        download(
            f"Run #{run.id} report (HTML)",
            export.run_html(run),
            f"eval-run-{run.id}.html",
            "text/html",
            f"dash_run_html_{run.id}",
        )
    if not run.cases:
        st.info("This run has no stored cases.")
        return
    suite = middle.selectbox("Suite", run.suites, key="dash_case_suite")
    only_failing = right.toggle("Only cases missing a target", key="dash_case_failing")
    cases = [c for c in run.cases if c["suite"] == suite]
    if only_failing:
        missing = {
            c["case_id"]
            for m in run.metrics
            if m.startswith(f"{suite}.")
            for c in sc.failing_cases(run, m)
        }
        cases = [c for c in cases if c["case_id"] in missing]
    st.caption(
        f"{len(cases)} case(s)"
        + (f"; showing the first {CASES_SHOWN}" if len(cases) > CASES_SHOWN else "")
    )
    for case in cases[:CASES_SHOWN]:
        scores = ", ".join(
            f"{describe(f'{suite}.{k}').name} {v:.2f}" for k, v in case["scores"].items()
        )
        label = f"{case['case_id']} · " + (
            f"failed: {case['error'][:80]}" if case.get("error") else scores
        )
        with st.expander(label):
            if case.get("error"):
                st.error(case["error"], icon=":material/error:")
            asked, expected = sc.split_input(case["input"])
            reasons = "; ".join(f"{k}: {v}" for k, v in case["reasons"].items() if v)
            _case(
                {
                    "input": asked,
                    "output": case.get("output"),
                    "expected": expected,
                    "why": case.get("error") or reasons or "-",
                }
            )
            st.caption(f"{case['seconds']:.2f} s")


def render() -> None:
    st.title("Quality dashboard")
    st.caption(
        "Is the model the program runs good enough, and is it getting better? Verdicts come "
        "from offline evals (`coach eval`); users' ratings are below."
    )
    show_demo = st.toggle(
        "Show demo runs (scripted model)",
        key="dash_show_demo",
        help="Demo runs use canned replies: they check the coach's code, not a model.",
    )
    stored = services().store.list_eval_runs(limit=RUNS_SHOWN)
    finished = [run for run in stored if run.status == RUN_COMPLETE]
    unfinished = [run.id for run in stored if run.status != RUN_COMPLETE]
    runs = [run for run in finished if show_demo or not sc.is_demo(run)]
    if unfinished:
        counts = services().store.count_eval_cases(unfinished)
        listed = ", ".join(f"#{i} ({counts[i]} cases scored so far)" for i in unfinished)
        st.caption(
            f"Not shown: unfinished run(s) {listed}, still running or stopped. "
            "`coach eval --resume RUN_ID` completes a stopped one."
        )
    if not finished:
        st.info(
            "No eval runs yet. Run `coach eval --suite all` (or `make eval`) to score the "
            "coach; the results appear here.",
            icon=":material/monitoring:",
        )
    else:
        _scorecard(finished, show_demo)
        if runs:
            _trend(runs)
            _compare(runs)
            _runs(runs)
        else:
            st.caption("Only demo runs are stored: show them with the toggle above.")
    users_voice()
