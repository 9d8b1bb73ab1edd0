"""Typed results of the coach. Every artifact records how it was produced (provenance)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Persona = Literal["mentor", "mentee", "lead"]
Stage = Literal["first", "middle", "closing"]
Relevance = Literal["strong", "weak", "none"]
StarterCategory = Literal["icebreaker", "skill", "perspective", "reflection", "business", "goal"]

PERSONA_LABELS: dict[str, str] = {
    "mentor": "Junior mentor",
    "mentee": "Senior mentee",
    "lead": "Program lead",
}
STAGE_LABELS: dict[str, str] = {
    "first": "First session",
    "middle": "A middle session",
    "closing": "Closing session",
}
MIN_MINUTES, MAX_MINUTES = 5, 240
MAX_NOTES_CHARS = 50_000
MAX_QUESTION_CHARS = 2_000


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Provenance(BaseModel):
    backend: str = ""
    model: str = ""
    prompt_version: str = ""
    seconds: float = 0.0
    created_at: str = Field(default_factory=_now)
    notes: list[str] = Field(default_factory=list)  # e.g. "the prompt was cut to fit"


class Citation(BaseModel):
    n: int
    id: str
    source: str
    title: str
    heading: str = ""
    text: str = ""


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Answer(Provenance):
    kind: Literal["answer"] = "answer"
    question: str
    persona: Persona = "mentee"
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    relevance: Relevance = "strong"
    on_topic: bool = True
    # Share of the answer's claims backed by its cited passages (assistant.grounding); None
    # for answers the coach wrote itself (refusals, "not covered") and older saved answers.
    support: float | None = None
    # What the coach did with the question (assistant.scope): answered from the knowledge base,
    # declined (not covered), redirected (off-topic), refused (harmful or an attack) or
    # rehearsal (pointed to the rehearsal mode). Older saved answers read as "answered".
    outcome: Literal["answered", "declined", "redirected", "refused", "rehearsal"] = "answered"


class AgendaRequest(BaseModel):
    topic: str = Field(min_length=1, max_length=200)
    minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES)
    stage: Stage = "middle"
    session_number: int | None = Field(default=None, ge=1, le=100)
    mentor_role: str = Field(default="junior mentor", max_length=120)
    mentee_role: str = Field(default="senior leader", max_length=120)
    goals: list[str] = Field(default_factory=list, max_length=10)
    notes_from_last_time: str = Field(default="", max_length=5_000)

    @field_validator("topic")
    @classmethod
    def _topic_not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("the topic is empty")
        return value


class AgendaItem(BaseModel):
    minutes: int
    activity: str
    details: str
    sources: list[str] = Field(default_factory=list)  # knowledge source paths, all cited


class Agenda(Provenance):
    kind: Literal["agenda"] = "agenda"
    title: str
    topic: str
    minutes: int
    stage: Stage
    session_number: int | None = None
    mentor_role: str = ""
    mentee_role: str = ""
    objectives: list[str] = Field(default_factory=list)
    items: list[AgendaItem]
    starters: list[str] = Field(default_factory=list)
    prepare: list[str] = Field(default_factory=list)
    follow_up: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


class Starter(BaseModel):
    text: str
    category: StarterCategory
    why: str
    sources: list[str] = Field(default_factory=list)


class StarterSet(Provenance):
    kind: Literal["starters"] = "starters"
    topic: str
    stage: Stage = "middle"
    starters: list[Starter]
    citations: list[Citation] = Field(default_factory=list)


class ActionItem(BaseModel):
    owner: str
    action: str
    due: str | None = None


class FeedbackSummary(Provenance):
    kind: Literal["feedback"] = "feedback"
    summary: str
    went_well: list[str] = Field(default_factory=list)
    senior_learned: list[str] = Field(default_factory=list)
    junior_learned: list[str] = Field(default_factory=list)
    challenges: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    next_focus: str = ""
    redactions: int = 0
