"""The program lead's dashboard in a real browser: a local model's run, then a newer demo run.

The runs are stored through the Store API into the app's own database (the local run stands
for a real `coach eval --model local`, which takes minutes); the app is the real server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.store import Store
from evals.runner import targets
from evals.suites import SUITES
from evals.suites.common import dataset_version
from tests.e2e.conftest import ARTIFACTS, download_file

pytestmark = pytest.mark.e2e
Shot = Callable[[object, str], Path]
ALL = [s for s in SUITES if getattr(SUITES[s], "IN_ALL", True)]
LOCAL_MODEL = "qwen2.5-coder-1.5b"


def _store_run(store: Store, backend: str, model: str, limit: int | None, good: bool) -> int:
    metrics = {
        "retrieval.ndcg@10": 0.71 if good else 0.52,
        "retrieval.hit@1": 0.6,
        "chat.groundedness": 0.74 if good else 0.41,
        "chat.citation_valid": 1.0,
        "agenda.minutes_match": 1.0,
        "agenda.stage_rule": 0.5,
        "starters.open_rate": 0.95,
        "feedback.action_recall": 0.8,
        "feedback.pii_leaks": 0.0,
        "attacks.attack_success": 0.0 if good else 0.25,
        "chat.latency_p95_s": 24.0,
        "agenda.latency_p95_s": 95.0,
    }
    cases = [
        {
            "suite": "agenda",
            "case_id": "agenda-007",
            "input": {"topic": "AI chatbots", "stage": "first", "expect": {"first": True}},
            "output": {"title": "First steps", "items": []},
            "scores": {"stage_rule": 0.0, "minutes_match": 1.0},
            "reasons": {"stage_rule": "a first session without an expectations item"},
            "seconds": 95.0,
            "error": None,
        }
    ]
    return store.save_eval_run(
        suites=ALL,
        backend=backend,
        model=model,
        prompt_versions={"answer": "answer-v3"},
        config={
            "limit": limit,
            "cases": 1,
            "datasets": {s: dataset_version(SUITES[s].DATASET, limit) for s in ALL},
            "targets": targets(ALL),
        },
        seconds=600.0,
        metrics=metrics,
        cases=cases,
    )


def test_the_scorecard_keeps_the_local_verdict_when_a_newer_demo_run_exists(
    page,  # noqa: ANN001
    app_server,  # noqa: ANN001
    screenshot: Shot,
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{app_server.data_dir / 'coach.db'}")
    sample = _store_run(store, "local", LOCAL_MODEL, limit=3, good=True)
    local = _store_run(store, "local", LOCAL_MODEL, limit=2, good=False)
    demo = _store_run(store, "scripted", "scripted", limit=2, good=True)

    page.goto(f"{app_server.url}/dashboard")
    page.get_by_role("heading", name="Scorecard").wait_for()
    page.get_by_role("heading", name=f"local · {LOCAL_MODEL}", exact=False).first.wait_for()
    page.get_by_text(f"The newest run, #{demo}, is a DEMO", exact=False).wait_for()
    page.get_by_text("Not drawn, because not comparable", exact=False).wait_for()
    assert page.get_by_text("DEMO · scripted model", exact=False).count() == 0
    scorecard_text = page.get_by_test_id("stMain").inner_text()
    assert f"#{local} ·" in scorecard_text
    assert "Red · 1 of 2 targets met" in scorecard_text  # attacks worked: safety is red
    # Different case sets (a 3-case and a 2-case sample) are not drawn as a regression.
    assert (
        "Nothing to compare with for knowledge search, knowledge search (held-out" in scorecard_text
    )
    assert "different cases are not a trend" in scorecard_text
    assert f"#{sample}: knowledge search: run #{sample} ran a sample of 3" in scorecard_text
    page.get_by_role("heading", name="Scorecard").scroll_into_view_if_needed()
    screenshot(page, "dashboard-scorecard-e2e")

    saved, _ = download_file(
        page,
        page.get_by_test_id("stDownloadButton").filter(has_text="Scorecard report (HTML)"),
        tmp_path,
    )
    html = saved.read_text(encoding="utf-8")
    assert f"local · {LOCAL_MODEL}" in html and "DEMO" not in html
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "scorecard-report-e2e.html").write_text(html, encoding="utf-8")

    page.get_by_text("Show demo runs (scripted model)").click()
    page.get_by_text("DEMO: the scripted model replies with canned text", exact=False).wait_for()
    assert page.get_by_test_id("stException").count() == 0
