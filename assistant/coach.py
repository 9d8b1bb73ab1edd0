"""The use cases: answer(), agenda(), starters(), feedback(). Plain Python, no UI.

Each method validates its input before any model call, retrieves from the knowledge base,
asks the model only for wording, and enforces the rules that can be computed in code.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence

from assistant import agendas, feedback, scope, starters
from assistant.citations import (
    CitationFilter,
    attribute,
    build_citations,
    cited_numbers,
    clean_citations,
)
from assistant.errors import InputError
from assistant.grounding import CAUTION_BELOW, support
from assistant.guard import leaks_instructions, sanitize_untrusted
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

        def canned(text: str, relevance: str, on_topic: bool, outcome: str = "") -> Answer:
            return Answer(
                question=question,
                persona=persona,
                answer=text,
                relevance=relevance,
                on_topic=on_topic,
                outcome=outcome or ("redirected" if not on_topic else "declined"),
                backend="rules",
                model="none",
                prompt_version=version,
            )

        previous = [t.content for t in history if t.role == "user"][-1:]
        context = previous[0] if previous and len(question.split()) < 12 else ""
        # --- scope decision (assistant/scope.py): rules, then the calibrated probes
        decision = scope.decide(question, self.retriever.index.embedder.embed_one, context=context)
        if decision.verdict == "refuse":  # a fixed refusal, no model call
            return question, persona, None, canned(REFUSAL, "none", False, "refused")
        query = f"{context} {question}" if context else question  # a follow-up leans on the last
        result = self.retriever.search(query, k=PASSAGES_IN_PROMPT)
        if decision.verdict == "redirect" or (
            result.relevance == "none" and not _MENTORING_WORDS.search(question)
        ):
            return question, persona, result, canned(REDIRECT, "none", False, "redirected")
        if result.relevance == "none" or scope.uncovered(result.passages, decision=decision):
            declined = scope_decline(question, persona, version, result, self.retriever)
            return question, persona, result, declined
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
        # --- output check (assistant/scope.py): whatever the backend, never show a reply made
        # only of citation markers or one about something else than the question
        outcome = "answered"
        if text not in (REFUSAL, EMPTY_REPLY):
            why = scope.unusable_reply(  # judged against the query (a follow-up's context)
                result.query, text, [c.text for c in citations], self.retriever.index.embedder.embed
            )
            if why is not None:
                text, citations = f"{NOT_COVERED} I can help with {CAN_HELP_WITH}.", []
                outcome = "declined"
                notes = [*notes, f"The model's reply was withheld ({UNUSABLE[why]})."]
        elif text == REFUSAL:
            outcome = "refused"
        backing = None
        if outcome == "answered" and text != EMPTY_REPLY:
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
            outcome=outcome,
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
            self.model, self.prompts, notes, names, max_chars=self.max_notes_chars
        )
