"""Session plans built in code from the knowledge base's activity cards.

The model never decides structure: this module picks the activities and their minutes so that
every invariant holds by construction — minutes sum exactly to the requested duration, every
item rests on a real card, a first session sets expectations, a closing session reflects, each
stated goal gets a block of its own, and a session of TEACH_BACK_MINUTES or more has the senior
teach back (the reverse half of reverse mentoring).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from assistant.knowledge import ActivityCard
from assistant.lexical import tokenize


@dataclass
class PlannedItem:
    card: ActivityCard
    minutes: int
    required: bool = False
    # Lower is shrunk and dropped first: feedback round 10, extra core work 20-26, check-in 30,
    # later goals 33-34, wrap-up 40, teach-back 50, the first goal 60; required items 80-90.
    priority: int = 0
    notes: list[str] = field(default_factory=list)
    goal: str = ""  # the stated goal this block works on
    guides: list[str] = field(default_factory=list)  # guide/playbook sources the item uses


def _providing(cards: list[ActivityCard], role: str, stage: str) -> list[ActivityCard]:
    return [c for c in cards if role in c.provides and c.suits(stage)]


REVIEW = "action-review"  # `provides` of the review item a pair's open actions get
TEACH_BACK = "teach-back"  # `provides` of the card where the senior teaches the junior
TEACH_BACK_MINUTES = 30  # a session this long or longer has a teach-back block
MAX_GOAL_BLOCKS = 3
# The charter or the reflection carries a goal when it is among the goal's first few cards and
# shares a word with the goal (not "film a first clip" on a first session's charter).
CARRIER_RANK = 5
# Stems every card's summary uses: sharing one of them says nothing.
_SESSION_STEMS = frozenset(tokenize("first session together pairing mentor mentee"))


def _shares_words(a: str, b: str) -> bool:
    return bool((set(tokenize(a)) & set(tokenize(b))) - _SESSION_STEMS)


REVIEW_TITLE = "Review of open action items"


def review_card(catalog: dict[str, ActivityCard], open_actions: int) -> ActivityCard | None:
    """The review of last sessions' open actions rests on the check-in card (its "look back"
    step), lengthened by about two minutes per open item: a plan item of its own, never cut."""
    check_in = [c for c in catalog.values() if "check-in" in c.provides]
    if open_actions <= 0 or not check_in:
        return None
    card = sorted(check_in, key=lambda c: c.source)[0]
    usual = min(15, 3 + 2 * open_actions)
    return replace(
        card,
        title=REVIEW_TITLE,
        summary="Go through every action item still open from earlier sessions.",
        minutes_min=min(usual, 3 + open_actions),
        minutes_max=max(usual, 15),
        minutes_default=usual,
        slot="opening",
        provides=(REVIEW,),
    )


def plan_session(
    catalog: Mapping[str, ActivityCard],
    stage: str,
    minutes: int,
    ranked_sources: list[str],
    open_actions: int = 0,
    goals: Sequence[tuple[str, list[str]]] = (),
) -> list[PlannedItem]:
    """Choose activities and minutes. `ranked_sources` orders cards by relevance to the topic;
    `open_actions` > 0 adds a required review item for a pair's open action items; `goals`
    are the stated goals, each with the cards ranked by relevance to it: each goal (up to
    MAX_GOAL_BLOCKS) gets a core block of its own, its best card not used yet (or, when every
    fitting card is taken, its best card again)."""
    cards = list(catalog.values())
    rank = {s: i for i, s in enumerate(ranked_sources)}
    by_relevance = sorted(cards, key=lambda c: (rank.get(c.source, 10_000), c.source))

    opening: list[PlannedItem] = []
    required: list[PlannedItem] = []
    wrap: list[PlannedItem] = []
    if minutes >= 20:
        opening = [
            PlannedItem(c, c.minutes_default, priority=30)
            for c in _providing(by_relevance, "check-in", stage)[:1]
        ]
    review = review_card(catalog, open_actions)
    if review is not None:
        required.append(PlannedItem(review, review.minutes_default, required=True, priority=80))
    if stage == "first":
        required += [
            PlannedItem(c, c.minutes_default, required=True, priority=90)
            for c in _providing(by_relevance, "expectation-setting", stage)[:1]
        ]
    if stage == "closing":
        reflective = _providing(by_relevance, "reflection", stage)
        # A long closing session can afford the full retrospective; a short one reflects briefly.
        reflective.sort(key=lambda c: c.minutes_min if minutes < 45 else -c.minutes_default)
        required += [
            PlannedItem(c, c.minutes_default, required=True, priority=90) for c in reflective[:1]
        ]
    if minutes >= 15:
        wrap += [
            PlannedItem(c, c.minutes_default, priority=40)
            for c in _providing(by_relevance, "action-planning", stage)[:1]
        ]
    if minutes >= 60:
        wrap += [
            PlannedItem(c, c.minutes_default, priority=10)
            for c in _providing(by_relevance, "feedback", stage)[:1]
        ]

    teach: list[PlannedItem] = []
    if minutes >= TEACH_BACK_MINUTES:
        teach = [
            PlannedItem(c, c.minutes_default, priority=50)
            for c in _providing(by_relevance, TEACH_BACK, stage)[:1]
        ]

    def core_card(card: ActivityCard) -> bool:
        return (
            card.slot == "core"
            and card.suits(stage)
            and not ({"expectation-setting", "reflection", TEACH_BACK} & set(card.provides))
        )

    chosen = {i.card.source for i in opening + required + wrap + teach}
    # The charter and the reflection can carry a goal without a block of their own, when the
    # goal's ranking puts them first ("agree what stays confidential" is the charter's work in
    # a first session). The teach-back keeps its own purpose.
    carriers = {i.card.source: i for i in required if REVIEW not in i.card.provides}
    goal_items: list[PlannedItem] = []
    for goal, sources in [g for g in goals if g[0].strip()][:MAX_GOAL_BLOCKS]:
        ranked_here = [
            catalog[s] for s in sources if s in catalog and (core_card(catalog[s]) or s in carriers)
        ]
        ranked_here += [c for c in by_relevance if core_card(c) and c not in ranked_here]
        free = [
            c
            for c in ranked_here
            if (
                c.source in carriers
                and not carriers[c.source].goal
                and c.source in sources[:CARRIER_RANK]
                and _shares_words(goal, f"{c.title} {c.summary}")
            )
            or (c.source not in chosen and core_card(c))
        ]
        # A card that cannot fit beside what must stay is a last resort (a 15-minute session
        # with a wrap-up has 10 minutes for its goal).
        room = minutes - sum(i.card.minutes_min for i in required + teach + wrap + goal_items)
        fits = [c for c in free if c.minutes_min <= room or c.source in carriers]
        card = (
            next(iter(fits), None)
            or next(iter(free), None)
            or next((c for c in ranked_here if core_card(c)), None)
        )
        if card is None:
            continue
        if card.source in carriers and not carriers[card.source].goal:
            carriers[card.source].goal = goal
            continue
        chosen.add(card.source)
        priority = 60 if not goal_items else 35 - len(goal_items)
        goal_items.append(PlannedItem(card, card.minutes_default, priority=priority, goal=goal))
    candidates = [c for c in by_relevance if core_card(c) and c.source not in chosen]
    core: list[PlannedItem] = []
    must = sum(i.card.minutes_min for i in required + teach + wrap)
    if not goals and candidates and minutes - must >= candidates[0].minutes_min:
        # No goal stated: the topic's best activity is the session's main block, when it fits
        # beside what must stay (a 15-minute first session keeps its charter and wrap-up).
        core.append(PlannedItem(candidates.pop(0), 0, priority=60))
        core[0].minutes = core[0].card.minutes_default

    def total() -> int:
        return sum(i.minutes for i in opening + required + goal_items + teach + core + wrap)

    # Fill with the most relevant core activities while they fit at their default length.
    for card in candidates:
        room = minutes - total()
        if room >= card.minutes_min and (room >= card.minutes_default or not (core or goal_items)):
            core.append(PlannedItem(card, min(card.minutes_default, room), priority=25 - len(core)))
    if (
        not core
        and not required
        and not goal_items
        and candidates
        and minutes - total() < candidates[0].minutes_min
    ):
        # A very short session still needs one substantive activity.
        core.append(PlannedItem(candidates[0], candidates[0].minutes_min, priority=26))

    groups = (opening, required, goal_items, core, teach, wrap)
    _fit([i for g in groups for i in g], minutes, *groups)
    kept = [i for g in groups for i in g if i.minutes > 0]
    # A goal whose block did not fit goes to a block that stayed and has no goal yet (a
    # 15-minute closing session is one reflection: it is where the goal gets worked on).
    dropped = [g for g, _ in goals if g.strip() and not any(i.goal == g for i in kept)]
    hosts = [
        i for i in kept if not i.goal and i.card.slot == "core" and REVIEW not in i.card.provides
    ]
    for goal, host in zip(dropped[:MAX_GOAL_BLOCKS], hosts, strict=False):
        host.goal = goal
    return kept


def _fit(items: list[PlannedItem], minutes: int, *groups: list[PlannedItem]) -> None:
    def total() -> int:
        return sum(i.minutes for g in groups for i in g)

    def alive() -> list[PlannedItem]:
        return [i for g in groups for i in g]

    # Too long: shrink toward each card's minimum, least important first; then drop optional
    # items; then squeeze what must stay.
    for item in sorted(alive(), key=lambda i: i.priority):
        excess = total() - minutes
        if excess <= 0:
            break
        item.minutes -= min(excess, item.minutes - item.card.minutes_min)
    # Still too long: what must stay may run up to a third under its minimum if that keeps
    # the rest, e.g. a 15-minute first session keeps its wrap-up (agreeing next steps) with a
    # 10-minute charter rather than spending all 15 minutes on the charter alone.
    excess = total() - minutes
    if excess > 0:
        room = {
            id(i): i.minutes - math.ceil(i.card.minutes_min * 2 / 3) for i in alive() if i.required
        }
        if sum(max(0, r) for r in room.values()) >= excess:
            for item in [i for i in alive() if i.required]:
                cut = min(max(0, room[id(item)]), excess)
                if cut:
                    item.minutes -= cut
                    excess -= cut
                    item.notes.append("shortened below the card's usual minimum to fit the session")
    while total() > minutes:
        optional = [i for i in alive() if not i.required]
        if not optional or len(alive()) == 1:
            break
        victim = min(optional, key=lambda i: i.priority)
        for group in groups:
            if victim in group:
                group.remove(victim)
    if total() > minutes:
        remaining = alive()
        scale = minutes / total()
        for item in remaining:
            item.minutes = max(1, int(item.minutes * scale))
            item.notes.append("shortened below the card's usual minimum to fit the session")
    # Too short: stretch toward each card's maximum, most important core work first.
    for item in sorted(alive(), key=lambda i: (i.card.slot != "core", -i.priority)):
        gap = minutes - total()
        if gap <= 0:
            break
        item.minutes += min(gap, item.card.minutes_max - item.minutes)
    # Still short (a long workshop): the main core activity runs longer than usual.
    gap = minutes - total()
    if gap > 0:
        core_items = [i for i in alive() if i.card.slot == "core"] or alive()
        longest = max(core_items, key=lambda i: i.minutes)
        longest.minutes += gap
        longest.notes.append("extended beyond the card's usual length to fill the session")
    # Rounding in the squeeze can leave a small difference: settle it on the longest item.
    gap = minutes - total()
    if gap:
        longest = max(alive(), key=lambda i: i.minutes)
        longest.minutes += gap
