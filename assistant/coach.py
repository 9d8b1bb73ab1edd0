"""The use cases: answer(), agenda(), starters(), feedback(). Plain Python, no UI.

Each method validates its input before any model call, retrieves from the knowledge base,
asks the model only for wording, and enforces the rules that can be computed in code.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence

from assistant import agendas, feedback, starters
from assistant.citations import (
    CitationFilter,
    attribute,
    build_citations,
    cited_numbers,
    clean_citations,
)
from assistant.errors import InputError
from assistant.grounding import CAUTION_BELOW, support
from assistant.guard import leaks_instructions, looks_like_instruction, sanitize_untrusted
from assistant.llm.base import ChatModel
from assistant.prompts import PromptLibrary, default_library
from assistant.retrieval import Passage, Retriever, SearchResult
from assistant.schemas import (
    MAX_NOTES_CHARS,
    MAX_QUESTION_CHARS,
    PERSONA_LABELS,
    Agenda,
    AgendaRequest,
    Answer,
    FeedbackSummary,
    Persona,
    Stage,
    StarterSet,
    Turn,
)

PASSAGES_IN_PROMPT = 4
PASSAGE_CHARS = 650
HISTORY_TURNS = 4
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


def _persona(persona: str) -> Persona:
    if persona not in PERSONA_LABELS:
        raise InputError(f"Unknown persona '{persona}'.", "Use one of: mentor, mentee, lead.")
    return persona  # type: ignore[return-value]


class AnswerStream:
    """Iterate for the answer's text as it is generated (citation numbers already checked);
    after the loop, `.result` holds the final Answer."""

    def __init__(self, chunks: Iterator[str], finish) -> None:  # noqa: ANN001
        self._chunks = chunks
        self._finish = finish
        self.result: Answer | None = None
        self.text = ""

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            self.text += chunk
            yield chunk
        self.result = self._finish(self.text)


class Coach:
    def __init__(
        self,
        retriever: Retriever,
        model: ChatModel,
        prompts: PromptLibrary | None = None,
        max_notes_chars: int = MAX_NOTES_CHARS,
    ) -> None:
        self.retriever = retriever
        self.model = model
        self.prompts = prompts or default_library()
        self.max_notes_chars = max_notes_chars  # COACH_MAX_NOTES_CHARS, one limit everywhere

    # ------------------------------------------------------------------ answers
    def _prepare(
        self, question: str, persona: str, history: Sequence[Turn]
    ) -> tuple[str, Persona, SearchResult | None, Answer | None]:
        question = " ".join((question or "").split())
        if not question:
            raise InputError("The question is empty.", "Type a question for the coach.")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(
                f"The question is {len(question):,} characters long.",
                f"Keep it under {MAX_QUESTION_CHARS:,} characters.",
            )
        persona = _persona(persona)
        version = self.prompts.get("answer").version

        def canned(text: str, relevance: str, on_topic: bool) -> Answer:
            return Answer(
                question=question,
                persona=persona,
                answer=text,
                relevance=relevance,
                on_topic=on_topic,
                backend="rules",
                model="none",
                prompt_version=version,
            )

        if looks_like_instruction(question):  # answered with a fixed refusal, no model call
            return question, persona, None, canned(REFUSAL, "none", False)
        query = question
        previous = [t.content for t in history if t.role == "user"][-1:]
        if previous and len(question.split()) < 12:
            query = f"{previous[0]} {question}"  # a follow-up leans on the last question
        result = self.retriever.search(query, k=PASSAGES_IN_PROMPT)
        if result.relevance == "none":
            if _MENTORING_WORDS.search(question):
                text = (
                    "I couldn't find guidance on that in the knowledge base, so I won't guess. "
                    f"I can help with {CAN_HELP_WITH}."
                )
                return question, persona, result, canned(text, "none", True)
            text = (
                "That's outside what I can help with: I'm a coach for reverse-mentoring pairs "
                f"and program leads. Try asking about {CAN_HELP_WITH}."
            )
            return question, persona, result, canned(text, "none", False)
        return question, persona, result, None

    def _messages(
        self, question: str, persona: Persona, history: Sequence[Turn], passages: list[Passage]
    ) -> list[dict[str, str]]:
        lines = []
        for n, p in enumerate(passages, 1):
            where = f"{p.title} › {p.heading}" if p.heading else p.title
            text = sanitize_untrusted(" ".join(p.text.split())[:PASSAGE_CHARS]).text
            lines.append(f"[{n}] ({where}) {text}")
        turns = []
        for turn in list(history)[-HISTORY_TURNS:]:
            who = "User" if turn.role == "user" else "Coach"
            turns.append(f"{who}: {sanitize_untrusted(turn.content[:300]).text}")
        earlier = ("Earlier in this conversation:\n" + "\n".join(turns)) if turns else ""
        return self.prompts.get("answer").render(
            persona=PERSONA_LABELS[persona],
            history=earlier,
            passages="\n".join(lines),
            question=question,
        )

    def _finish_answer(
        self,
        question: str,
        persona: Persona,
        result: SearchResult,
        raw: str,
        seconds: float,
        notes: list[str],
    ) -> Answer:
        passages = result.passages
        text = clean_citations(raw, len(passages))
        if leaks_instructions(text):
            withheld = "The reply repeated internal instructions and was withheld."
            text, notes = REFUSAL, [*notes, withheld]
        elif not cited_numbers(text):
            text = attribute(text, passages, self.retriever.index.embedder)
        if not text.strip():
            text = EMPTY_REPLY
        citations = build_citations(text, passages)
        backing = None
        if text not in (REFUSAL, EMPTY_REPLY):
            measured = support(
                text, [c.text for c in citations], self.retriever.index.embedder.embed
            )
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
            question=question,
            persona=persona,
            answer=text,
            citations=citations,
            relevance=result.relevance,
            support=backing,
            backend=self.model.backend,
            model=self.model.model,
            prompt_version=self.prompts.get("answer").version,
            seconds=round(seconds, 2),
            notes=notes,
        )

    def answer(
        self, question: str, persona: str = "mentee", history: Sequence[Turn] = ()
    ) -> Answer:
        started = time.perf_counter()
        question, persona_, result, canned = self._prepare(question, persona, history)
        if canned is not None:
            canned.seconds = round(time.perf_counter() - started, 3)
            return canned
        assert result is not None
        completion = self.model.complete(
            self._messages(question, persona_, history, result.passages), max_tokens=400
        )
        return self._finish_answer(
            question,
            persona_,
            result,
            completion.text,
            time.perf_counter() - started,
            list(completion.notes),
        )

    def stream_answer(
        self, question: str, persona: str = "mentee", history: Sequence[Turn] = ()
    ) -> AnswerStream:
        started = time.perf_counter()
        question, persona_, result, canned = self._prepare(question, persona, history)
        if canned is not None:
            return AnswerStream(iter([canned.answer]), lambda _text: canned)
        assert result is not None
        stream = self.model.stream(
            self._messages(question, persona_, history, result.passages), max_tokens=400
        )
        filtered = CitationFilter(len(result.passages)).run(iter(stream))

        def finish(text: str) -> Answer:
            notes = list(getattr(stream, "notes", []) or [])
            return self._finish_answer(
                question, persona_, result, text, time.perf_counter() - started, notes
            )

        return AnswerStream(filtered, finish)

    # ------------------------------------------------------------------ artifacts
    def agenda(self, request: AgendaRequest) -> Agenda:
        return agendas.build_agenda(self.retriever, self.model, self.prompts, request)

    def starters(self, topic: str, stage: Stage = "middle", count: int = 6) -> StarterSet:
        return starters.build_starters(
            self.retriever, self.model, self.prompts, topic, stage, count
        )

    def feedback(self, notes: str, names: Sequence[str] = ()) -> FeedbackSummary:
        return feedback.build_feedback(
            self.model,
            self.prompts,
            notes,
            names,
            max_chars=self.max_notes_chars,
            embed=self.retriever.index.embedder.embed,
        )
