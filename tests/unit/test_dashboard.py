"""The program leads' dashboard, on a real SQLite history holding two stored eval runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assistant.config import get_settings
from assistant.schemas import Answer
from assistant.store import Store
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


def _save(store: Store, model: str, ndcg: float, groundedness: float) -> int:
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
    return store.save_eval_run(
        suites=["retrieval", "chat"],
        backend="local",
        model=model,
        prompt_versions={"answer": "answer-v1"},
        config={"cases": len(cases)},
        seconds=12.0,
        metrics={"retrieval.ndcg@10": ndcg, "chat.groundedness": groundedness, "chat.errors": 0.33},
        cases=cases,
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    env = coach_env(tmp_path / "data", DATABASE_URL=f"sqlite:///{tmp_path / 'coach.db'}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
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


def test_latest_scores_are_shown_against_targets_with_explanations(two_runs) -> None:  # noqa: ANN001
    at = _app()
    assert not at.exception
    latest = at.dataframe[0].value
    ndcg = _row(latest, "retrieval.ndcg@10")
    assert ndcg["Score"] == 0.72 and ndcg["Status"].startswith("✅")
    assert "Ranking quality" in ndcg["What it means"]
    grounded = _row(latest, "chat.groundedness")
    assert grounded["Status"].startswith("❌") and grounded["Target"] == ">= 0.7"
    assert "1 of 3" in " ".join(m.value for m in at.markdown)
    assert "qwen2.5-coder-1.5b" in " ".join(c.value for c in at.caption)


def test_the_trend_chart_plots_every_run(two_runs) -> None:  # noqa: ANN001
    at = _app()
    [chart] = at.get("vega_lite_chart")
    line, target = json.loads(chart.proto.spec)["layer"]
    data = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets
    }
    points = data[line["data"]["name"]].sort_values("run")
    assert list(points["value"]) == [0.60, 0.72]
    assert list(points["model"]) == ["local/qwen2.5-coder-0.5b", "local/qwen2.5-coder-1.5b"]
    assert list(data[target["data"]["name"]]["target"]) == [0.65]
    at.selectbox(key="dash_trend_metric").select("chat.groundedness").run()
    assert not at.exception
    assert any("backed by a passage" in c.value for c in at.caption)


def test_two_runs_side_by_side_show_the_change(two_runs) -> None:  # noqa: ANN001
    first, second = two_runs
    compare = _app().dataframe[1].value
    ndcg = _row(compare, "retrieval.ndcg@10")
    assert ndcg[f"Run #{first}"] == 0.60 and ndcg[f"Run #{second}"] == 0.72
    assert ndcg["Change"] == pytest.approx(0.12)


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
    reasons = failing.dataframe[0].value
    assert "weakest: 'Bake bread'" in reasons["Reason"][0]
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
    assert _row(at.dataframe[0].value, "retrieval.ndcg@10")["Score"] == 0.72
