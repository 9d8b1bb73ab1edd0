"""The coach: one object over the four use cases, so the UI and the CLI hold one thing.

Each use case takes a validated request (assistant.schemas) and lives in its own module:
answers, agendas, starters, feedback, rehearsal. Plain Python, no UI.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant import agendas, answers, feedback, rehearsal, starters
from assistant.answers import AnswerStream
from assistant.llm.base import ChatModel
from assistant.prompts import PromptLibrary, default_library
from assistant.retrieval import Retriever
from assistant.schemas import (
    Agenda,
    AgendaRequest,
    Answer,
    AnswerRequest,
    FeedbackRequest,
    FeedbackSummary,
    RehearsalRequest,
    Starter,
    StarterSet,
    StartersRequest,
    Turn,
)


class Coach:
    def __init__(
        self, retriever: Retriever, model: ChatModel, prompts: PromptLibrary | None = None
    ) -> None:
        self.retriever = retriever
        self.model = model
        self.prompts = prompts or default_library()

    def answer(self, request: AnswerRequest) -> Answer:
        return answers.answer(self.retriever, self.model, self.prompts, request)

    def stream_answer(self, request: AnswerRequest) -> AnswerStream:
        return answers.stream_answer(self.retriever, self.model, self.prompts, request)

    def agenda(self, request: AgendaRequest) -> Agenda:
        return agendas.build_agenda(self.retriever, self.model, self.prompts, request)

    def plan_agenda(self, request: AgendaRequest) -> agendas.AgendaJob:
        """The agenda's plan, at once (no model); `write_agenda` then words it."""
        return agendas.plan_agenda(self.retriever, self.prompts, request)

    def write_agenda(
        self,
        job: agendas.AgendaJob,
        on_progress: Callable[[Agenda, int], None] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Agenda:
        return agendas.write_agenda(job, self.model, self.prompts, on_progress, on_text)

    def starters(
        self,
        request: StartersRequest,
        on_progress: Callable[[list[Starter]], None] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> StarterSet:
        return starters.build_starters(
            self.retriever, self.model, self.prompts, request, on_progress, on_text
        )

    def feedback(
        self,
        request: FeedbackRequest,
        on_progress: Callable[[str, dict[str, int]], None] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> FeedbackSummary:
        return feedback.build_feedback(
            self.model,
            self.prompts,
            request,
            embed=self.retriever.index.embedder.embed,
            on_progress=on_progress,
            on_text=on_text,
        )

    def rehearse(self, request: RehearsalRequest) -> rehearsal.Reply:
        """The rehearsal persona's answer to the user's practice line."""
        return rehearsal.reply(self.retriever.index, self.model, self.prompts, request)

    def rehearsal_feedback(self, persona: str, turns: list[Turn]) -> rehearsal.Debrief:
        """Short cited feedback on the user's lines when a rehearsal ends."""
        return rehearsal.debrief(self.retriever.index, self.model, self.prompts, persona, turns)
