"""Conversation starters: the model drafts, code keeps only distinct, open, respectful
questions and tops up from the knowledge base's own starter bank when too few survive."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.drafts import StarterDraft
from assistant.guard import is_patronising, leaks_instructions, strip_foreign_script
from assistant.llm.base import ChatModel
from assistant.llm.structured import generate_structured
from assistant.prompts import PromptLibrary
from assistant.retrieval import Filters, Retriever
from assistant.schemas import (
    EXCERPT_CHARS,
    STAGE_LABELS,
    Citation,
    Starter,
    StarterCategory,
    StarterSet,
    StartersRequest,
)
from assistant.text import is_open_question

DUPLICATE_SIMILARITY = 0.88  # MiniLM cosine above which two questions say the same thing
_BULLET = re.compile(r'^-\s*"(?P<q>[^"]+\?)"\s*[—-]+\s*Why:\s*(?P<why>.+)$', re.MULTILINE)
_CATEGORY_BY_HEADING = [
    ("icebreak", "icebreaker"),
    ("rapport", "icebreaker"),
    ("reflect", "reflection"),
    ("business", "business"),
    ("perspective", "perspective"),
    ("senior mentee can ask", "skill"),
    ("goal", "goal"),
    ("tool", "skill"),
    ("ai ", "skill"),
    ("social", "skill"),
    ("practice", "skill"),
]


def _category(heading: str) -> str:
    low = heading.lower() + " "
    return next((cat for key, cat in _CATEGORY_BY_HEADING if key in low), "perspective")


def starter_bank(retriever: Retriever, query: str) -> list[tuple[Starter, Citation]]:
    """Starters written in the knowledge base, most relevant to the query first."""
    result = retriever.search(query, k=30, filters=Filters(kinds=["starters"]))
    bank: list[tuple[Starter, Citation]] = []
    for p in result.passages:
        for m in _BULLET.finditer(p.text):
            bank.append(
                (
                    Starter(
                        text=m["q"].strip(),
                        category=_category(p.heading),  # type: ignore[arg-type]
                        why=m["why"].strip(),
                        sources=[p.source],
                    ),
                    Citation.from_passage(0, p, EXCERPT_CHARS),
                )
            )
    return bank


# The kinds of question a set mixes, by stage, in the order they are asked for; code picks
# them so the model writes only the questions (a category cost ~7 output tokens each).
_KIND_ORDER = {
    "first": ("icebreaker", "goal", "skill", "perspective", "business", "skill", "reflection"),
    "middle": ("skill", "perspective", "business", "skill", "goal", "reflection", "perspective"),
    "closing": ("reflection", "goal", "business", "perspective", "skill", "reflection", "goal"),
}
_KIND_HINTS = {
    "icebreaker": "an easy opener",
    "goal": "what they want from it",
    "skill": "hands-on use",
    "perspective": "how each generation sees it",
    "business": "the senior's work and decisions",
    "reflection": "what has changed so far",
}


def category_plan(stage: str, count: int) -> list[StarterCategory]:
    """The category of each starter the model is asked for, in order."""
    order = _KIND_ORDER.get(stage, _KIND_ORDER["middle"])
    return [order[i % len(order)] for i in range(count)]  # type: ignore[misc]


# Private matters a starter must not raise with the senior (or anyone): their job search or
# plans to leave, retirement, age. (Age and generational put-downs: `guard.is_patronising`.)
_NOT_TO_ASK = re.compile(
    r"\b(job (search|hunt|hunting|interviews?|applications?|offers?)|"
    r"(looking for|applying for|find) (a |another |a new |your next )?(job|role|position)|"
    r"(new|next|dream) job\b|leav(e|ing) (the|this|your) (company|firm|organi[sz]ation|job)|"
    r"after (this|the|your) (company|firm|job)|"
    r"retir(e|es|ed|ing|ement)|how old)",
    re.IGNORECASE,
)


def fit_to_ask(text: str) -> bool:
    """May a starter ask this? Not about age, a job search, leaving or retiring."""
    return not is_patronising(text) and not _NOT_TO_ASK.search(text)


def _usable(text: str) -> bool:
    return is_open_question(text) and fit_to_ask(text) and not leaks_instructions(text)


def _progress(
    on_progress: Callable[[list[Starter]], None], kinds: list[StarterCategory]
) -> Callable[[dict[str, Any]], None]:
    """From the partial reply to the finished, usable starters, reported when one more is."""
    reported = [0]

    def report(partial: dict[str, Any]) -> None:
        done = [
            item
            for item in partial.get("starters") or []
            if isinstance(item, dict) and {"text", "why"} <= item.keys()
        ]
        if len(done) == reported[0]:
            return
        reported[0] = len(done)
        shown = []
        for i, item in enumerate(done):
            text = strip_foreign_script(str(item["text"]))
            if _usable(text):
                why = strip_foreign_script(str(item["why"]))
                shown.append(Starter(text=text, category=_kind(kinds, i), why=why, sources=[]))
        on_progress(shown)

    return report


def _kind(kinds: list[StarterCategory], i: int) -> StarterCategory:
    return kinds[i] if i < len(kinds) else "perspective"


def build_starters(
    retriever: Retriever,
    model: ChatModel,
    prompts: PromptLibrary,
    request: StartersRequest,
    on_progress: Callable[[list[Starter]], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> StarterSet:
    """The starter set. With `on_progress`, the model's reply is streamed and `on_progress`
    gets the usable starters written so far, each time one more is finished (the final set
    then drops near-duplicates and may add some from the knowledge base's starter bank)."""
    started = time.perf_counter()
    topic, stage, count = request.topic, request.stage, request.count
    bank = starter_bank(retriever, topic)
    # Reflection questions suit the end of a pairing; elsewhere they go to the back.
    if stage != "closing":
        bank.sort(key=lambda pair: pair[0].category == "reflection")
    topical = retriever.search(topic, k=2, filters=Filters(kinds=["playbook", "guide"]))
    examples = "\n".join(f'- "{s.text}" ({s.category})' for s, _ in bank[:4]) or "(none)"
    # One spare for a starter the checks drop (the starter bank fills any other gap): each
    # extra one cost ~55 output tokens, about 4 s on 2 cores.
    asked = min(count + 1, 12)
    kinds = category_plan(stage, asked)
    messages = prompts.get("starters").render(
        topic=topic,
        stage=STAGE_LABELS[stage],
        examples=examples,
        count=asked,
        kinds="\n".join(f"{i}. {kind}: {_KIND_HINTS[kind]}" for i, kind in enumerate(kinds, 1)),
    )
    draft, completion = generate_structured(
        model,
        messages,
        StarterDraft,
        on_partial=None if on_progress is None else _progress(on_progress, kinds),
        on_text=on_text,
        max_tokens=700,
    )

    topic_source = topical.passages[0] if topical.passages else None
    candidates: list[tuple[Starter, Citation | None]] = []
    for i, item in enumerate(draft.starters):
        text = strip_foreign_script(item.text)
        item.why = strip_foreign_script(item.why)
        if not _usable(text):
            continue
        why = (
            item.why.strip()
            if item.why.strip() and not is_patronising(item.why)
            else ("It invites a story or an example rather than a one-word answer.")
        )
        cite = None
        if topic_source is not None:
            cite = Citation.from_passage(0, topic_source, EXCERPT_CHARS)
        candidates.append(
            (
                Starter(
                    text=text,
                    category=_kind(kinds, i),
                    why=why,
                    sources=[cite.source] if cite else [],
                ),
                cite,
            )
        )
    model_count = len(candidates)
    candidates += [(s, c) for s, c in bank if fit_to_ask(s.text)]
    picked = _distinct(retriever, [s.text for s, _ in candidates], count)
    chosen = [candidates[i] for i in picked]
    notes = list(completion.notes)
    from_bank = sum(1 for i in picked if i >= model_count)
    if from_bank:
        notes.append(f"{from_bank} starter(s) came from the knowledge base's starter bank.")

    citations: list[Citation] = []
    for starter, cite in chosen:
        if cite is not None and cite.source not in {c.source for c in citations}:
            citations.append(cite.model_copy(update={"n": len(citations) + 1}))
        if not starter.sources and cite is not None:
            starter.sources = [cite.source]
    return StarterSet(
        topic=topic,
        stage=stage,
        starters=[s for s, _ in chosen],
        citations=citations,
        backend=completion.backend,
        model=completion.model,
        prompt_version=prompts.get("starters").version,
        seconds=round(time.perf_counter() - started, 2),
        notes=notes,
    )


def _distinct(retriever: Retriever, texts: list[str], count: int) -> list[int]:
    """Indices of up to `count` texts, in order, skipping exact and near duplicates."""
    if not texts:
        return []
    vectors = retriever.index.embedder.embed(texts)
    chosen: list[int] = []
    seen_text: set[str] = set()
    for i, text in enumerate(texts):
        key = re.sub(r"\W+", " ", text.lower()).strip()
        if key in seen_text:
            continue
        if chosen and float(np.max(vectors[chosen] @ vectors[i])) >= DUPLICATE_SIMILARITY:
            continue
        chosen.append(i)
        seen_text.add(key)
        if len(chosen) == count:
            break
    return chosen
