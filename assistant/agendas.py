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
from assistant.planning import MAX_GOAL_BLOCKS, REVIEW, TEACH_BACK, PlannedItem, plan_session
from assistant.prompts import PromptLibrary
from assistant.retrieval import Filters, Passage, Retriever, tokenize
from assistant.schemas import (
    EXCERPT_CHARS,
    STAGE_LABELS,
    Agenda,
    AgendaItem,
    AgendaRequest,
    Citation,
    ReviewAction,
)
from assistant.text import is_open_question, repeats_words, shorten_title, word_string

GUIDANCE_PASSAGES = 3
GUIDANCE_CHARS = 260  # of each guide's passage, in the prompt
GOAL_TITLE_CHARS = 70  # of a goal, in its block's activity title
# A guide is given to an item (and cited) when it shares at least this many words (stems, no
# stopwords) with the item's goal (or the topic) and activity; otherwise it is left out.
GUIDE_SHARED_WORDS = 2
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
    """Small models often echo the plan line ("2. Title (20 min): ..."): keep what follows. A
    detail that is only the echo is no wording: "" (the item keeps its card's text)."""
    pattern = rf"^\s*(\d+[.)]\s*)?({re.escape(title)})?\s*(\(\d+\s*min(utes)?\))?\s*[:—-]?\s*"
    stripped = re.sub(pattern, "", detail, count=1, flags=re.IGNORECASE).strip()
    if len(stripped.split()) < 3:
        return ""
    return stripped[:1].upper() + stripped[1:]


NEW_WORDS_MIN = 0.15  # a detail with fewer of its own words than this copies its plan line


def _copies_line(detail: str, line: str) -> bool:
    """Is the detail its own plan line handed back ("For the goal: ... Use <guide>: ...")?
    It repeats ECHO_WORDS words in a row of the line and brings almost no words of its own.
    (A playbook step put in the pair's terms brings enough: "the mentor watches three clips
    and times the hook" from "watch three clips and time the hook".)"""
    spoken = word_string(line)
    words = word_string(detail).split()
    if not words or not repeats_words(detail, spoken):
        return False
    new = [w for w in words if f" {w} " not in spoken]
    return len(new) < NEW_WORDS_MIN * len(words)


# First words lowered mid-sentence; any other capital (a product: "Excel", "LinkedIn", "AI")
# stays as typed.
_SENTENCE_STARTERS = frozenset(
    "how what why when where which who whether using getting the a an our my your their this "
    "that these those agree say set make understand draft try learn build write find get look "
    "reflect decide plan review compare explain show discuss talk ask help move update".split()
)


def _in_sentence(text: str) -> str:
    """A goal or topic placed mid-sentence: no closing punctuation, and a capital first word
    lowered when it is an ordinary sentence starter ("How younger customers..." → "how younger
    customers..."; "Excel tricks", "LinkedIn for leaders", "AI chatbots" stay)."""
    text = text.strip().rstrip(" ?!.;:")
    first, _, rest = text.partition(" ")
    if first.lower() in _SENTENCE_STARTERS and first[:1].isupper():
        return f"{first.lower()} {rest}".strip()
    return text


def card_detail(item: PlannedItem, topic: str, today: list[str] | None = None) -> str:
    """An item's details written in code from its card's `does` (what the pair does in it)
    and this session: {Focus} is the item's goals (or the topic), {topic} the topic, {today}
    the session's goals (or the topic). A goal-less teach-back leaves out {Focus}: the topic
    is the junior's subject, not the senior's story. The card's own text only for a card
    without a `does`."""
    card = item.card
    if not card.does:
        return _first_sentences(card.how_to or card.summary)
    template = card.does
    if not item.goals and TEACH_BACK in card.provides:
        template = re.sub(r"^\{Focus\}:\s*", "", template)
        template = template[:1].upper() + template[1:]
    focus = " and ".join(_in_sentence(g) for g in item.goals) or _in_sentence(topic)
    # goals are clauses ("agree how often we meet"): quoted when they sit mid-sentence
    session = " and ".join(f"'{_in_sentence(g)}'" for g in (today or [])[:2]) or _in_sentence(topic)
    text = template.format(
        Focus=focus[:1].upper() + focus[1:], topic=_in_sentence(topic), today=session
    )
    return _first_sentences(text, 2 * GOAL_TITLE_CHARS + 300)


def _slipped(detail: str, index: int, titles: list[str], lines: list[str]) -> bool:
    """Was this detail written for another item (the model slipped by one, as in eval runs #9
    and #10)? It starts with another item's name, or repeats ECHO_WORDS words in a row of
    another item's prompt line (its goal, its guide, the teach-back's hint) and none of its
    own."""
    own_title = titles[index].lower() if index < len(titles) else ""
    for title in titles:
        if title.lower() != own_title and re.match(
            rf"^\s*(\d+[.)]\s*)?{re.escape(title)}\b", detail, flags=re.IGNORECASE
        ):
            return True
    if not detail or not lines:
        return False
    spoken = [word_string(line) for line in lines]
    own = index < len(spoken) and repeats_words(detail, spoken[index])
    return not own and any(repeats_words(detail, w) for n, w in enumerate(spoken) if n != index)


# The teach-back turned round: "The mentor teaches the mentee how to evaluate real business
# decisions" (the local model, session 8). In reverse mentoring the senior mentee teaches
# business judgement; the junior mentor teaches tools.
_TEACH_BACK_INVERTED = re.compile(
    r"\bmentor (teaches|shows|explains|walks|tells|coaches|advises)\b[^.;]{0,60}\bmentee\b"
    r"[^.;]{0,60}\b(business|decisions?|judge?ment|stakeholders?|budgets?|board|career)\b",
    re.IGNORECASE,
)


def _ok(text: str) -> bool:
    text = strip_foreign_script(text)
    return (
        bool(text.strip())
        and not is_patronising(text)
        and not leaks_instructions(text)
        and not _TEACH_BACK_INVERTED.search(text)
    )


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
    lines: list[str] = field(default_factory=list)  # each item's line in the prompt
    preview: Agenda = field(init=False)


def plan_agenda(retriever: Retriever, prompts: PromptLibrary, request: AgendaRequest) -> AgendaJob:
    """Everything that needs no model: milliseconds, so a page can show the plan at once."""
    started = time.perf_counter()
    catalog = retriever.activity_cards()
    if not catalog:
        raise NoActivityCards()
    stated = [g.strip() for g in request.goals if g.strip()]
    goals = "; ".join(stated)
    query = f"{request.topic} {goals}".strip()
    activity = Filters(kinds=["activity"])
    ranked = retriever.search(query, k=20, filters=activity)
    ranked_sources = list(dict.fromkeys(p.source for p in ranked.passages))
    per_goal = [
        (
            goal,
            list(
                dict.fromkeys(
                    p.source
                    for p in retriever.search(
                        f"{request.topic} {goal}", k=20, filters=activity
                    ).passages
                )
            ),
        )
        for goal in stated[:MAX_GOAL_BLOCKS]
    ]
    plan = plan_session(
        catalog,
        request.stage,
        request.minutes,
        ranked_sources,
        len(request.review_actions),
        goals=per_goal,
    )
    guidance = retriever.search(
        query, k=GUIDANCE_PASSAGES, filters=Filters(kinds=["guide", "playbook"])
    ).passages
    guides = _attach_guides(plan, guidance, request.topic)

    # Citations: the cards the plan rests on, then the guides its items use (a guide no item
    # uses is neither cited nor in the prompt).
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
    for source, p in guides.items():
        numbers[source] = len(citations) + 1
        citations.append(Citation.from_passage(numbers[source], p, EXCERPT_CHARS))

    # Each item as the model sees it: its activity, minutes, the goal it serves and the guide
    # it uses. Not the card's own summary: the model copied it into the details (card-copy
    # rate 0.89 in the last local eval), and it cost prompt tokens.
    lines = [_plan_line(i, item, guides) for i, item in enumerate(plan, 1)]
    plan_lines = "\n".join(lines)
    messages = prompts.get("agenda").render(
        topic=request.topic,
        stage=STAGE_LABELS[request.stage],
        minutes=request.minutes,
        mentor_role=request.mentor_role,
        mentee_role=request.mentee_role,
        goals=goals or "(none given)",
        notes=sanitize_untrusted(request.notes_from_last_time).text or "(none)",
        plan=plan_lines,
    )
    job = AgendaJob(request, plan, citations, numbers, messages, started, lines)
    planned = Completion(text="", backend="plan", model="", seconds=0.0)
    job.preview = _assemble(
        request,
        plan,
        _NO_WORDING,
        citations,
        numbers,
        prompts,
        planned,
        started,
        lines,
        preview=True,
    )
    return job


def _attach_guides(
    plan: list[PlannedItem], guidance: list[Passage], topic: str
) -> dict[str, Passage]:
    """Each guide (one passage per source) goes to the item it serves: the goal or core block
    sharing most words with it (ties: the earlier item). The item lists it among its sources.
    Without such a block, the guide is left out."""
    workers = [i for i in plan if i.goal] or [
        i for i in plan if i.card.slot == "core" and not {REVIEW, TEACH_BACK} & set(i.card.provides)
    ]
    used: dict[str, Passage] = {}
    if not workers:
        return used
    for p in guidance:
        if p.source in used:
            continue
        words = set(tokenize(f"{p.title} {p.heading} {p.text}"))
        shared = [
            len(words & set(tokenize(f"{' '.join(i.goals) or topic} {i.card.title}")))
            for i in workers
        ]
        best = max(range(len(workers)), key=lambda n: (shared[n], -n))
        if shared[best] >= GUIDE_SHARED_WORDS:
            workers[best].guides.append(p.source)
            used[p.source] = p
    return used


def item_title(item: PlannedItem) -> str:
    """The activity as the agenda shows it; a goal block names its goal."""
    if item.goal:
        named = " · ".join(shorten_title(g, GOAL_TITLE_CHARS) for g in item.goals)
        return f"{item.card.title}: {named}"
    return item.card.title


def _plan_line(n: int, item: PlannedItem, guides: dict[str, Passage]) -> str:
    line = f"{n}. {item.card.title} ({item.minutes} min)"
    if len(item.goals) > 1:
        line += ", for the goals: " + "; ".join(item.goals)
    elif item.goal:
        line += f", for the goal: {item.goal}"
    if REVIEW in item.card.provides:
        line += f": {item.card.summary}"
    if TEACH_BACK in item.card.provides:
        line += ": the mentee teaches the mentor how they judge a real business decision"
    for source in item.guides:
        guide = guides[source]
        line += f". Use {guide.title}: {_first_sentences(guide.text, GUIDANCE_CHARS)}"
    return line


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
    return _assemble(
        job.request,
        job.plan,
        draft,
        job.citations,
        job.numbers,
        prompts,
        completion,
        job.started,
        job.lines,
    )


def _progress(
    job: AgendaJob, on_progress: Callable[[Agenda, int], None]
) -> Callable[[dict[str, Any]], None]:
    """From the partial reply to the preview with each finished item's wording."""
    reported = [0]
    titles = [item.card.title for item in job.plan]

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
            if _slipped(detail, i, titles, job.lines):
                detail = ""
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
    lines: list[str],
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
    titles = [item.card.title for item in plan]
    for i, item in enumerate(plan):
        card: ActivityCard = item.card
        detail = _strip_echo(draft.details[i], card.title) if i < len(draft.details) else ""
        if _slipped(detail, i, titles, lines) or (
            i < len(lines) and _copies_line(detail, lines[i])
        ):
            detail = ""
        if REVIEW in card.provides:
            detail = review_details(request.review_actions)
        elif not _ok(detail):
            detail = card_detail(item, request.topic, list(request.goals))
        items.append(
            AgendaItem(
                minutes=item.minutes,
                activity=item_title(item),
                details=detail,
                sources=[card.source, *item.guides],
            )
        )
        notes += [f"{card.title}: {n}." for n in item.notes]
    homeless = [g for g in request.goals[:MAX_GOAL_BLOCKS] if not any(g in i.goals for i in plan)]
    if homeless:
        notes.append(
            f"No block of its own in {request.minutes} minutes for: "
            + "; ".join(f"'{g}'" for g in homeless)
            + ". Take it to the next session, or plan a longer one."
        )
    if len(request.goals) > MAX_GOAL_BLOCKS:
        notes.append(
            f"The first {MAX_GOAL_BLOCKS} goals have a block of their own; goals "
            f"{MAX_GOAL_BLOCKS + 1}-{len(request.goals)} are left to the other blocks. Put the "
            "goals that matter most first."
        )
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
