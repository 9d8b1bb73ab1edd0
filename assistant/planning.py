"""Session plans built in code from the knowledge base's activity cards.

The model never decides structure: this module picks the activities and their minutes so that
every invariant holds by construction — minutes sum exactly to the requested duration, every
item rests on a real card, a first session sets expectations, a closing session reflects, each
stated goal goes to a block of its kind (the senior teaching to the teach-back, agreeing how to
work to the charter, looking back to the reflection, hands-on work to a hands-on card; the
others to the best card for them), and a session of TEACH_BACK_MINUTES or more has the senior
teach back (the reverse half of reverse mentoring). benchmarks/agenda_plans.py measures where
goals land on requests written blind.
"""

from __future__ import annotations

import math
import re
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
    more_goals: list[str] = field(default_factory=list)  # a carrier's second goal of its kind
    guides: list[str] = field(default_factory=list)  # guide/playbook sources the item uses

    @property
    def goals(self) -> list[str]:
        return [self.goal, *self.more_goals] if self.goal else []

    def carry(self, goal: str) -> bool:
        """Take the goal as this item's first, or (up to MAX_GOALS_PER_ITEM) next, goal."""
        if not self.goal:
            self.goal = goal
            return True
        if len(self.goals) < MAX_GOALS_PER_ITEM:
            self.more_goals.append(goal)
            return True
        return False


def _providing(cards: list[ActivityCard], role: str, stage: str) -> list[ActivityCard]:
    return [c for c in cards if role in c.provides and c.suits(stage)]


REVIEW = "action-review"  # `provides` of the review item a pair's open actions get
TEACH_BACK = "teach-back"  # `provides` of the card where the senior teaches the junior
TEACH_BACK_MINUTES = 30  # a session this long or longer has a teach-back block
MAX_GOAL_BLOCKS = 3
# The charter, the reflection and the teach-back can work on two goals of their own kind (a
# first session's "agree how often we meet" and "say what we each want out of this").
MAX_GOALS_PER_ITEM = 2
# The charter or the reflection carries a goal when it is among the goal's first few cards and
# shares a word with the goal (not "film a first clip" on a first session's charter).
CARRIER_RANK = 5
# Stems every card's summary uses: sharing one of them says nothing.
_SESSION_STEMS = frozenset(tokenize("first session together pairing mentor mentee"))


def _shares_words(a: str, b: str) -> bool:
    return bool((set(tokenize(a)) & set(tokenize(b))) - _SESSION_STEMS)


# A goal where the senior teaches the junior ("she walks me through how budgets get approved",
# "get his advice on my next career move") belongs in the teach-back, not in a block where the
# junior teaches. Goals are typed by the junior mentor: "me"/"my" is the mentor, he/she/they
# the senior.
_SENIOR = r"(he|she|they)"
_JUDGES = (
    r"(decide|choose|handle|judge|prioriti[sz]e|escalate|look|read|pick|negotiate|prepare|"
    r"present|deal|approach|manage|spot|know|sort|weigh|push|defend|plan|run|win|check|"
    r"review|look for|watch)"
)
_BUSINESS = (
    r"(board|budget|funding|stakeholder|negotiat|promotion|escalat|business case|p&l|strateg|"
    r"decisions? (get|are|is) (made|taken)|office politics|executive|leadership team|"
    r"investment|prioriti[sz]|headcount|forecast|politics|merger|restructur)"
)
_TEACH_BACK_FORMS = (
    # "walk me through", "show me how", "give me advice": the senior teaching the writer
    r"\b(walk|talk|take|run)s? me (through|thru)\b",
    r"\b(show|teach|tell|coach|explain to|advise)(e?s)? me (how|why|what|which|when|about)\b",
    r"\b(give|offer)s? me (advice|feedback|tips|pointers|guidance|(his|her|their) (take|view))\b",
    # "he explains how he reads the room"
    rf"\b{_SENIOR} (explain|show|share|describe|tell|teach|walk|talk|coache?)s?\b"
    r"( \w+){0,2} (how|why|what|which|when)\b",
    # "her advice on presenting", "get his take on whether I should..."
    r"\b(his|her|their) (\w+ )?(take|advice|read|tips|guidance|opinion|pointers)\b",
    # the senior's own past: "how did she get it through legal", "how he kept his team on side"
    rf"\b(how|when|why) (did|has|had) {_SENIOR}\b",
    rf"^\s*how {_SENIOR} (got|kept|won|turned|handled|dealt|managed|convinced|sold|built|led)\b",
    # asked of the senior: "how do you get five directors to sign up", "should I do an MBA"
    r"\bhow (do|would|did) you (get|convince|persuade|win|handle|sell|pitch|negotiate|keep|"
    r"deal|manage|lead|decide|choose)\b",
    r"\bshould (i|I)\b",
    # how the organisation decides: "get approved", "go up to the MD", "who makes that call"
    r"\b(gets?|is|are) (approved|signed off|funded|escalated)\b|\b(go|goes) up to\b",
    r"\bwho (makes|decides|signs|approves)\b",
    r"^\s*(how|when|who|why)\b[^.;?]*\b" + _BUSINESS,
    r"\b(his|her|their) (views?|perspective|experience|thoughts|feedback|stories|lessons|"
    r"playbook|judge?ment) (on|about|for) (my|me)\b",
    r"\b(advice|feedback|tips|guidance|pointers) (on|about|for) my\b",
    # "how does she decide which meetings to skip", "what he looks at first"
    rf"^\s*(how|when|why|what|which)( \w+)?( (does|do|did|would|will))? {_SENIOR} {_JUDGES}",
    # "learn how she decides", "ask her how she handles a difficult stakeholder"
    rf"\b(learn|understand|hear|find out|ask (him|her|them))\b[^.;]*\b(how|why|what|when|which) "
    rf"{_SENIOR}\b",
    # how the business works: "understand how budget approval works", "what goes into a board
    # paper and what gets cut"
    r"\b(learn|understand|hear|find out|get a (sense|feel) (of|for))\b[^.;]*\b" + _BUSINESS,
    rf"\b{_SENIOR} (explain|teach|describe|share|walk)s?\b[^.;]*\b" + _BUSINESS,
    r"\b(what|how)\b[^.;]{0,30}\b(goes|go|gets|get|is|are) (into|cut|made|approved|decided|"
    r"set|signed off|funded)\b[^.;]*\b(board|budget|funding|headcount|business case|p&l|"
    r"proposal|forecast|plan|paper)s?\b",
)
_TEACH_BACK_GOAL = re.compile("|".join(_TEACH_BACK_FORMS), re.I)
# Looking back on what was learned is the reflection's work, and the junior teaching is not
# a teach-back ("I show her how I filter my feed").
_NOT_TEACH_BACK = re.compile(
    r"^\s*(reflect|look(ing)? back|review|rate|celebrate|write down what)\b"
    r"|\bI (show|teach|explain|walk|coach|help)\b"
    # how the junior's generation sees it is a discussion
    r"|\b(my gen(eration)?|gen z|younger (staff|colleagues|people|hires))\b",
    re.I,
)


# Goals that are the charter's or the reflection's own work, whatever the retrieval ranking:
# agreeing how the pair works together, and looking back.
_CHARTER_GOAL = re.compile(
    r"\b(ground rules|expectations?|confidential\w*|between us|how often|meeting rhythm|"
    r"how we('ll| will)? (work|meet|give|tell)|reschedul\w*|cancel\w*|"
    r"(wants?|hopes?|hoping) (to get )?out of (this|it|the program\w*)|hopes? to (get|learn)|"
    r"get out of (this|the program\w*))\b",
    re.I,
)
_REFLECTION_GOAL = re.compile(
    r"^\s*(look(ing)? back|reflect|compare|celebrate|rate how|progress (on|against)|"
    r"write down what (each of us|we)|what (changed|we('ve| have)? learned))\b"
    r"|\b(stay in touch|after the program\w*|once the program\w* (is over|ends))\b",
    re.I,
)


HANDS_ON = "hands-on"  # `provides` of the cards where the senior does the work with a tool
# The senior doing something with a tool: a hands-on block, not a talk.
_DOES = (
    r"(tries|tried|try|set up|build|record|draft|rewrite|write|post|send|connect|create|edit|"
    r"install|subscribe|schedule|film|turn on|update|use|make|automate|prompt|publish|upload|"
    r"sign up|log in|add|design|summari[sz]e|analy[sz]e|clean up|move|convert|tag|find)(s|es|ed)?"
)
_HANDS_ON_GOAL = re.compile(
    rf"^\s*(\w+ )?(let (him|her|them) |help (him|her|them) |get (him|her|them) (to )?)?{_DOES}\b"
    rf"|\b(he|she|they) {_DOES}\b"
    r"|\b(hands-on|practi[sc]e|try it|set up|logged in|installed)\b",
    re.I,
)


def carrier_fits(goal: str, card: ActivityCard) -> bool:
    """Is the goal the charter's (a first session) or the reflection's (a closing) own work?"""
    if "expectation-setting" in card.provides:
        return bool(_CHARTER_GOAL.search(goal))
    if "reflection" in card.provides:
        return bool(_REFLECTION_GOAL.search(goal))
    return False


def teaches_back(goal: str) -> bool:
    """Is this a goal where the senior teaches the junior (the reverse half)? Not when it is
    the charter's work ("find out what she wants out of the programme")."""
    return (
        bool(_TEACH_BACK_GOAL.search(goal))
        and not _NOT_TEACH_BACK.search(goal)
        and not _CHARTER_GOAL.search(goal)
    )


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

    teach_cards = _providing(by_relevance, TEACH_BACK, stage)
    teach: list[PlannedItem] = []
    if minutes >= TEACH_BACK_MINUTES:
        teach = [PlannedItem(c, c.minutes_default, priority=50) for c in teach_cards[:1]]

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
        if teaches_back(goal) and teach_cards:
            # The senior teaches: the teach-back works on it, or (in a session too short for
            # one, or when it already has a goal) a teach-back block of its own.
            priority = 60 if not goal_items else 35 - len(goal_items)
            if teach and teach[0].carry(goal):
                teach[0].priority = max(teach[0].priority, priority)
                continue
            if teach_cards[0].source not in chosen:
                chosen.add(teach_cards[0].source)
                goal_items.append(
                    PlannedItem(
                        teach_cards[0], teach_cards[0].minutes_default, priority=priority, goal=goal
                    )
                )
                continue
        own = [i for i in carriers.values() if carrier_fits(goal, i.card)]
        if own and own[0].carry(goal):
            continue
        ranked_here = [
            catalog[s] for s in sources if s in catalog and (core_card(catalog[s]) or s in carriers)
        ]
        ranked_here += [c for c in by_relevance if core_card(c) and c not in ranked_here]
        if _HANDS_ON_GOAL.search(goal):
            # stable: the best-ranked hands-on card first, the rest in their order
            ranked_here.sort(key=lambda c: HANDS_ON not in c.provides)
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
    dropped = [g for g, _ in goals if g.strip() and not any(g in i.goals for i in kept)]
    for goal in dropped[:MAX_GOAL_BLOCKS]:
        # A kept item of the goal's own kind takes it (as its second goal if it has one);
        # otherwise a core block without a goal. The teach-back keeps its own purpose unless
        # the goal is the senior teaching.
        kin = [
            i
            for i in kept
            if (TEACH_BACK in i.card.provides and teaches_back(goal)) or carrier_fits(goal, i.card)
        ]
        if any(i.carry(goal) for i in kin):
            continue
        host = next(
            (
                h
                for h in kept
                if not h.goal
                and h.card.slot == "core"
                and REVIEW not in h.card.provides
                and (teaches_back(goal) or TEACH_BACK not in h.card.provides)
            ),
            None,
        )
        if host is not None:
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
