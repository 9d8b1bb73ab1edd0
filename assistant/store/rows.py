"""The history store's row types, and how an artifact is encoded into its row and decoded
back (one owner for both directions)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from assistant.errors import CoachError
from assistant.schemas import Agenda, Answer, FeedbackSummary, StarterSet
from assistant.text import shorten_title

Artifact = Answer | Agenda | StarterSet | FeedbackSummary
ARTIFACT_TYPES: dict[str, type[Artifact]] = {
    "answer": Answer,
    "agenda": Agenda,
    "starters": StarterSet,
    "feedback": FeedbackSummary,
}
TITLE_CHARS = 80
RUN_RUNNING, RUN_INTERRUPTED, RUN_COMPLETE = "running", "interrupted", "complete"


@dataclass
class StoredArtifact:
    id: int
    kind: str
    title: str
    created_at: str
    backend: str
    model: str
    prompt_version: str
    payload: dict
    rating: int | None
    conversation_id: int | None


@dataclass(frozen=True)
class Exchange:
    """Where a recorded question and reply went."""

    conversation_id: int
    artifact_id: int


@dataclass
class ConversationRow:
    id: int
    persona: str
    title: str
    created_at: str
    updated_at: str
    messages: int


@dataclass
class MessageRow:
    id: int
    conversation_id: int
    role: str
    content: str
    artifact_id: int | None
    created_at: str


@dataclass
class EvalRunRow:
    id: int
    created_at: str
    suites: list[str]
    backend: str
    model: str
    prompt_versions: dict
    config: dict
    seconds: float
    metrics: dict[str, float]
    cases: list[dict] | None

    @property
    def status(self) -> str:
        """complete, running (or killed), or interrupted; runs stored before statuses existed
        were always complete."""
        return str(self.config.get("status", RUN_COMPLETE))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _shorten(text: str, limit: int = TITLE_CHARS) -> str:
    return shorten_title(text, limit)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def default_title(artifact: Artifact) -> str:
    if isinstance(artifact, Answer):
        return _shorten(artifact.question)
    if isinstance(artifact, Agenda):
        return artifact.title
    if isinstance(artifact, StarterSet):
        return f"Starters: {artifact.topic}"
    return _shorten(artifact.summary)


def artifact_values(artifact: Artifact, title: str | None = None) -> dict[str, Any]:
    """The artifacts row for `artifact` (shared with stores that save one in a larger write)."""
    if not isinstance(artifact, tuple(ARTIFACT_TYPES.values())):
        raise TypeError(f"cannot save {type(artifact).__name__}")
    title = _shorten(title, 200) if title and title.strip() else default_title(artifact)
    payload = artifact.model_dump(mode="json")
    return {
        "kind": artifact.kind,
        "title": title,
        "created_at": artifact.created_at,
        "backend": artifact.backend,
        "model": artifact.model,
        "prompt_version": artifact.prompt_version,
        "payload": payload,
        "search_text": "\n".join([title, *_strings(payload)]).lower(),
    }


def load_artifact(stored: StoredArtifact) -> Artifact:
    """The typed artifact back from its stored payload."""
    cls = ARTIFACT_TYPES.get(stored.kind)
    if cls is None:
        raise CoachError(
            f"Saved item #{stored.id} has an unknown kind {stored.kind!r}.",
            "Delete it from the history; this version cannot show it.",
        )
    try:
        return cls.model_validate(stored.payload)
    except ValidationError as exc:
        raise CoachError(
            f"Saved {stored.kind} #{stored.id} no longer matches the current format "
            f"({exc.error_count()} problem(s)).",
            "Delete it from the history or open it with the version that saved it.",
        ) from exc
