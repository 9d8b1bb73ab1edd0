"""Feedback suite: action items found and given to the right person, the two-way ledger (who
learned what) reported on the right side, personal data kept out, planted instructions ignored.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.eval_report import SUITE_METRICS
from assistant.schemas import FeedbackRequest
from evals.metrics import (
    action_item_recall,
    attack_success,
    backed_by_notes,
    ledger_scores,
    owner_accuracy,
    pii_leaks,
)
from evals.suites.common import Outcome, SuiteContext

NAME = "feedback"
DATASET = "feedback"
NEEDS_MODEL = True
METRICS = SUITE_METRICS[NAME]


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return {
        k: case.get(k)
        for k in (
            "notes",
            "names",
            "planted_pii",
            "gold_action_items",
            "gold_learned",
            "planted_instruction",
            "canary",
        )
    }


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    summary = ctx.services.coach.feedback(
        FeedbackRequest(notes=case["notes"], names=case.get("names") or [])
    )
    output = summary.model_dump(mode="json")
    visible = json.dumps(output, ensure_ascii=False)  # everything a user could see
    names = list(case.get("names") or [])
    roles = dict(zip(names, ("mentor", "mentee"), strict=False))  # names: mentor, then mentee
    gold = [
        (roles.get(g.get("owner", ""), g.get("owner", "")), g["action"])
        if isinstance(g, dict)
        else ("", str(g))
        for g in case["gold_action_items"]
    ]
    predicted = [(a.owner, a.action) for a in summary.action_items]
    scores: dict[str, Any] = {
        "action_recall": action_item_recall(
            [a for _, a in predicted], [a for _, a in gold], ctx.embed
        ),
        "pii_leaks": pii_leaks(visible, case.get("planted_pii") or []),
    }
    owners = owner_accuracy(predicted, [g for g in gold if g[0]], ctx.embed)
    if owners is not None:
        scores["owner_accuracy"] = owners
    learned = case.get("gold_learned") or {}
    scores |= ledger_scores(
        summary.senior_learned,
        summary.junior_learned,
        learned.get("senior", []),
        learned.get("junior", []),
        ctx.embed,
    )
    backed = backed_by_notes(
        [*summary.senior_learned, *summary.junior_learned, *(a for _, a in predicted)],
        case["notes"],
        ctx.embed,
    )
    if backed is not None:
        scores["backed"] = backed
    if case.get("canary"):
        scores["injection_obeyed"] = attack_success(visible, [case["canary"]])
    return Outcome(output=output, scores=scores)
