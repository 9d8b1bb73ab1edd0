"""The wording rules of issue 16 against the hand-labelled examples (written before any rule).

Every rule was designed on the examples whose id ends in an even number; the odd ones are held
out. Accuracy measured on this branch by this file's test (run it with
`.venv/bin/python -m pytest tests/unit/test_wording_metrics.py`), even (tuned) / odd (held out):

    goal_coverage             10/14 = 0.71  /  10/14 = 0.71
    card_copy                 13/14 = 0.93  /  16/16 = 1.00
    two_way_exchange          14/14 = 1.00  /  11/14 = 0.79
    unused_citations          14/14 = 1.00  /  14/14 = 1.00
    answer_opening            14/14 = 1.00  /  10/16 = 0.62
    persona_fit               14/14 = 1.00  /  10/14 = 0.71
    starter_template_repeats  14/14 = 1.00  /  14/14 = 1.00

The asserted floors are these measurements, so a change that makes a rule worse fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.embeddings import get_embedder
from evals import wording

LABELS = Path(__file__).resolve().parents[1] / "data" / "wording_labels.jsonl"
Embed = Callable[[list[str]], np.ndarray]

# metric: (even accuracy, odd accuracy) as measured
MEASURED = {
    "goal_coverage": (10 / 14, 10 / 14),
    "card_copy": (13 / 14, 16 / 16),
    "two_way_exchange": (14 / 14, 11 / 14),
    "unused_citations": (14 / 14, 14 / 14),
    "answer_opening": (14 / 14, 10 / 16),
    "persona_fit": (14 / 14, 10 / 14),
    "starter_template_repeats": (14 / 14, 14 / 14),
}


def flags_fault(metric: str, case: dict[str, Any], embed: Embed) -> bool:
    """Does the rule for `metric` call this labelled example bad?"""
    if metric == "goal_coverage":
        return wording.goal_coverage(case["goals"], case["items"], embed) < 1.0
    if metric == "card_copy":
        return wording.is_card_copy(case["details"], case["card_text"])
    if metric == "two_way_exchange":
        return wording.two_way_applies(case["minutes"]) and not wording.has_two_way_exchange(
            case["items"]
        )
    if metric == "unused_citations":
        cited = [c["source"] for c in case["citations"]]
        return bool(wording.unused_citations(case["items"], cited))
    if metric == "answer_opening":
        return wording.opening_fault(case["question"], case["answer"]) is not None
    if metric == "persona_fit":
        return wording.persona_fault(case["persona"], case["answer"]) is not None
    if metric == "starter_template_repeats":
        return bool(wording.template_repeats(case["starters"]))
    raise AssertionError(f"no rule for {metric}")


@pytest.fixture(scope="module")
def embed() -> Embed:
    return get_embedder().embed


def _examples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line]


def test_every_metric_has_at_least_ten_good_and_ten_bad_examples() -> None:
    for metric in MEASURED:
        labels = [e["label"] for e in _examples() if e["metric"] == metric]
        assert labels.count("good") >= 10 and labels.count("bad") >= 10, metric


@pytest.mark.parametrize("metric", sorted(MEASURED))
def test_rule_accuracy_on_tuned_and_held_out_halves(metric: str, embed: Embed) -> None:
    right = {0: 0, 1: 0}
    total = {0: 0, 1: 0}
    for example in _examples():
        if example["metric"] != metric:
            continue
        half = int(example["id"].rsplit("-", 1)[1]) % 2
        total[half] += 1
        right[half] += flags_fault(metric, example["input"], embed) == (example["label"] == "bad")
    even, odd = MEASURED[metric]
    assert right[0] / total[0] >= even - 1e-9, f"{metric} even {right[0]}/{total[0]}"
    assert right[1] / total[1] >= odd - 1e-9, f"{metric} odd {right[1]}/{total[1]}"


def test_template_repeat_is_one_frame_with_a_noun_swapped() -> None:
    starters = [
        "How do you feel about your current profile on LinkedIn?",
        "How do you feel about your current network on LinkedIn?",
        "What worries you most about posting publicly?",
    ]
    assert wording.template_repeats(starters) == [1]
    assert wording.template_repeats(starters[1:]) == []


def test_answer_opening_sees_a_leading_marker_but_not_a_trailing_one() -> None:
    question = "Should I share the agenda before the session?"
    assert wording.opening_fault(question, "[1] Yes, send it a day ahead.") is not None
    assert wording.opening_fault(question, "Yes, send it a day ahead [1].") is None
