"""Wording metrics: rules that see the faults of issue 16 in agendas, answers and starters.

Each rule is a pure function over plain data (dicts and strings), so the suites can score the
coach's output and the unit tests can check the rule against the hand-labelled examples in
tests/data/wording_labels.jsonl. The rules were designed on the examples with an even number in
their id only; the odd ones are held out (see tests/unit/test_wording_metrics.py for both
accuracies). A few rules take an `embed` function for meaning similarity (the MiniLM embedder).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

Embed = Callable[[Sequence[str]], np.ndarray]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    """a an the and or but of to in on for with at by from as is are was were be been being it
    its this that these those you your yours i me my we our us they them their he she his her him
    do does did how what which who whom why when where can could should would will shall may might
    must not no so if then than there here about into over up out any some each one two very just
    also more most such only own same too all both few other again once have has had get
    gets""".split()
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in _STOP and len(w) > 2]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in content_words(text)}


def _cosine(embed: Embed, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    vectors = embed([*a, *b])
    return vectors[: len(a)] @ vectors[len(a) :].T


# ---------------------------------------------------------------- agenda: goal coverage

# An item that only mentions a goal "if there is time" or lists it while confirming the plan
# does not work on it.
_HEDGED = re.compile(
    r"\b(if (there is|there's) time|if it comes up|might (also )?talk|whether anything|"
    r"review today's goals|confirm (the|today's) (two |three )?goals)\b",
    re.I,
)
# A goal is worked on when meaning (cosine) plus shared words (share of the goal's content words)
# reach this sum; chosen on the even-numbered labelled plans. Meaning alone missed paraphrases
# and passed items on the right topic that do not work on the goal.
GOAL_EVIDENCE = 0.55


def goal_coverage(goals: Sequence[str], items: Sequence[Mapping[str, Any]], embed: Embed) -> float:
    """Share of stated goals that some item works on (1.0 when no goal was stated).

    An item works on a goal when its activity and details are close to the goal in meaning and
    words (see GOAL_EVIDENCE) and it does not merely mention the goal in passing.
    """
    goals = [g for g in goals if g.strip()]
    if not goals:
        return 1.0
    working = [
        f"{item.get('activity', '')}: {item.get('details', '')}"
        for item in items
        if not _HEDGED.search(str(item.get("details", "")))
    ]
    if not working:
        return 0.0
    sims = _cosine(embed, goals, working)
    covered = 0
    for g, goal in enumerate(goals):
        stems = _stems(goal) or {""}
        overlap = [len(stems & _stems(text)) / len(stems) for text in working]
        covered += max(float(sims[g, k]) + overlap[k] for k in range(len(working))) >= GOAL_EVIDENCE
    return covered / len(goals)


# ---------------------------------------------------------------- agenda: card copy

CARD_COPY_SHARE = 0.6  # share of the details' content words found in the card's text


def card_copy_share(details: str, card_text: str) -> float:
    """Share of the details' content words (stemmed) that are words of the card's own text."""
    mine = [_stem(w) for w in content_words(details)]
    if not mine:
        return 1.0
    card = _stems(card_text)
    return sum(w in card for w in mine) / len(mine)


def is_card_copy(details: str, card_text: str) -> bool:
    """Do an item's details restate its activity card instead of saying what this pair does?"""
    return card_copy_share(details, card_text) >= CARD_COPY_SHARE


# ---------------------------------------------------------------- agenda: two-way exchange

TWO_WAY_MIN_MINUTES = 30
# The senior teaches back: a business-judgement block, or a block where the senior explains,
# walks through or is asked how they decide, negotiate, prepare...
_TEACH_BACK = re.compile(
    r"(business judgement|how decisions get made|\bteach(es)? (back|\w+ (what|how))|"
    r"walks \w+ through|explains (how|what|which) (she|he|they)\b|"
    r"explains how (the|a|an) \w+|steps out of (the )?role and explains|"
    r"\basks \w+ how (she|he|they)\b|'s turn\b|describes (the|how|what)|"
    r"shows how (she|he|they)\b)",
    re.I,
)
# ...unless the junior is the one teaching and the senior takes notes.
_JUNIOR_TEACHES = re.compile(r"\b(the mentee takes notes|younger customers)\b", re.I)


def is_teach_back(item: Mapping[str, Any]) -> bool:
    text = f"{item.get('activity', '')}: {item.get('details', '')}"
    return bool(_TEACH_BACK.search(text)) and not _JUNIOR_TEACHES.search(text)


def has_two_way_exchange(items: Sequence[Mapping[str, Any]]) -> bool:
    """Does some item have the senior teaching back (the reverse half of reverse mentoring)?"""
    return any(is_teach_back(item) for item in items)


def two_way_applies(minutes: int) -> bool:
    return minutes >= TWO_WAY_MIN_MINUTES


# ---------------------------------------------------------------- agenda: unused citations


def unused_citations(items: Sequence[Mapping[str, Any]], cited_sources: Iterable[str]) -> list[str]:
    """Cited sources that no item lists among its own sources."""
    used = {s for item in items for s in item.get("sources") or []}
    return [s for s in dict.fromkeys(cited_sources) if s not in used]


# ---------------------------------------------------------------- answers: opening

_MARKER_FIRST = re.compile(r"^\s*(\[\d+\]|\(\d+\)|\d+[.)]\s|sources?:|according to)", re.I)
_FILLER_FIRST = re.compile(
    r"^\s*(great|good|excellent|interesting) question|^\s*when it comes to\b|"
    r"^\s*the question (of|is)\b|^\s*(reverse mentoring|mentoring) is\b|"
    r"^\s*(this|that) is a (common|great|good)",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”]?\s+(?=[A-Z\"“'])")
_GERUND_SUBJECT = re.compile(r"^\s*[A-Z][a-z]+ing\b[^.!?]*\b(is|are|can be)\b")
_COPULA = re.compile(r"\b(is|are|depends|can be)\b", re.I)
_DIRECT = re.compile(r"^\s*(yes|no|don't|do not)\b", re.I)
RESTATED_OVERLAP = 0.5  # share of the question's content words repeated by the first sentence


def first_sentence(text: str) -> str:
    return _SENTENCE.split(text.strip(), maxsplit=1)[0]


def opening_fault(question: str, answer: str) -> str | None:
    """Why an answer does not start with the advice (None when it does)."""
    if _MARKER_FIRST.search(answer):
        return "opens with a citation marker"
    if _FILLER_FIRST.search(answer):
        return "opens with filler or a definition"
    first = first_sentence(answer)
    if _GERUND_SUBJECT.search(first):
        return "opens by restating the question as a topic"
    asked = _stems(question)
    restates = asked and len(_stems(first) & asked) / len(asked) >= RESTATED_OVERLAP
    if restates and _COPULA.search(first) and not _DIRECT.match(first):
        return "opens by restating the question"
    return None


# ---------------------------------------------------------------- answers: persona fit

# Lines that belong to another persona: a junior mentor is told what the senior does, a senior
# is given the junior's lines, a lead is coached as a participant.
_WRONG_SIDE: dict[str, re.Pattern[str]] = {
    "mentor": re.compile(
        r"\b(as a senior|when your mentor|your mentor (gives|shows|explains)|"
        r"this side of the table is new|show your team|explain why you joined|"
        r"being mentored by)",
        re.I,
    ),
    "mentee": re.compile(
        r"\b(your mentee|rehearse your demo|why you were chosen|as a junior mentor|"
        r"share it a day ahead|opening questions)",
        re.I,
    ),
    "lead": re.compile(
        r"\b(being mentored|your mentor\b|your mentee\b|remind yourself|your first session|"
        r"your next session|this side of the table)",
        re.I,
    ),
}


def persona_fault(persona: str, answer: str) -> str | None:
    """The phrase showing the answer speaks to another persona (None when none is found)."""
    pattern = _WRONG_SIDE.get(persona)
    if pattern is None:
        return None
    found = pattern.search(answer)
    return found.group(0) if found else None


# ---------------------------------------------------------------- starters: template repeats

TEMPLATE_MAX_CHANGED = 4  # words swapped in the middle
TEMPLATE_MIN_SHARED = 0.6  # share of the shorter question kept as is


def same_template(a: str, b: str) -> bool:
    """Are two questions one frame with a few words swapped ("How do you feel about your X")?"""
    wa, wb = words(a), words(b)
    if not wa or not wb or wa == wb:
        return wa == wb and bool(wa)
    prefix = 0
    while prefix < min(len(wa), len(wb)) and wa[prefix] == wb[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(wa), len(wb)) - prefix and wa[-1 - suffix] == wb[-1 - suffix]:
        suffix += 1
    changed = max(len(wa), len(wb)) - prefix - suffix
    shared = (prefix + suffix) / min(len(wa), len(wb))
    return changed <= TEMPLATE_MAX_CHANGED and shared >= TEMPLATE_MIN_SHARED and prefix >= 1


def template_repeats(starters: Sequence[str]) -> list[int]:
    """Indexes of starters that repeat the frame of an earlier one."""
    return [
        j
        for j in range(len(starters))
        if any(same_template(starters[i], starters[j]) for i in range(j))
    ]
