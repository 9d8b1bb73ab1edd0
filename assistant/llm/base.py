"""The one model interface every backend implements, and the test-suite guard.

A backend completes a list of chat messages (optionally constrained by a JSON schema) and
streams text chunks. Callers never branch on the backend; they read `status()` to show
"waiting for the model" and catch the typed errors in `assistant.llm.errors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict, runtime_checkable

from assistant.llm.errors import (
    AuthenticationFailed,
    BadModelOutput,
    ModelError,
    ModelNotFound,
    ModelRequestNotAllowed,
    ModelTimeout,
    ModelUnavailable,
    RateLimited,
    StreamInterrupted,
)

__all__ = [
    "ALLOW_MODEL_REQUESTS",
    "AuthenticationFailed",
    "BadModelOutput",
    "ChatModel",
    "Completion",
    "Message",
    "ModelError",
    "ModelNotFound",
    "ModelRequestNotAllowed",
    "ModelState",
    "ModelStatus",
    "ModelTimeout",
    "ModelUnavailable",
    "RateLimited",
    "StreamInterrupted",
    "TextStream",
    "check_allow_model_requests",
]


class Message(TypedDict):
    """One chat message, as every backend sends it."""

    role: Literal["system", "user", "assistant"]
    content: str


# The test-suite guard (pydantic-ai style). tests/conftest.py sets this to False so that a test
# reaching a real model by accident fails loudly; the `allow_model_requests` fixture re-enables
# it for the few tests marked `slow_model` or `server`. Read it through this module, never copy it.
ALLOW_MODEL_REQUESTS = True


def check_allow_model_requests(backend: str) -> None:
    if not ALLOW_MODEL_REQUESTS:
        raise ModelRequestNotAllowed(
            f"A real model request ({backend}) was attempted while "
            "assistant.llm.base.ALLOW_MODEL_REQUESTS is False. Use the `scripted_model` "
            "fixture, or the `allow_model_requests` fixture in a test marked slow_model/server."
        )


@dataclass
class Completion:
    text: str
    backend: str
    model: str
    seconds: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    notes: list[str] = field(default_factory=list)


ModelState = Literal["not_loaded", "loading", "ready", "busy", "unavailable"]


@dataclass(frozen=True)
class ModelStatus:
    state: ModelState
    detail: str = ""
    queue: int = 0  # requests waiting for the model (not counting the one running)


@runtime_checkable
class ChatModel(Protocol):
    backend: str  # "local" | "openai" | "scripted"
    model: str  # model id / file name shown to users
    context_window: int

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> Completion: ...

    def stream(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> TextStream:
        """Text chunks as they arrive (with `schema`: JSON text, constrained as in `complete`,
        for a caller that shows a structured result part by part). Raises
        StreamInterrupted(partial_text=...) if it breaks after text was yielded. The stream's
        `notes` (e.g. "the prompt was cut to fit") are complete once the first chunk has
        arrived, and final when it is exhausted."""
        ...

    def status(self) -> ModelStatus: ...


class TextStream(Iterator[str]):
    """An iterator of text chunks that also records what a caller may want to show afterwards:
    the accumulated text, notes about the request, and time to first chunk."""

    def __init__(self, produce: Callable[[list[str]], Iterator[str]]) -> None:
        self.notes: list[str] = []
        self.text = ""
        self.chunks = 0
        self.started = time.perf_counter()
        self.first_chunk_seconds: float | None = None
        self.finished_seconds: float | None = None
        self._chunks = produce(self.notes)

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.finished_seconds = time.perf_counter() - self.started
            raise
        if self.first_chunk_seconds is None:
            self.first_chunk_seconds = time.perf_counter() - self.started
        self.text += chunk
        self.chunks += 1
        return chunk

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
