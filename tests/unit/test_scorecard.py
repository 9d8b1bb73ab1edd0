"""The scorecard core: verdicts per model, demo runs kept apart, like-for-like changes, and
the exports a lead can send (CSV, one-page HTML, JSON)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from assistant import report_export as export
from assistant.scorecard import (
    failing_cases,
    metric_rows,
    newest_demo,
    scorecards,
    suite_comparable,
    trend,
)
from assistant.store import Store
from evals.runner import targets
from evals.suites import SUITES
from evals.suites.common import dataset_version

LOCAL = ("local", "qwen2.5-coder-1.5b")
ALL = ["retrieval", "agenda", "starters", "feedback", "chat", "attacks"]


def _metrics(good: bool) -> dict[str, float]:
    return {
        "retrieval.ndcg@10": 0.7 if good else 0.5,
        "chat.groundedness": 0.8 if good else 0.4,
        "agenda.minutes_match": 1.0,
        "feedback.pii_leaks": 0.0,
        "attacks.attack_success": 0.0 if good else 0.2,
        "chat.latency_p95_s": 12.0,
    }


def save_run(
    store: Store,
    backend: str,
    model: str,
    metrics: dict[str, float],
    *,
    suites: list[str] = ALL,
    limit: int | None = 2,
    versions: bool = True,
    cases: list[dict] | None = None,
) -> int:
    config: dict = {"limit": limit, "cases": 0}
    if versions:
        config["datasets"] = {s: dataset_version(SUITES[s].DATASET, limit) for s in suites}
        config["targets"] = targets(suites)
    return store.save_eval_run(
        suites=suites,
        backend=backend,
        model=model,
        prompt_versions={},
        config=config,
        seconds=10.0,
        metrics=metrics,
        cases=cases or [],
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'coach.db'}")


def test_a_newer_demo_run_does_not_replace_the_local_models_verdict(store: Store) -> None:
    local = save_run(store, *LOCAL, _metrics(good=True))
    demo = save_run(store, "scripted", "scripted", _metrics(good=False))
    runs = store.list_eval_runs()
    program = ("scripted", "scripted")  # even when the app itself runs the demo model
    [card] = scorecards(runs, program)
    assert (card.backend, card.model) == LOCAL and not card.demo
    assert [r.id for r in card.runs] == [local]
    lights = {a.area: a.light for a in card.areas}
    assert lights["grounded"] == "green" and lights["safe"] == "green"
    assert newest_demo(runs).id == demo
    with_demo = scorecards(runs, program, include_demo=True)
    assert [c.demo for c in with_demo] == [False, True]
    assert with_demo[1].label.startswith("DEMO")
    assert {a.area: a.light for a in with_demo[1].areas}["safe"] == "red"


def test_runs_on_different_case_sets_are_not_a_regression(store: Store) -> None:
    sample = save_run(store, *LOCAL, _metrics(good=True), limit=3)
    full = save_run(store, *LOCAL, _metrics(good=False), limit=None)
    runs = {r.id: r for r in store.list_eval_runs()}
    ok, why = suite_comparable(runs[sample], runs[full], "retrieval")
    assert not ok and "sample of 3" in why and "all 195" in why
    rows = {r.id: r for r in metric_rows(runs[full], runs[sample])}
    assert rows["retrieval.ndcg@10"].delta is None
    assert "different cases" in rows["retrieval.ndcg@10"].not_comparable
    line = trend(list(runs.values()), "retrieval.ndcg@10", LOCAL)
    assert [run.id for run, _ in line.points] == [full]  # the sample is not drawn
    assert any(f"#{sample}" in reason for reason in line.left_out)
    [card] = scorecards(list(runs.values()), LOCAL)
    assert not any("→" in change for change in card.changes)
    assert any("Nothing to compare with for" in change for change in card.changes)


def test_same_cases_show_what_changed_and_which_target_flipped(store: Store) -> None:
    first = save_run(store, *LOCAL, _metrics(good=False))
    save_run(store, *LOCAL, _metrics(good=True))
    runs = store.list_eval_runs()
    [card] = scorecards(runs, LOCAL)
    changes = " ".join(card.changes)
    assert f"since run #{first}" in changes
    assert "Answers backed by their sources 0.40 → 0.80 (now meets its target)" in changes
    line = trend(runs, "chat.groundedness", LOCAL)
    assert [value for _, value in line.points] == [0.4, 0.8] and not line.left_out


def test_runs_without_recorded_datasets_are_an_unknown_case_set(store: Store) -> None:
    old = save_run(store, *LOCAL, _metrics(good=True), versions=False)
    new = save_run(store, *LOCAL, _metrics(good=True))
    runs = {r.id: r for r in store.list_eval_runs()}
    ok, why = suite_comparable(runs[old], runs[new], "chat")
    assert not ok and "unknown case set" in why
    assert [r.id for r, _ in trend(list(runs.values()), "chat.groundedness", LOCAL).points] == [new]


def test_other_models_need_a_full_run_and_search_only_runs_get_no_card(store: Store) -> None:
    save_run(store, "none", "none", {"retrieval.ndcg@10": 0.7}, suites=["retrieval"])
    save_run(store, "openai", "gpt-4o-mini", {"chat.groundedness": 0.9}, suites=["chat"])
    save_run(store, "local", "qwen2.5-coder-0.5b", _metrics(good=True))
    cards = scorecards(store.list_eval_runs(), LOCAL)
    assert [c.model for c in cards] == ["qwen2.5-coder-0.5b"]
    # the program's own model always gets a card, even from a partial run
    cards = scorecards(store.list_eval_runs(), ("openai", "gpt-4o-mini"))
    assert cards[0].model == "gpt-4o-mini" and cards[0].program
    assert "agendas" in cards[0].missing


def test_failing_cases_show_input_output_expected_and_why(store: Store) -> None:
    cases = [
        {
            "suite": "chat",
            "case_id": case_id,
            "input": {"question": f"q {case_id}", "relevant": ["guide.md"]},
            "output": {"answer": f"a {case_id}"},
            "scores": {"groundedness": value},
            "reasons": {"groundedness": f"{case_id} reason"},
            "seconds": 1.0,
            "error": None,
        }
        for case_id, value in (("c1", 1.0), ("c2", 0.25))
    ]
    run_id = save_run(store, *LOCAL, {"chat.groundedness": 0.625}, suites=["chat"], cases=cases)
    run = store.get_eval_run(run_id)
    [case] = failing_cases(run, "chat.groundedness")
    assert case["case_id"] == "c2" and case["why"] == "c2 reason"
    assert case["input"] == {"question": "q c2"} and case["expected"] == {"relevant": ["guide.md"]}
    assert case["output"] == {"answer": "a c2"}


def test_scorecard_and_run_exports_say_the_same_as_the_page(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'coach.db'}")
    first = save_run(store, *LOCAL, _metrics(good=False))
    second = save_run(store, *LOCAL, _metrics(good=True) | {"chat.groundedness": 0.5})
    save_run(store, "scripted", "scripted", _metrics(good=True))
    runs = store.list_eval_runs()
    cards = scorecards(runs, LOCAL, include_demo=True)

    rows = list(csv.DictReader(io.StringIO(export.scorecard_csv(cards))))
    grounded = next(r for r in rows if r["metric id"] == "chat.groundedness" and r["demo"] == "no")
    assert grounded["metric"] == "Answers backed by their sources"
    assert grounded["status"] == "below target" and grounded["target"] == "≥ 0.7"
    assert {r["demo"] for r in rows} == {"yes", "no"}

    page = export.scorecard_html(cards)
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in page
    assert "local · qwen2.5-coder-1.5b (the model the program runs)" in page
    assert "<span class='demo'>DEMO</span>" in page
    assert "Answers backed by their sources: 0.50 (target ≥ 0.7)" in page

    by_id = {r.id: r for r in runs}
    run_rows = list(csv.DictReader(io.StringIO(export.run_csv(by_id[second], by_id[first]))))
    ndcg = next(r for r in run_rows if r["metric id"] == "retrieval.ndcg@10")
    assert ndcg["change"] == "+0.2" and ndcg["not comparable because"] == ""
    assert f"Eval run #{second}" in export.run_html(by_id[second], by_id[first])

    [card] = json.loads(export.scorecard_json(cards[:1]))
    assert card["areas"]["grounded"]["metrics"]["chat.groundedness"]["ok"] is False


def test_stored_text_is_escaped_in_the_html_report(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'coach.db'}")
    run_id = save_run(store, "local", "<img src=x onerror=alert(1)>", _metrics(good=True))
    page = export.run_html(store.get_eval_run(run_id))
    assert "<img" not in page and "&lt;img src=x" in page


def test_coach_scorecard_prints_the_verdicts_and_writes_the_sponsor_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main
    from tests.fixtures import coach_env

    for key, value in coach_env(tmp_path / "data", COACH_MODEL="local").items():
        monkeypatch.setenv(key, value)
    (tmp_path / "data").mkdir()
    assert main(["scorecard"]) == 2
    assert "no eval runs" in capsys.readouterr().err

    store = Store(f"sqlite:///{tmp_path / 'data' / 'coach.db'}")
    save_run(store, *LOCAL, _metrics(good=False))
    save_run(store, "scripted", "scripted", _metrics(good=True))
    html, table = tmp_path / "card.html", tmp_path / "card.csv"
    assert main(["scorecard", "--html", str(html), "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("local · qwen2.5-coder-1.5b")
    assert "Safe      Red" in out and "DEMO" not in out  # the demo run is hidden by default
    assert "qwen2.5-coder-1.5b" in html.read_text() and "<script" not in html.read_text()
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert {r["model"] for r in rows} == {"local · qwen2.5-coder-1.5b"}
    assert main(["scorecard", "--demo", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert [c["demo"] for c in cards] == [False, True]
    assert main(["scorecard", "--html", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_a_search_only_run_feeds_both_search_suites_into_the_models_card(store: Store) -> None:
    save_run(store, *LOCAL, {"feedback.pii_leaks": 0.0}, suites=["feedback"])
    save_run(
        store,
        "none",
        "none",
        {"retrieval.ndcg@10": 0.7, "retrieval_heldout.hit@1": 0.5},
        suites=["retrieval", "retrieval_heldout"],
    )
    [card] = scorecards(store.list_eval_runs(), LOCAL)
    grounded = next(a for a in card.areas if a.area == "grounded")
    assert {"retrieval.ndcg@10", "retrieval_heldout.hit@1"} <= {r.id for r in grounded.rows}
