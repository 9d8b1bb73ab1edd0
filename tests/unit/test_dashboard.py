"""The program leads' dashboard, on a real SQLite history holding two stored eval runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assistant.config import get_settings
from assistant.schemas import Answer
from assistant.store import Store
from evals.runner import targets
from evals.suites import SUITES
from evals.suites.common import dataset_version
from tests.fixtures import coach_env

TIMEOUT = 60


def _case(
    suite: str,
    case_id: str,
    scores: dict,
    reasons: dict,
    error: str | None = None,
    output: object = None,
) -> dict:
    return {
        "suite": suite,
        "case_id": case_id,
        "input": {"question": f"question {case_id}"},
        "output": output if output is not None else {"answer": f"answer {case_id}"},
        "scores": scores,
        "reasons": reasons,
        "seconds": 0.5,
        "error": error,
    }


def _save(
    store: Store,
    model: str,
    ndcg: float,
    groundedness: float,
    *,
    backend: str = "local",
    limit: int | None = 3,
) -> int:
    cases = [
        _case("retrieval", "r001", {"ndcg@10": ndcg}, {"ndcg@10": "top 10: a.md, b.md"}),
        _case("chat", "chat-001", {"groundedness": 1.0}, {"groundedness": "3/3 supported"}),
        _case(
            "chat",
            "chat-002",
            {"groundedness": 0.25},
            {"groundedness": "1/4 sentences supported; weakest: 'Bake bread'"},
        ),
        _case("chat", "chat-003", {}, {}, error="ModelTimeout: no answer in 60 s"),
    ]
    suites = ["retrieval", "chat"]
    return store.save_eval_run(
        suites=suites,
        backend=backend,
        model=model,
        prompt_versions={"answer": "answer-v1"},
        config={
            "cases": len(cases),
            "limit": limit,
            "datasets": {s: dataset_version(SUITES[s].DATASET, limit) for s in suites},
            "targets": targets(suites),
        },
        seconds=12.0,
        metrics={"retrieval.ndcg@10": ndcg, "chat.groundedness": groundedness, "chat.errors": 0.33},
        cases=cases,
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    env = coach_env(tmp_path / "data", DATABASE_URL=f"sqlite:///{tmp_path / 'coach.db'}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COACH_MODEL", "local")  # the program runs the 1.5B model
    monkeypatch.setenv("COACH_LOCAL_MODEL", "qwen2.5-coder-1.5b")
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield Store(f"sqlite:///{tmp_path / 'coach.db'}")
    get_settings.cache_clear()
    st.cache_resource.clear()


@pytest.fixture
def two_runs(env: Store) -> tuple[int, int]:
    first = _save(env, "qwen2.5-coder-0.5b", ndcg=0.60, groundedness=0.55)
    second = _save(env, "qwen2.5-coder-1.5b", ndcg=0.72, groundedness=0.625)
    liked = env.save_artifact(Answer(question="q1", answer="a1", model="qwen2.5-coder-1.5b"))
    disliked = env.save_artifact(Answer(question="q2", answer="a2", model="qwen2.5-coder-1.5b"))
    env.rate(liked, 1)
    env.rate(disliked, -1)
    return first, second


def _dashboard() -> None:
    from assistant.ui.pages.dashboard import render

    render()


def _app() -> AppTest:
    return AppTest.from_function(_dashboard, default_timeout=TIMEOUT).run()


def _row(frame, metric: str) -> dict:  # noqa: ANN001
    rows = frame[frame["Metric"] == metric].to_dict("records")
    assert rows, f"{metric} not in {list(frame['Metric'])}"
    return rows[0]


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning])


def test_the_scorecard_gives_the_program_models_verdict_per_area(two_runs) -> None:  # noqa: ANN001
    first, second = two_runs
    at = _app()
    assert not at.exception
    assert at.subheader[0].value.startswith("local · qwen2.5-coder-1.5b — the model the program")
    areas = [m.value for m in at.markdown if m.value.startswith("### ")]
    # grounded: search ranking met, answers backed by sources missed (0.625 < 0.7): 1 of 2
    assert areas[0].endswith("Grounded\n**Red** · 1 of 2 targets met")
    assert areas[1].endswith("Safe\n**No data** · no data yet")
    grounded = next(m for m in at.markdown if "**Answers backed by their sources**" in m.value)
    assert (
        "0.625 · target ≥ 0.7" in grounded.value
        and "backed by a passage the answer cites" in grounded.value
    )
    assert "chat.groundedness" in grounded.proto.help  # the dotted id is in the tooltip
    assert f"run #{first}" not in grounded.proto.help  # verdicts come from the newest run
    text = _text(at)
    assert f"#{second} ·" in text and "Sample run" in text


def test_a_failing_metric_opens_its_failing_cases(two_runs) -> None:  # noqa: ANN001
    at = _app()
    box = next(e for e in at.expander if e.label.startswith("Failing cases for “Answers backed"))
    assert box.label.endswith("(2)")  # chat-002 scored 0.25, chat-003 failed with an error
    shown = " ".join(m.value for m in box.markdown)
    assert "weakest: 'Bake bread'" in shown and "ModelTimeout" in shown
    assert "Case chat-001" not in shown


def test_a_newer_demo_run_is_hidden_and_named_as_a_demo(two_runs, env: Store) -> None:  # noqa: ANN001
    _, second = two_runs
    demo = _save(env, "scripted", 0.1, 0.1, backend="scripted")
    at = _app()
    assert not at.exception
    assert f"The newest run, #{demo}, is a DEMO" in _text(at)
    assert at.subheader[0].value.startswith("local · qwen2.5-coder-1.5b")
    assert all("DEMO" not in s.value for s in at.subheader)
    at.toggle(key="dash_show_demo").set_value(True).run()
    assert any(s.value.startswith("DEMO · scripted") for s in at.subheader)
    assert any("DEMO: the scripted model" in w.value for w in at.warning)
    assert at.selectbox(key="dash_cmp_b").format_func(demo).startswith(f"DEMO · #{demo}")


def test_the_trend_draws_only_runs_of_one_model_on_the_same_cases(two_runs, env: Store) -> None:  # noqa: ANN001
    _, second = two_runs
    again = _save(env, "qwen2.5-coder-1.5b", ndcg=0.75, groundedness=0.7)
    full = _save(env, "qwen2.5-coder-1.5b", ndcg=0.40, groundedness=0.7, limit=None)
    full_again = _save(env, "qwen2.5-coder-1.5b", ndcg=0.45, groundedness=0.7, limit=None)
    at = _app()
    at.selectbox(key="dash_trend_model").select(("local", "qwen2.5-coder-1.5b")).run()
    chart = at.get("vega_lite_chart")[0]
    line = json.loads(chart.proto.spec)["layer"][0]
    data = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets
    }
    points = data[line["data"]["name"]].sort_values("run")
    # the newest run ran every case: the samples are left out, whatever their scores
    assert list(points["run"]) == [full, full_again] and list(points["value"]) == [0.40, 0.45]
    text = _text(at)
    assert f"#{again}: knowledge search: run #{again} ran a sample of 3 cases" in text
    assert f"#{second}:" in text


def test_two_runs_on_the_same_cases_show_the_change(two_runs) -> None:  # noqa: ANN001
    first, second = two_runs
    compare = _app().dataframe[0].value
    ndcg = _row(compare, "Search: ranking quality")
    assert ndcg[f"Run #{first}"] == 0.60 and ndcg["Score"] == 0.72
    assert ndcg["Change"] == pytest.approx(0.12) and ndcg["Id"] == "retrieval.ndcg@10"


def test_two_runs_on_different_cases_are_not_drawn_as_a_regression(two_runs, env: Store) -> None:  # noqa: ANN001
    _, second = two_runs
    full = _save(env, "qwen2.5-coder-1.5b", ndcg=0.41, groundedness=0.7, limit=None)
    at = _app()
    at.selectbox(key="dash_cmp_a").select(second).run()
    at.selectbox(key="dash_cmp_b").select(full).run()
    compare = at.dataframe[0].value
    ndcg = _row(compare, "Search: ranking quality")
    assert pd.isna(ndcg["Change"]) and "different cases" in ndcg["Not comparable because"]
    assert any("Not comparable — knowledge search" in w.value for w in at.warning)


def test_drill_down_shows_input_output_and_the_reason_for_each_score(two_runs) -> None:  # noqa: ANN001
    at = _app()
    at.selectbox(key="dash_case_suite").select("chat").run()
    labels = [e.label for e in at.expander]
    assert any(label.startswith("chat-002") for label in labels)
    at.toggle(key="dash_case_failing").set_value(True).run()
    labels = [e.label for e in at.expander]
    assert not any(label.startswith("chat-001") for label in labels)  # a perfect case is hidden
    failing = next(e for e in at.expander if e.label.startswith("chat-002"))
    assert [j.value for j in failing.json][0] == json.dumps({"question": "question chat-002"})
    assert "weakest: 'Bake bread'" in " ".join(m.value for m in failing.markdown)
    errored = next(e for e in at.expander if e.label.startswith("chat-003"))
    assert "ModelTimeout" in errored.error[0].value


def test_users_ratings_are_aggregated(two_runs) -> None:  # noqa: ANN001
    at = _app()
    ratings = at.dataframe[-1].value.to_dict("records")
    assert ratings == [
        {
            "Kind": "answer",
            "Model": "qwen2.5-coder-1.5b",
            "👍": 1,
            "👎": 1,
            "Ratings": 2,
            "Helpful": "50%",
        }
    ]


def test_an_empty_history_says_how_to_produce_a_run(env: Store) -> None:
    at = _app()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "coach eval" in text and "No thumbs ratings yet" in text
    assert not at.dataframe


def test_an_unfinished_run_is_named_but_not_shown_as_the_latest(two_runs) -> None:  # noqa: ANN001
    first, second = two_runs
    unfinished = Store(get_settings().database_url).start_eval_run(
        suites=["chat"],
        backend="local",
        model="qwen2.5-coder-0.5b",
        prompt_versions={"answer": "answer-v1"},
        config={},
    )
    at = _app()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert f"unfinished run(s) #{unfinished} (0 cases scored so far)" in captions
    assert "--resume" in captions
    assert f"#{second} ·" in captions  # the latest finished run is the one shown
    assert _row(at.dataframe[0].value, "Search: ranking quality")["Score"] == 0.72
