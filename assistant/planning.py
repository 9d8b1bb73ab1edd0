"""Session plans built in code from the knowledge base's activity cards.

The model never decides structure: this module picks the activities and their minutes so that
every invariant holds by construction — minutes sum exactly to the requested duration, every
item rests on a real card, a first session sets expectations, a closing session reflects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from assistant.knowledge import ActivityCard


@dataclass
class PlannedItem:
    card: ActivityCard
    minutes: int
    required: bool = False
    priority: int = 0  # lower is dropped or shrunk first
    notes: list[str] = field(default_factory=list)


def _providing(cards: list[ActivityCard], role: str, stage: str) -> list[ActivityCard]:
    return [c for c in cards if role in c.provides and c.suits(stage)]


REVIEW = "action-review"  # `provides` of the review item a pair's open actions get
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
) -> list[PlannedItem]:
    """Choose activities and minutes. `ranked_sources` orders cards by relevance to the topic;
    `open_actions` > 0 adds a required review item for a pair's open action items."""
    cards = list(catalog.values())
    rank = {s: i for i, s in enumerate(ranked_sources)}
    by_relevance = sorted(cards, key=lambda c: (rank.get(c.source, 10_000), c.source))

    opening: list[PlannedItem] = []
    required: list[PlannedItem] = []
    wrap: list[PlannedItem] = []
    if minutes >= 20:
        opening = [
            PlannedItem(c, c.minutes_default, priority=2)
            for c in _providing(by_relevance, "check-in", stage)[:1]
        ]
    review = review_card(catalog, open_actions)
    if review is not None:
        required.append(PlannedItem(review, review.minutes_default, required=True, priority=8))
    if stage == "first":
        required += [
            PlannedItem(c, c.minutes_default, required=True, priority=9)
            for c in _providing(by_relevance, "expectation-setting", stage)[:1]
        ]
    if stage == "closing":
        reflective = _providing(by_relevance, "reflection", stage)
        # A long closing session can afford the full retrospective; a short one reflects briefly.
        reflective.sort(key=lambda c: c.minutes_min if minutes < 45 else -c.minutes_default)
        required += [
            PlannedItem(c, c.minutes_default, required=True, priority=9) for c in reflective[:1]
        ]
    if minutes >= 15:
        wrap += [
            PlannedItem(c, c.minutes_default, priority=3)
            for c in _providing(by_relevance, "action-planning", stage)[:1]
        ]
    if minutes >= 60:
        wrap += [
            PlannedItem(c, c.minutes_default, priority=1)
            for c in _providing(by_relevance, "feedback", stage)[:1]
        ]

    chosen = {i.card.source for i in opening + required + wrap}
    candidates = [
        c
        for c in by_relevance
        if c.slot == "core"
        and c.suits(stage)
        and c.source not in chosen
        and not ({"expectation-setting", "reflection"} & set(c.provides))
    ]
    core: list[PlannedItem] = []

    def total() -> int:
        return sum(i.minutes for i in opening + required + core + wrap)

    # Fill with the most relevant core activities while they fit at their default length.
    for card in candidates:
        room = minutes - total()
        if room >= card.minutes_min and (room >= card.minutes_default or not core):
            core.append(PlannedItem(card, min(card.minutes_default, room), priority=5 - len(core)))
    if not core and not required and candidates and minutes - total() < candidates[0].minutes_min:
        # A very short session still needs one substantive activity.
        core.append(PlannedItem(candidates[0], candidates[0].minutes_min, priority=6))

    items = opening + required + core + wrap
    _fit(items, minutes, opening, required, core, wrap)
    return [i for i in opening + required + core + wrap if i in items and i.minutes > 0]


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
