"""Goal-led agenda plans on held-out requests, no model: where each goal lands, teach-back,
citations.

    python benchmarks/agenda_plans.py [REQUESTS.jsonl] [-v]

The default requests (evals/datasets/agenda_plans_heldout.jsonl, 24) were written blind in
session 7 after the planning rules were set; each goal is labelled with the kind of block a
person would expect it to be worked on in. agenda_plans_heldout2.jsonl (30) was written blind
in session 8 before the goal-intent rules (teach-back, charter, reflection, hands-on) and
agenda_plans_heldout3.jsonl (24) after them. `-v` lists the goals that landed elsewhere.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.agendas import check_agenda  # noqa: E402
from assistant.config import get_settings  # noqa: E402
from assistant.planning import MAX_GOAL_BLOCKS, TEACH_BACK  # noqa: E402
from assistant.schemas import AgendaRequest  # noqa: E402
from assistant.services import Services  # noqa: E402

CARDS = "activities/{}.md"
HOME = {
    "charter": {"expectation-setting-charter"},
    "reflection": {"pairing-retrospective", "progress-reflection"},
    "teach-back": {"business-judgement-exchange"},
    "practice": {"guided-practice-task", "live-demo-and-try-it", "scenario-role-play"},
    "discussion": {
        "ask-me-anything",
        "show-me-your-feed",
        "learning-goals-map",
        "scenario-role-play",
    },
}


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    path = Path(args[0]) if args else ROOT / "evals" / "datasets" / "agenda_plans_heldout.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    os.environ.setdefault("COACH_MODEL", "scripted")
    coach = Services(get_settings()).coach
    known = {str(c.metadata["source"]) for c in coach.retriever.index.all_chunks()}
    goals = one_block = at_home = unused = invalid = 0
    two_way: list[bool] = []
    asked: collections.Counter[str] = collections.Counter()
    landed: collections.Counter[str] = collections.Counter()
    for row in rows:
        request = AgendaRequest.from_input(
            topic=row["topic"], minutes=row["minutes"], stage=row["stage"], goals=row["goals"]
        )
        job = coach.plan_agenda(request)
        agenda = job.preview
        invalid += bool(check_agenda(agenda, request.minutes, known))
        used = {s for item in agenda.items for s in item.sources}
        unused += len({c.source for c in agenda.citations} - used)
        if request.minutes >= 30:
            two_way.append(any(TEACH_BACK in i.card.provides for i in job.plan))
        pairs = list(zip(row["goals"], row["expect_goal_home"], strict=True))
        for goal, kind in pairs[:MAX_GOAL_BLOCKS]:
            goals += 1
            asked[kind] += 1
            holders = [i for i in job.plan if goal in i.goals]
            one_block += len(holders) == 1
            home = {CARDS.format(name) for name in HOME[kind]}
            if holders and holders[0].card.source in home:
                landed[kind] += 1
                at_home += 1
            elif verbose:
                where = holders[0].card.title if holders else None
                print(f"  {row['id']} {row['stage']} {row['minutes']} {kind}: {goal} -> {where}")
    print(
        f"requests {len(rows)}; goals (the first {MAX_GOAL_BLOCKS} of each) {goals}: "
        f"in exactly one block {one_block}/{goals}; in the expected kind of block "
        f"{at_home}/{goals}"
    )
    print("  by kind:", {k: f"{landed[k]}/{n}" for k, n in asked.items()})
    print(
        f"teach-back in sessions of 30 min or more {sum(two_way)}/{len(two_way)}; "
        f"unused citations {unused}; invalid agendas {invalid}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
