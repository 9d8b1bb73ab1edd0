"""Session agendas: structure from the activity cards (code), wording from the model.

Invariants, whatever the model returns: item minutes sum to the requested duration; every item
cites a card that was retrieved from the index; a first session sets expectations; a closing
session reflects. A model reply that fails validation is repaired once, then the call fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.drafts import AgendaDraft
from assistant.errors import CoachError
from assistant.guard import (
    is_patronising,
    leaks_instructions,
    sanitize_untrusted,
    strip_foreign_script,
)
from assistant.knowledge import ActivityCard
from assistant.llm.base import ChatModel, Completion, Message
from assistant.llm.structured import generate_structured
from assistant.planning import REVIEW, PlannedItem, plan_session
from assistant.prompts import PromptLibrary
from assistant.retrieval import Filters, Retriever
from assistant.schemas import (
    EXCERPT_CHARS,
    STAGE_LABELS,
    Agenda,
    AgendaItem,
    AgendaRequest,
    Citation,
    ReviewAction,
)
from assistant.text import is_open_question

GUIDANCE_PASSAGES = 3
GUIDANCE_CHARS = 260  # of each guide's passage, in the prompt
# The preview's wording: none yet, so each item shows its card's own text.
_NO_WORDING = AgendaDraft.model_construct(
    title="", details=[], objectives=[], starters=[], prepare=[], follow_up=[]
)


class NoActivityCards(CoachError):
    def __init__(self) -> None:
        super().__init__(
            "The knowledge index has no activity cards, so no agenda can be planned.",
            "Add activity cards (kind: activity) to knowledge/ and run `coach index`.",
        )


def _first_sentences(text: str, limit: int = 260) -> str:
    text = " ".join(text.split())
    text = text.replace("1. ", "", 1)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _strip_echo(detail: str, title: str) -> str:
    """Small models often echo the plan line ("2. Title (20 min): ..."): keep what follows."""
    pattern = rf"^\s*(\d+[.)]\s*)?({re.escape(title)})?\s*(\(\d+\s*min(utes)?\))?\s*[:—-]?\s*"
    stripped = re.sub(pattern, "", detail, count=1, flags=re.IGNORECASE)
    return stripped[:1].upper() + stripped[1:] if stripped else detail


def _ok(text: str) -> bool:
    text = strip_foreign_script(text)
    return bool(text.strip()) and not is_patronising(text) and not leaks_instructions(text)


@dataclass
class AgendaJob:
    """An agenda planned in code, before the model writes its wording: the plan (activities,
    minutes, sources) is final here, and `preview` shows it at once with each item's text
    from its activity card; `write_agenda` adds the model's wording."""

    request: AgendaRequest
    plan: list[PlannedItem]
    citations: list[Citation]
    numbers: dict[str, int]
    messages: list[Message]
    started: float
    preview: Agenda = field(init=False)


def plan_agenda(retriever: Retriever, prompts: PromptLibrary, request: AgendaRequest) -> AgendaJob:
    """Everything that needs no model: milliseconds, so a page can show the plan at once."""
    started = time.perf_counter()
    catalog = retriever.activity_cards()
    if not catalog:
        raise NoActivityCards()
    goals = "; ".join(g.strip() for g in request.goals if g.strip())
    query = f"{request.topic} {goals}".strip()
    ranked = retriever.search(query, k=20, filters=Filters(kinds=["activity"]))
    ranked_sources = list(dict.fromkeys(p.source for p in ranked.passages))
    plan = plan_session(
        catalog, request.stage, request.minutes, ranked_sources, len(request.review_actions)
    )
    guidance = retriever.search(
        query, k=GUIDANCE_PASSAGES, filters=Filters(kinds=["guide", "playbook"])
    ).passages

    # Citations: the cards the plan rests on, then the topic guidance.
    citations: list[Citation] = []
    numbers: dict[str, int] = {}
    for item in plan:
        card = item.card
        if card.source not in numbers:
            numbers[card.source] = len(citations) + 1
            citations.append(
                Citation(
                    n=numbers[card.source],
                    id=card.chunk_id,
                    source=card.source,
                    title=catalog[card.source].title,
                    heading="How to run it",
                    text=card.how_to[:EXCERPT_CHARS],
                )
            )
    for p in guidance:
        if p.source not in numbers:
            numbers[p.source] = len(citations) + 1
            citations.append(Citation.from_passage(numbers[p.source], p, EXCERPT_CHARS))

    plan_lines = "\n".join(
        f"{i}. {item.card.title} ({item.minutes} min): {item.card.summary}"
        for i, item in enumerate(plan, 1)
    )
    # One line per guide (a second passage of the same guide cost ~65 prompt tokens, about
    # 1.5 s on 2 cores, for little new), cut at a word.
    lines: dict[str, str] = {}
    for p in guidance:
        lines.setdefault(p.source, f"- {p.title}: {_first_sentences(p.text, GUIDANCE_CHARS)}")
    guidance_lines = "\n".join(lines.values())
    messages = prompts.get("agenda").render(
        topic=request.topic,
        stage=STAGE_LABELS[request.stage],
        minutes=request.minutes,
        mentor_role=request.mentor_role,
        mentee_role=request.mentee_role,
        goals=goals or "(none given)",
        notes=sanitize_untrusted(request.notes_from_last_time).text or "(none)",
        plan=plan_lines,
        guidance=guidance_lines or "(none)",
    )
    job = AgendaJob(request, plan, citations, numbers, messages, started)
    planned = Completion(text="", backend="plan", model="", seconds=0.0)
    job.preview = _assemble(
        request, plan, _NO_WORDING, citations, numbers, prompts, planned, started, preview=True
    )
    return job


def write_agenda(
    job: AgendaJob,
    model: ChatModel,
    prompts: PromptLibrary,
    on_progress: Callable[[Agenda, int], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Agenda:
    """The model's wording on the planned agenda (the slow part). With `on_progress`, the
    reply is streamed, and `on_progress(preview, n)` gets the plan with the first `n` items'
    wording in place each time one more item is written (`on_text`: the raw reply so far,
    after every chunk)."""
    budget = reply_budget(len(job.plan))
    draft, completion = generate_structured(
        model,
        job.messages,
        AgendaDraft,
        on_partial=None if on_progress is None else _progress(job, on_progress),
        on_text=on_text,
        max_tokens=budget,
    )
    assert isinstance(draft, AgendaDraft)
    return _assemble(
        job.request,
        job.plan,
        draft,
        job.citations,
        job.numbers,
        prompts,
        completion,
        job.started,
    )


def _progress(
    job: AgendaJob, on_progress: Callable[[Agenda, int], None]
) -> Callable[[dict[str, Any]], None]:
    """From the partial reply to the preview with each finished item's wording."""
    reported = [0]

    def report(partial: dict[str, Any]) -> None:
        details = [d for d in partial.get("details") or [] if isinstance(d, str)]
        written = min(len(details), len(job.plan))
        if written == reported[0]:
            return
        reported[0] = written
        items = list(job.preview.items)
        for i in range(written):
            card = job.plan[i].card
            detail = _strip_echo(strip_foreign_script(details[i]), card.title)
            if REVIEW not in card.provides and _ok(detail):
                items[i] = items[i].model_copy(update={"details": detail})
        on_progress(job.preview.model_copy(update={"items": items}), written)

    return report


def build_agenda(
    retriever: Retriever, model: ChatModel, prompts: PromptLibrary, request: AgendaRequest
) -> Agenda:
    return write_agenda(plan_agenda(retriever, prompts, request), model, prompts)


# The reply holds one detail per planned item plus up to 16 short list entries: a fixed 900
# tokens cut the JSON short for 9-item half-day plans (eval case agenda-009, local 1.5B model).
REPLY_BASE_TOKENS, REPLY_TOKENS_PER_ITEM = 500, 100


def reply_budget(items: int) -> int:
    return REPLY_BASE_TOKENS + REPLY_TOKENS_PER_ITEM * items


def review_details(actions: list[ReviewAction]) -> str:
    """The review item's text, written in code so that every open action is listed verbatim
    with the session it came from (the model never rewrites it)."""
    lines = []
    for action in actions:
        who = f"{action.owner}: " if action.owner else ""
        due = f", due {action.due}" if action.due else ""
        lines.append(f"{who}{action.action} (from session {action.session}{due})")
    return "Go through each open action item; mark it done, carry it over or drop it. " + "; ".join(
        lines
    )


def _assemble(
    request: AgendaRequest,
    plan: list[PlannedItem],
    draft: AgendaDraft,
    citations: list[Citation],
    numbers: dict[str, int],
    prompts: PromptLibrary,
    completion: Completion,
    started: float,
    *,
    preview: bool = False,
) -> Agenda:
    notes = list(completion.notes)
    draft = AgendaDraft(
        title=strip_foreign_script(draft.title),
        **{
            field: [strip_foreign_script(v) for v in getattr(draft, field)]
            for field in ("details", "objectives", "starters", "prepare", "follow_up")
        },
    )
    items = []
    for i, item in enumerate(plan):
        card: ActivityCard = item.card
        detail = _strip_echo(draft.details[i], card.title) if i < len(draft.details) else ""
        if REVIEW in card.provides:
            detail = review_details(request.review_actions)
        elif not _ok(detail):
            detail = _first_sentences(card.how_to or card.summary)
        items.append(
            AgendaItem(
                minutes=item.minutes,
                activity=card.title,
                details=detail,
                sources=[card.source],
            )
        )
        notes += [f"{card.title}: {n}." for n in item.notes]
    if len(draft.details) != len(plan) and not preview:
        notes.append(
            f"The model wrote {len(draft.details)} item descriptions for {len(plan)} items; "
            "the missing ones come from the activity cards."
        )
    title = draft.title if _ok(draft.title) else f"{request.topic}: {STAGE_LABELS[request.stage]}"
    objectives = [o for o in draft.objectives if _ok(o)] or [
        f"Make practical progress on {request.topic}.",
        "Agree one thing each person will try before the next session.",
    ]
    starters = [s for s in draft.starters if _ok(s) and is_open_question(s)]
    prepare = [p for p in draft.prepare if _ok(p)]
    follow_up = [f for f in draft.follow_up if _ok(f)] or [
        "Send a short recap with the agreed actions within a day."
    ]
    return Agenda(
        title=title,
        topic=request.topic,
        minutes=request.minutes,
        stage=request.stage,
        session_number=request.session_number,
        mentor_role=request.mentor_role,
        mentee_role=request.mentee_role,
        goals=list(request.goals),
        objectives=objectives,
        items=items,
        starters=starters,
        prepare=prepare,
        follow_up=follow_up,
        citations=citations,
        backend=completion.backend,
        model=completion.model,
        prompt_version=prompts.get("agenda").version,
        seconds=round(time.perf_counter() - started, 2),
        notes=notes,
    )


def check_agenda(agenda: Agenda, requested_minutes: int, known_sources: set[str]) -> list[str]:
    """The invariants as a list of violations (empty when the agenda is valid)."""
    problems = []
    total = sum(i.minutes for i in agenda.items)
    if total != requested_minutes:
        problems.append(f"minutes sum to {total}, not {requested_minutes}")
    if not agenda.items:
        problems.append("no items")
    cited = {c.source for c in agenda.citations}
    for item in agenda.items:
        if item.minutes <= 0:
            problems.append(f"'{item.activity}' has {item.minutes} minutes")
        if not item.sources:
            problems.append(f"'{item.activity}' cites no source")
        for source in item.sources:
            if source not in known_sources or source not in cited:
                problems.append(f"'{item.activity}' cites unknown source {source}")
    names = " ".join(i.activity.lower() + " " + " ".join(i.sources) for i in agenda.items)
    if agenda.stage == "first" and "expectation" not in names:
        problems.append("a first session has no expectation-setting item")
    if agenda.stage == "closing" and not any(w in names for w in ("reflection", "retrospective")):
        problems.append("a closing session has no reflection item")
    return problems
