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

from assistant.citations import (
    CitationFilter,
    attribute,
    build_citations,
    cited_numbers,
    clean_citations,
)
from assistant.grounding import CAUTION_BELOW, support
from assistant.guard import leaks_instructions, looks_like_instruction, sanitize_untrusted
from assistant.llm.base import ChatModel, Message
from assistant.prompts import PromptLibrary
from assistant.retrieval import Passage, Retriever, SearchResult
from assistant.schemas import PERSONA_LABELS, Answer, AnswerRequest

PASSAGES_IN_PROMPT = 4
PASSAGE_CHARS = 650
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
    after the loop, `.result` holds the final Answer."""

    def __init__(self, chunks: Iterator[str], finish: Callable[[str], Answer]) -> None:
        self._chunks = chunks
        self._finish = finish
        self.result: Answer | None = None
        self.text = ""

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            self.text += chunk
            yield chunk
        self.result = self._finish(self.text)


def prepare(retriever: Retriever, prompts: PromptLibrary, request: AnswerRequest) -> Prepared:
    question = request.question

    def canned(text: str, relevance: str, on_topic: bool) -> Answer:
        return Answer(
            question=question,
            persona=request.persona,
            answer=text,
            relevance=relevance,
            on_topic=on_topic,
            backend="rules",
            model="none",
            prompt_version=prompts.get("answer").version,
        )

    if looks_like_instruction(question):  # answered with a fixed refusal, no model call
        return Prepared(None, canned(REFUSAL, "none", False))
    query = question
    previous = [t.content for t in request.history if t.role == "user"][-1:]
    if previous and len(question.split()) < 12:
        query = f"{previous[0]} {question}"  # a follow-up leans on the last question
    result = retriever.search(query, k=PASSAGES_IN_PROMPT)
    if result.relevance != "none":
        return Prepared(result)
    if _MENTORING_WORDS.search(question):
        text = (
            "I couldn't find guidance on that in the knowledge base, so I won't guess. "
            f"I can help with {CAN_HELP_WITH}."
        )
        return Prepared(result, canned(text, "none", True))
    text = (
        "That's outside what I can help with: I'm a coach for reverse-mentoring pairs "
        f"and program leads. Try asking about {CAN_HELP_WITH}."
    )
    return Prepared(result, canned(text, "none", False))


def messages(
    prompts: PromptLibrary, request: AnswerRequest, passages: list[Passage]
) -> list[Message]:
    lines = []
    for n, p in enumerate(passages, 1):
        where = f"{p.title} › {p.heading}" if p.heading else p.title
        text = sanitize_untrusted(" ".join(p.text.split())[:PASSAGE_CHARS]).text
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
) -> Answer:
    passages = result.passages
    embedder = retriever.index.embedder
    text = clean_citations(raw, len(passages))
    if leaks_instructions(text):
        withheld = "The reply repeated internal instructions and was withheld."
        text, notes = REFUSAL, [*notes, withheld]
    elif not cited_numbers(text):
        text = attribute(text, passages, embedder)
    if not text.strip():
        text = EMPTY_REPLY
    citations = build_citations(text, passages)
    backing = None
    if text not in (REFUSAL, EMPTY_REPLY):
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
    filtered = CitationFilter(len(result.passages)).run(iter(stream))

    def done(text: str) -> Answer:
        seconds = time.perf_counter() - started
        notes = list(stream.notes)  # complete once the first chunk has arrived
        return finish(retriever, model, prompts, request, result, text, seconds, notes)

    return AnswerStream(filtered, done)
