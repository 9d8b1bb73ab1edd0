"""Pairs: the relationship the coach remembers, session after session.

The domain types, what the next session of a pair is (number, stage, topic, the open actions
its agenda reviews), what a feedback summary records for a pair, and the use cases that tie
them to the coach and the store (`assistant.pair_store`, passed in; this module never reads a
storage type). Program-health figures for leads are in `assistant.pair_health`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from assistant.privacy import redact
from assistant.schemas import (
    MAX_GOAL_CHARS,
    MAX_MINUTES,
    MIN_MINUTES,
    Agenda,
    AgendaRequest,
    FeedbackRequest,
    FeedbackSummary,
    ReviewAction,
    Stage,
)

Side = Literal["senior", "junior"]
PairStatus = Literal["active", "paused", "closed"]
ActionStatus = Literal["open", "done", "dropped"]
PAIR_STATUSES: tuple[str, ...] = ("active", "paused", "closed")
ACTION_STATUSES: tuple[str, ...] = ("open", "done", "dropped")
DEFAULT_CADENCE_DAYS, DEFAULT_SESSIONS = 14, 6
MAX_GOALS_PER_SIDE = 5
TOPIC_CHARS = 200


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


class Goal(BaseModel):
    """What one side wants to learn (senior: from the junior; junior: back from the senior)."""

    id: int | None = None
    side: Side
    text: str = Field(min_length=1, max_length=MAX_GOAL_CHARS)
    progress: int = Field(default=1, ge=1, le=5)

    @field_validator("text", mode="before")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _one_line(value)


class Cohort(BaseModel):
    id: int | None = None
    name: str = Field(min_length=1, max_length=200)
    start_date: date
    end_date: date

    @model_validator(mode="after")
    def _ordered(self) -> Cohort:
        if self.end_date < self.start_date:
            raise ValueError("the cohort ends before it starts")
        return self


class Pair(BaseModel):
    """A junior mentor and a senior mentee, their rhythm and their goals in both directions."""

    id: int | None = None
    mentor: str = Field(min_length=1, max_length=200)  # the junior
    mentee: str = Field(min_length=1, max_length=200)  # the senior
    mentor_role: str = Field(default="junior mentor", max_length=120)
    mentee_role: str = Field(default="senior leader", max_length=120)
    start_date: date = Field(default_factory=date.today)
    cadence_days: int = Field(default=DEFAULT_CADENCE_DAYS, ge=1, le=365)
    sessions_planned: int = Field(default=DEFAULT_SESSIONS, ge=1, le=100)
    status: PairStatus = "active"
    cohort_id: int | None = None
    goals: list[Goal] = Field(default_factory=list, max_length=2 * MAX_GOALS_PER_SIDE)

    @field_validator("mentor", "mentee", "mentor_role", "mentee_role", mode="before")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _one_line(value)

    @property
    def names(self) -> list[str]:
        """Mentor first, as redaction expects."""
        return [self.mentor, self.mentee]

    @property
    def label(self) -> str:
        return f"{self.mentor} & {self.mentee}"

    def goals_of(self, side: Side) -> list[Goal]:
        return [g for g in self.goals if g.side == side]


class PairSession(BaseModel):
    number: int = Field(ge=1)
    held_on: date
    next_focus: str = ""
    rating: int | None = Field(default=None, ge=1, le=5)
    summary_id: int | None = None


class TrackedAction(BaseModel):
    id: int | None = None
    session: int = Field(ge=1)  # the session that raised it
    owner: str
    action: str
    due: str | None = None
    status: ActionStatus = "open"


class LedgerEntry(BaseModel):
    side: Side  # who learned it
    text: str
    session: int = Field(ge=1)


@dataclass(frozen=True)
class SessionRecord:
    """What recording a summary writes for a pair, all in one transaction."""

    session: PairSession
    actions: list[TrackedAction]
    ledger: list[LedgerEntry]


# --------------------------------------------------------------------------- sessions
def stage_for(number: int, planned: int) -> Stage:
    """First session sets expectations; the last planned one (or any later) closes."""
    if number <= 1:
        return "first"
    return "closing" if number >= planned else "middle"


def redact_for_pair(pair: Pair, text: str) -> str:
    """`text` as a pair's actions and ledger keep it: the pair's names (and any email, phone
    or URL) replaced, on one line."""
    text = redact(text or "", pair.names).text
    text = text.replace("[MENTOR]", "the mentor").replace("[MENTEE]", "the mentee")
    return _one_line(text)


def session_record(
    pair: Pair, summary: FeedbackSummary, number: int, held_on: date, rating: int | None = None
) -> SessionRecord:
    """A summary as the pair's session `number`: its actions and ledger entries, with the
    pair's names redacted once more (the ledger and actions keep redacted text only)."""

    def clean(text: str) -> str:
        return redact_for_pair(pair, text)

    actions = [
        TrackedAction(
            session=number,
            owner=clean(item.owner)[:60] or "Unassigned",
            action=clean(item.action),
            due=clean(item.due) if item.due else None,
        )
        for item in summary.action_items
        if clean(item.action)
    ]
    ledger = [
        LedgerEntry(side=side, text=clean(text), session=number)
        for side, texts in (("senior", summary.senior_learned), ("junior", summary.junior_learned))
        for text in texts
        if clean(text)
    ]
    session = PairSession(
        number=number, held_on=held_on, next_focus=clean(summary.next_focus), rating=rating
    )
    return SessionRecord(session=session, actions=actions, ledger=ledger)


def next_topic(pair: Pair, sessions: Sequence[PairSession]) -> str:
    """The last summary's next focus, else the senior's first goal, else a first-session topic."""
    focus = next((s.next_focus for s in reversed(sessions) if s.next_focus.strip()), "")
    goals = [g.text for g in pair.goals_of("senior")] + [g.text for g in pair.goals_of("junior")]
    topic = focus or (goals[0] if goals else "Getting to know each other and setting goals")
    topic = _one_line(topic)
    return topic if len(topic) <= TOPIC_CHARS else topic[: TOPIC_CHARS - 1].rstrip() + "…"


def next_session_request(
    pair: Pair,
    sessions: Sequence[PairSession],
    open_actions: Sequence[TrackedAction],
    minutes: int,
) -> AgendaRequest:
    """The agenda request for the pair's next session: number, stage, topic, goals, and every
    open action item for the review item (done and dropped ones are not passed)."""
    number = max((s.number for s in sessions), default=0) + 1
    senior = [f"Senior learns: {g.text}" for g in pair.goals_of("senior")]
    junior = [f"Junior learns: {g.text}" for g in pair.goals_of("junior")]
    last = max(sessions, key=lambda s: s.number) if sessions else None
    return AgendaRequest.from_input(
        topic=next_topic(pair, sessions),
        minutes=minutes,
        stage=stage_for(number, pair.sessions_planned),
        session_number=number,
        mentor_role=pair.mentor_role,
        mentee_role=pair.mentee_role,
        goals=(senior + junior)[:10],
        notes_from_last_time=(
            f"Agreed focus for this session: {last.next_focus}" if last and last.next_focus else ""
        ),
        review_actions=[
            ReviewAction(action=a.action, owner=a.owner, session=a.session, due=a.due)
            for a in open_actions
            if a.status == "open"
        ],
    )


def starters_topic(pair: Pair, sessions: Sequence[PairSession]) -> str:
    """A starters topic that carries the pair's goals, so the questions serve them."""
    topic = next_topic(pair, sessions)
    goals = "; ".join(g.text for g in pair.goals)
    text = f"{topic} (goals: {goals})" if goals else topic
    return text if len(text) <= TOPIC_CHARS else text[: TOPIC_CHARS - 1].rstrip() + "…"


def next_session_date(pair: Pair, sessions: Sequence[PairSession], today: date) -> date:
    """The cadence from the last session (or the start date), never in the past."""
    if sessions:
        due = max(s.held_on for s in sessions) + timedelta(days=pair.cadence_days)
    else:
        due = pair.start_date
    return max(due, today)


def check_minutes(minutes: int) -> None:
    from assistant.errors import InputError

    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InputError(
            "The duration is out of range.",
            f"Choose between {MIN_MINUTES} and {MAX_MINUTES} minutes.",
        )


# --------------------------------------------------------------------------- use cases
# `store` is an assistant.pair_store.PairStore; `coach` an assistant.coach.Coach.
def record_summary(
    store: Any,
    pair_id: int,
    summary: FeedbackSummary,
    held_on: date | None = None,
    rating: int | None = None,
    visibility: str = "pair",
) -> SessionRecord:
    """Record `summary` as the pair's next session: the summary, its action items and its
    ledger entries in one transaction. `visibility` "private": only the writer reads them."""
    pair = store.get_pair(pair_id)
    held = held_on or date.today()

    def build(number: int) -> SessionRecord:
        return session_record(pair, summary, number, held, rating)

    return store.record_session(pair_id, build, summary=summary, visibility=visibility)


def summarise_session(
    coach: Any,
    store: Any,
    pair_id: int,
    request: FeedbackRequest,
    held_on: date | None = None,
    rating: int | None = None,
    visibility: str = "pair",
    **progress: Any,
) -> tuple[FeedbackSummary, SessionRecord]:
    """Summarise a validated request's notes for a pair (the pair's names are added to the
    names redacted before the model sees the notes) and record the result as the pair's next
    session. Only a member of the pair may: that is checked before the model is called.
    `progress` (on_progress, on_text) goes to the coach's `feedback`."""
    store.require_member(pair_id)
    pair = store.get_pair(pair_id)
    request = request.model_copy(update={"names": [*pair.names, *request.names]})
    summary = coach.feedback(request, **progress)
    return summary, record_summary(store, pair_id, summary, held_on, rating, visibility)


def plan_next_session(coach: Any, store: Any, pair_id: int, minutes: int) -> Agenda:
    """The pair's next agenda (saved as the pair's, for that session)."""
    check_minutes(minutes)
    pair = store.get_pair(pair_id)
    sessions = store.sessions(pair_id)
    request = next_session_request(pair, sessions, store.actions(pair_id, "open"), minutes)
    agenda = coach.agenda(request)
    store.save_artifact(pair_id, agenda, session=request.session_number)
    return agenda
