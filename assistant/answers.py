"""Grounded answers: retrieve, prompt, ask the model, then keep only what the sources allow.

`prepare` decides whether the model is needed at all (instruction-like questions, questions the
knowledge base does not cover and off-topic ones get a fixed reply); `messages` builds the
prompt; `finish` checks the reply (citation numbers, leaked instructions, support by the cited
passages). `answer` and `stream_answer` are the two ways through, sharing all three steps.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant import rehearsal, scope
from assistant.citations import (
    CitationFilter,
    attribute,
    build_citations,
    cited_numbers,
    clean_citations,
    drop_framing_opening,
    lead_with_advice,
    marks_after_first_sentence,
)
from assistant.grounding import CAUTION_BELOW, support
from assistant.guard import leaks_instructions, sanitize_untrusted
from assistant.llm.base import ChatModel, Message
from assistant.prompts import PromptLibrary
from assistant.retrieval import Passage, Retriever, SearchResult, tokenize
from assistant.schemas import PERSONA_LABELS, Answer, AnswerRequest, Persona
from assistant.text import split_sentences

PASSAGES_IN_PROMPT = 4
# Each passage goes into the prompt as its sentences that share most words with the question,
# in their own order, up to this many characters (the whole passage is still what the answer's
# citations show and what its support is checked against). Prompt reading is the slow part
# before the first token on 2 cores (about 40 tokens/s); 650 characters cut mid-sentence
# before, and the median chunk is 560.
PASSAGE_CHARS = 420
HISTORY_TURNS = 4
MAX_TOKENS = 400
CAN_HELP_WITH = (
    "preparing a session agenda, conversation starters, handling a senior's (or a team's) "
    "resistance, giving upward feedback, designing or measuring a program, and playbooks for "
    "AI chatbots, social media, collaboration tools and inclusion"
)
EMPTY_REPLY = "The model returned an empty answer. Please try again."
REFUSAL = (
    "I can't help with that request. I'm here to coach reverse-mentoring pairs and program "
    f"leads: for example {CAN_HELP_WITH}."
)
REDIRECT = (
    "That's outside what I can help with: I'm a coach for reverse-mentoring pairs "
    f"and program leads. Try asking about {CAN_HELP_WITH}."
)
UNUSABLE = {
    "markers": "it was only citation markers",
    "unrelated": "it was about something other than the question",
}
NOT_COVERED = "I couldn't find guidance on that in the knowledge base, so I won't guess."
_MENTORING_WORDS = re.compile(
    r"\b(mentor\w*|mentee\w*|session\w*|senior\w*|junior\w*|pair\w*|program\w*|feedback|"
    r"learn\w*|teach\w*|coach\w*|team\w*|leader\w*|manager\w*|generation\w*|colleague\w*|"
    r"boss|agenda|starter\w*|sponsor\w*|resist\w*|awkward|confiden\w*|skills?|ai|chatgpt|"
    r"prompt\w*|social media|tiktok|linkedin|inclusion|diversity|agile|workplace|career)\b",
    re.IGNORECASE,
)


@dataclass
class Prepared:
    """Either a reply written without the model (`canned`), or the search result to ground
    the model's reply in."""

    result: SearchResult | None
    canned: Answer | None = None


class AnswerStream:
    """Iterate for the answer's text as it is generated (citation numbers already checked);
    after the loop, `.result` holds the final Answer. `sources` are the passages the model is
    reading, numbered as it may cite them: known before the first token, so a page can show
    them at once."""

    def __init__(
        self,
        chunks: Iterator[str],
        finish: Callable[[str], Answer],
        sources: list[tuple[int, str]] | None = None,
    ) -> None:
        self._chunks = chunks
        self._finish = finish
        self.sources = sources or []
        self.result: Answer | None = None
        self.text = ""

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            self.text += chunk
            yield chunk
        self.result = self._finish(self.text)


def scope_decline(
    question: str,
    persona: Persona,
    version: str,
    result: SearchResult,
    retriever: Retriever | None = None,
) -> Answer:
    """The knowledge base does not cover the question: say so, and say who to ask when the
    scope document names someone (cited), else what the coach can help with."""
    who, passage = scope.referral(result.passages)
    if passage is None and retriever is not None:  # the probe said so: find the scope section
        who, passage = scope.referral(scope.scope_passages(question, retriever))
    if passage is not None:
        text = f"{NOT_COVERED} This is outside what the coach covers. {who} [1]"
        citations = build_citations(text, [passage])
    else:
        text, citations = f"{NOT_COVERED} I can help with {CAN_HELP_WITH}.", []
    return Answer(
        question=question,
        persona=persona,
        answer=text,
        citations=citations,
        relevance=result.relevance,
        on_topic=True,
        outcome="declined",
        backend="rules",
        model="none",
        prompt_version=version,
    )


CRISIS_REPLY = (
    "I'm sorry this is happening, and I'm glad you said something. This needs more than "
    "coaching. If anyone may be in immediate danger, call your local emergency services now, "
    "and stay with them if you can. If it is not an emergency, talk today to someone trained "
    "to help: your organisation's employee assistance programme, occupational health or a "
    "mental-health first aider, a doctor, or a crisis line in your country."
)


def crisis_reply(
    question: str, persona: Persona, version: str, retriever: Retriever | None = None
) -> Answer:
    """Someone may be at risk: where to get help now, citing the scope document's crisis
    section when the index has it; no model call."""
    passages = scope.scope_passages(question, retriever) if retriever is not None else []
    crisis_section = [p for p in passages if "crisis" in p.heading.lower()][:1]
    text = f"{CRISIS_REPLY} [1]" if crisis_section else CRISIS_REPLY
    return Answer(
        question=question,
        persona=persona,
        answer=text,
        citations=build_citations(text, crisis_section),
        relevance="none",
        on_topic=True,
        outcome="declined",
        backend="rules",
        model="none",
        prompt_version=version,
        notes=["Possible crisis: the coach points to help instead of giving advice."],
    )


def prepare(retriever: Retriever, prompts: PromptLibrary, request: AnswerRequest) -> Prepared:
    question = request.question
    version = prompts.get("answer").version

    def canned(text: str, relevance: str, on_topic: bool, outcome: str) -> Answer:
        return Answer(
            question=question,
            persona=request.persona,
            answer=text,
            relevance=relevance,
            on_topic=on_topic,
            outcome=outcome,
            backend="rules",
            model="none",
            prompt_version=version,
        )

    if scope.crisis(question, retriever.index.embedder.embed_one):  # first: where to get help
        return Prepared(None, crisis_reply(question, request.persona, version, retriever))
    previous = [t.content for t in request.history if t.role == "user"][-1:]
    context = previous[0] if previous and len(question.split()) < 12 else ""
    # "Pretend you're my mentee and push back": a request that the coach play a mentoring
    # role is pointed to the rehearsal mode (no model call) instead of refused as a hijack.
    # A jailbreak dressed as role play ("be my boss and write an email in his voice...") is
    # refused like any attack.
    role_play = rehearsal.role_play(question, retriever.index.embedder.embed_one)
    if role_play is not None and role_play[0] == "refuse":
        return Prepared(None, canned(REFUSAL, "none", False, "refused"))
    if role_play is not None:
        return Prepared(None, canned(rehearsal.pointer(role_play[1]), "none", True, "rehearsal"))
    # The scope decision (assistant/scope.py): rules, then the calibrated probes.
    decision = scope.decide(question, retriever.index.embedder.embed_one, context=context)
    if decision.verdict == "refuse":  # a fixed refusal, no model call
        return Prepared(None, canned(REFUSAL, "none", False, "refused"))
    query = f"{context} {question}" if context else question  # a follow-up leans on the last
    result = retriever.search(query, k=PASSAGES_IN_PROMPT)
    # A question for payroll, a lawyer, HR's formal process, a doctor...: declined with who to
    # ask, whether or not it reads as mentoring ("how do I calculate my pension?"). For an
    # off-topic question only the nearest questions judge, not the scope document's rank.
    elsewhere = decision.uncovered_flag or (
        decision.verdict == "answer" and scope.uncovered(result.passages)
    )
    if not elsewhere and (
        decision.verdict == "redirect"
        or (result.relevance == "none" and not _MENTORING_WORDS.search(question))
    ):
        return Prepared(result, canned(REDIRECT, "none", False, "redirected"))
    if result.relevance == "none" or elsewhere:
        return Prepared(
            result, scope_decline(question, request.persona, version, result, retriever)
        )
    return Prepared(result)


QUOTED_PASSAGES = 2
QUOTED_CHARS = 300  # of each passage
QUOTED_NOTE = (
    "The model's reply was only citation markers, so this answer quotes the best-matching "
    "passages of the knowledge base instead."
)


def quoted_answer(question: str, passages: list[Passage]) -> str:
    """The sentences of the best passages that speak most to the question, each cited: an
    answer that needs no model, for when the model gave none."""
    parts = []
    for n, p in enumerate(passages[:QUOTED_PASSAGES], 1):
        text = sanitize_untrusted(focus(p.text, question, QUOTED_CHARS)).text
        # a list's numbers and bullets lose their items when sentences are left out
        kept = [
            re.sub(r"^(\d+[.)]|[-*•])\s+", "", sentence.strip())
            for sentence in split_sentences(re.sub(r"\s[-*•]\s", " ", f" {text} "))
        ]
        text = " ".join(k for k in kept if len(re.findall(r"[A-Za-z]{2,}", k)) >= 3)
        if text:
            parts.append(f"{text} [{n}]")
    return "\n\n".join(parts)


def focus(text: str, question: str, budget: int = PASSAGE_CHARS) -> str:
    """The passage's sentences that share most (stemmed) words with the question, kept in
    their order, within `budget` characters; ties go to the earlier sentence. A passage that
    fits is returned whole; one long sentence is cut at a word."""
    if len(" ".join(text.split())) <= budget:
        return " ".join(text.split())
    sentences = [" ".join(s.split()) for s in split_sentences(text)]
    wanted = set(tokenize(question))
    order = sorted(
        range(len(sentences)), key=lambda i: (-len(wanted & set(tokenize(sentences[i]))), i)
    )
    keep: list[int] = []
    used = 0
    for i in order:
        if used + len(sentences[i]) + 1 <= budget:
            keep.append(i)
            used += len(sentences[i]) + 1
    if not keep:
        return " ".join(text.split())[:budget].rsplit(" ", 1)[0]
    return " ".join(sentences[i] for i in sorted(keep))


def messages(
    prompts: PromptLibrary, request: AnswerRequest, passages: list[Passage]
) -> list[Message]:
    lines = []
    for n, p in enumerate(passages, 1):
        where = f"{p.title} › {p.heading}" if p.heading else p.title
        text = sanitize_untrusted(focus(p.text, request.question)).text
        lines.append(f"[{n}] ({where}) {text}")
    turns = []
    for turn in list(request.history)[-HISTORY_TURNS:]:
        who = "User" if turn.role == "user" else "Coach"
        turns.append(f"{who}: {sanitize_untrusted(turn.content[:300]).text}")
    earlier = ("Earlier in this conversation:\n" + "\n".join(turns)) if turns else ""
    return prompts.get("answer").render(
        persona=PERSONA_LABELS[request.persona],
        history=earlier,
        passages="\n".join(lines),
        question=request.question,
    )


def finish(
    retriever: Retriever,
    model: ChatModel,
    prompts: PromptLibrary,
    request: AnswerRequest,
    result: SearchResult,
    raw: str,
    seconds: float,
    notes: list[str],
    streamed: bool = False,
) -> Answer:
    """The reply checked and cited. A `streamed` reply already went through
    `lead_with_advice`, so its opening is not changed again."""
    passages = result.passages
    embedder = retriever.index.embedder
    text = marks_after_first_sentence(clean_citations(raw, len(passages)))
    if not streamed:
        text = drop_framing_opening(text, request.question)
    if leaks_instructions(text):
        withheld = "The reply repeated internal instructions and was withheld."
        text, notes = REFUSAL, [*notes, withheld]
    elif not cited_numbers(text):
        text = attribute(text, passages, embedder)
    if not text.strip():
        text = EMPTY_REPLY
    citations = build_citations(text, passages)
    # The output check (assistant/scope.py): whatever the backend, never show a reply made
    # only of citation markers or one about something else than the question.
    outcome = "answered"
    if text not in (REFUSAL, EMPTY_REPLY):
        why = scope.unusable_reply(  # judged against the query (a follow-up's context)
            result.query, text, [c.text for c in citations], embedder.embed
        )
        if why == "markers" and result.relevance == "strong":
            # The knowledge base covers it and the model gave no words (the local model on
            # "my team rolls their eyes..."): the best-matching passages, quoted and cited.
            text = quoted_answer(result.query, passages)
            citations = build_citations(text, passages)
            notes = [*notes, QUOTED_NOTE]
        elif why is not None:
            text, citations = f"{NOT_COVERED} I can help with {CAN_HELP_WITH}.", []
            outcome = "declined"
            notes = [*notes, f"The model's reply was withheld ({UNUSABLE[why]})."]
    elif text == REFUSAL:
        outcome = "refused"
    backing = None
    if outcome == "answered" and text != EMPTY_REPLY:
        measured = support(text, [c.text for c in citations], embedder.embed)
        backing = round(measured.share, 3)
        if measured.claims and measured.share < CAUTION_BELOW:
            notes = [
                *notes,
                (
                    f"Only {measured.supported} of {len(measured.claims)} statements in this "
                    "answer are backed by the cited sources: treat the rest as the model's own "
                    "view and check the sources."
                ),
            ]
    return Answer(
        question=request.question,
        persona=request.persona,
        answer=text,
        citations=citations,
        relevance=result.relevance,
        support=backing,
        backend=model.backend,
        model=model.model,
        prompt_version=prompts.get("answer").version,
        seconds=round(seconds, 2),
        notes=notes,
        outcome=outcome,
    )


def answer(
    retriever: Retriever, model: ChatModel, prompts: PromptLibrary, request: AnswerRequest
) -> Answer:
    started = time.perf_counter()
    prepared = prepare(retriever, prompts, request)
    if prepared.canned is not None:
        prepared.canned.seconds = round(time.perf_counter() - started, 3)
        return prepared.canned
    assert prepared.result is not None
    completion = model.complete(
        messages(prompts, request, prepared.result.passages), max_tokens=MAX_TOKENS
    )
    return finish(
        retriever,
        model,
        prompts,
        request,
        prepared.result,
        completion.text,
        time.perf_counter() - started,
        list(completion.notes),
    )


def stream_answer(
    retriever: Retriever, model: ChatModel, prompts: PromptLibrary, request: AnswerRequest
) -> AnswerStream:
    started = time.perf_counter()
    prepared = prepare(retriever, prompts, request)
    canned = prepared.canned
    if canned is not None:
        return AnswerStream(iter([canned.answer]), lambda _text: canned)
    result = prepared.result
    assert result is not None
    stream = model.stream(messages(prompts, request, result.passages), max_tokens=MAX_TOKENS)
    filtered = lead_with_advice(
        CitationFilter(len(result.passages)).run(iter(stream)), request.question
    )

    def done(text: str) -> Answer:
        seconds = time.perf_counter() - started
        notes = list(stream.notes)  # complete once the first chunk has arrived
        return finish(
            retriever, model, prompts, request, result, text, seconds, notes, streamed=True
        )

    sources = [(n, p.title) for n, p in enumerate(result.passages, 1)]
    return AnswerStream(filtered, done, sources)
