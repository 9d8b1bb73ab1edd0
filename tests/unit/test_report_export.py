"""Exports a lead can send: the scorecard and a run as CSV and as a one-page HTML report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from assistant import report_export as export
from assistant.scorecard import scorecards
from assistant.store import Store
from tests.unit.test_scorecard import LOCAL, _metrics, save_run


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
