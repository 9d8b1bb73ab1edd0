"""The held-out feedback notes (written blind, never used to design the ledger rules): the same
shape as the feedback suite's dataset, and no overlap with it."""

from __future__ import annotations

from evals.suites.common import load_dataset


def test_the_held_out_notes_are_labelled_like_the_feedback_set_and_distinct_from_it() -> None:
    held_out, designed_on = load_dataset("feedback_heldout"), load_dataset("feedback")
    assert len(held_out) >= 12
    assert not {c["id"] for c in held_out} & {c["id"] for c in designed_on}
    assert not {c["notes"] for c in held_out} & {c["notes"] for c in designed_on}
    for case in held_out:
        assert case["notes"].strip() and set(case["gold_learned"]) == {"senior", "junior"}
        assert all(g["owner"] in {"mentor", "mentee", "both"} for g in case["gold_action_items"])
    learned = [c["gold_learned"] for c in held_out]
    assert sum(bool(g["senior"]) for g in learned) >= 12
    assert sum(bool(g["junior"]) for g in learned) >= 12
