"""Typed requests and results of the coach.

Requests (AnswerRequest, AgendaRequest, StartersRequest, FeedbackRequest) hold every input
rule, each limit in one place; a use case receives a validated request and checks nothing
again. Results record how they were produced (provenance).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from assistant.config import DEFAULT_MAX_NOTES_CHARS
from assistant.errors import input_error, refusal

if TYPE_CHECKING:  # a leaf module: retrieval imports the schemas, not the other way round
    from assistant.retrieval import Passage

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
MAX_QUESTION_CHARS = 2_000
EXCERPT_CHARS = 600  # passage text kept in an agenda's or a starter set's citations
MAX_TOPIC_CHARS = 200
MIN_STARTERS, MAX_STARTERS = 1, 12
# The notes limit is a setting (COACH_MAX_NOTES_CHARS); a FeedbackRequest validated without
# it in its context uses the setting's default.
NOTES_LIMIT = "max_notes_chars"


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

    @classmethod
    def from_passage(cls, n: int, passage: Passage, max_chars: int | None = None) -> Citation:
        """Citation number `n` for a retrieved passage, its text cut to `max_chars` if given."""
        return cls(
            n=n,
            id=passage.id,
            source=passage.source,
            title=passage.title,
            heading=passage.heading,
            text=passage.text if max_chars is None else passage.text[:max_chars],
        )


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


# --- requests ---------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _topic(typed: str) -> str:
    value = _one_line(typed)
    if not value:
        raise refusal("Topic is empty.", "Say what the session is about, e.g. “AI chatbots”.")
    if len(value) > MAX_TOPIC_CHARS:
        raise refusal(
            f"Topic is too long ({len(typed):,} characters).",
            f"Keep it to a short phrase of at most {MAX_TOPIC_CHARS} characters.",
        )
    return value


Topic = Annotated[str, AfterValidator(_topic)]


class Request(BaseModel):
    """The input of one use case. Values a person typed go through `from_input`, which turns
    any problem into one InputError (message + hint) for the CLI and the pages alike; its
    `context` carries configured limits ({NOTES_LIMIT: settings.max_notes_chars})."""

    @classmethod
    def from_input(cls, *, context: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        try:
            return cls.model_validate(fields, context=dict(context or {}))
        except ValidationError as exc:
            raise input_error(exc) from exc


class AnswerRequest(Request):
    question: str
    persona: Persona = "mentee"
    history: list[Turn] = Field(default_factory=list)

    @field_validator("question")
    @classmethod
    def _question(cls, typed: str) -> str:
        value = _one_line(typed)
        if not value:
            raise refusal("The question is empty.", "Type a question first.")
        if len(value) > MAX_QUESTION_CHARS:  # spaces and line breaks count once
            raise refusal(
                f"The question is {len(typed):,} characters long.",
                f"Shorten it to {MAX_QUESTION_CHARS:,} characters or fewer and send it again.",
            )
        return value


RehearsalPersonaKey = Literal[
    "skeptical-senior", "nervous-junior", "defensive-senior", "busy-executive"
]
MAX_REHEARSAL_LINE_CHARS = 1_000
MAX_REHEARSAL_TURNS = 60  # both sides; past this, end the rehearsal and get the feedback


class RehearsalRequest(Request):
    """One practice line in a rehearsal (assistant.rehearsal): the persona the app plays, the
    conversation so far (the persona's lines are `assistant` turns) and the user's new line."""

    persona: RehearsalPersonaKey
    turns: list[Turn] = Field(default_factory=list)
    line: str

    @field_validator("line")
    @classmethod
    def _line(cls, typed: str) -> str:
        value = " ".join(typed.split())
        if not value:
            raise refusal("The practice line is empty.", "Type what you would say, then send it.")
        if len(value) > MAX_REHEARSAL_LINE_CHARS:
            raise refusal(
                f"The practice line is {len(typed):,} characters long.",
                f"Say it in {MAX_REHEARSAL_LINE_CHARS:,} characters or fewer, as you would "
                "in the conversation.",
            )
        return value

    @field_validator("turns")
    @classmethod
    def _turns(cls, turns: list[Turn]) -> list[Turn]:
        if len(turns) >= MAX_REHEARSAL_TURNS:
            raise refusal(
                f"This rehearsal already has {len(turns)} lines.",
                "End it to get your feedback, then start a new one.",
            )
        return turns


class ReviewAction(BaseModel):
    """An open action item carried into a pair's next agenda, with the session that raised it."""

    action: str = Field(min_length=1, max_length=500)
    owner: str = Field(default="", max_length=60)
    session: int = Field(ge=1)
    due: str | None = None


MAX_GOAL_CHARS = 300  # one goal, of an agenda request or of a pair


class AgendaRequest(Request):
    topic: Topic
    minutes: int
    stage: Stage = "middle"
    session_number: int | None = Field(default=None, ge=1, le=100)
    mentor_role: str = Field(default="junior mentor", max_length=120)
    mentee_role: str = Field(default="senior leader", max_length=120)
    goals: list[str] = Field(default_factory=list, max_length=10)
    notes_from_last_time: str = Field(default="", max_length=5_000)
    # A pair's open action items: the plan gets a review item listing every one of them.
    review_actions: list[ReviewAction] = Field(default_factory=list, max_length=50)

    @field_validator("goals")
    @classmethod
    def _goals(cls, typed: list[str]) -> list[str]:
        goals = [_one_line(g) for g in typed]
        for n, goal in enumerate(goals, 1):
            if len(goal) > MAX_GOAL_CHARS:
                raise refusal(
                    f"Goal {n} is {len(goal):,} characters long.",
                    f"Keep each goal to one line of {MAX_GOAL_CHARS} characters or fewer.",
                )
        return [g for g in goals if g]

    @field_validator("minutes")
    @classmethod
    def _minutes(cls, value: int) -> int:
        if not MIN_MINUTES <= value <= MAX_MINUTES:
            raise refusal(
                f"Minutes must be between {MIN_MINUTES} and {MAX_MINUTES} minutes.",
                f"{value} is outside that range: choose a session length within it.",
            )
        return value


class StartersRequest(Request):
    topic: Topic
    stage: Stage = "middle"
    count: int = 6

    @field_validator("count")
    @classmethod
    def _count(cls, value: int) -> int:
        if not MIN_STARTERS <= value <= MAX_STARTERS:
            raise refusal(
                f"{value} starters is out of range.",
                f"Ask for {MIN_STARTERS} to {MAX_STARTERS} starters.",
            )
        return value


class FeedbackRequest(Request):
    notes: str
    names: list[str] = Field(default_factory=list)

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: str, info: ValidationInfo) -> str:
        limit = int((info.context or {}).get(NOTES_LIMIT, DEFAULT_MAX_NOTES_CHARS))
        if not value.strip():
            raise refusal("Notes are empty.", "Paste the notes from the session first.")
        if "\x00" in value or sum(ch < " " and ch not in "\n\r\t" for ch in value) > 10:
            raise refusal(
                "The notes look like binary data, not text.",
                "Paste or upload the notes as plain text.",
            )
        if len(value) > limit:
            raise refusal(
                f"The notes are {len(value):,} characters; the limit is {limit:,}.",
                "Keep only the part about this one session and try again.",
            )
        return value

    @field_validator("names", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """Names as typed, comma-separated ("Priya Raman, Gordon Hale"), or a list."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return [n for n in (_one_line(str(x)) for x in value) if n]
        return value


# --- results ----------------------------------------------------------------------------


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
    goals: list[str] = Field(default_factory=list)  # so a reopened agenda refills its form
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
