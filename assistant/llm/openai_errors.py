"""Turn what the openai client raised into one clear message for the user.

Each failure a user can cause (wrong key, unreachable URL, unknown model, overload, a prompt
too long) gets its own wording, saying what happened, how often it was tried, and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import openai

from assistant.llm.errors import (
    AuthenticationFailed,
    ModelError,
    ModelNotFound,
    ModelTimeout,
    ModelUnavailable,
    RateLimited,
)
from assistant.llm.retry import StreamEndedEarly, is_quota_exhausted

ENDPOINT_HINT = (
    "Check OPENAI_BASE_URL and that the server is running, or unset it to use the embedded model."
)
CONTEXT_WORDS = ("context length", "context window", "maximum context", "too long", "exceed")


def server_detail(exc: BaseException, limit: int = 200) -> str:
    """The server's own error message, if it sent one, shortened."""
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        message = message or body.get("detail")
    text = str(message or getattr(exc, "message", "") or exc).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mentions(exc: BaseException, words: tuple[str, ...]) -> bool:
    text = f"{server_detail(exc, 2000)} {getattr(exc, 'body', '')}".lower()
    return any(word in text for word in words)


def is_unsupported_format(exc: openai.APIStatusError) -> bool:
    """Does this failure of a structured request mean "try a simpler response_format"?"""
    if exc.status_code not in (400, 422, 500, 501):
        return False
    return not _mentions(exc, CONTEXT_WORDS)


def _times(attempts: int, seconds: float) -> str:
    if attempts <= 1:
        return "1 attempt"
    return f"{attempts} attempts over {seconds:.1f} s"


def describe_failure(
    exc: BaseException,
    *,
    base_url: str,
    model: str,
    attempts: int,
    seconds: float,
    timeout: float,
    list_models: Callable[[], list[str]] | None = None,
) -> ModelError:
    server = f"The model server at {base_url}"
    tried = _times(attempts, seconds)
    if isinstance(exc, openai.APITimeoutError) or "timeout" in type(exc).__name__.lower():
        return ModelTimeout(
            f"{server} did not answer within {timeout:g} s ({tried}).",
            "Check that it is running and not overloaded, or raise COACH_OPENAI_TIMEOUT.",
        )
    if isinstance(exc, StreamEndedEarly):  # it answered, just not with a chat stream
        return ModelUnavailable(
            f"{server} answered, but not with an OpenAI chat stream ({tried}).",
            "Check OPENAI_BASE_URL: for most servers it ends in /v1.",
        )
    if not isinstance(exc, openai.APIStatusError):
        reason = str(getattr(exc, "__cause__", None) or exc) or type(exc).__name__
        return ModelUnavailable(
            f"Cannot reach the model server at {base_url} ({tried}): {reason.rstrip('.')}.",
            ENDPOINT_HINT,
        )

    status = exc.status_code
    detail = server_detail(exc)
    if status == 401:
        return AuthenticationFailed(
            f"{server} rejected the API key (HTTP 401: {detail}).",
            "Check OPENAI_API_KEY in the environment or .streamlit/secrets.toml.",
        )
    if status == 403:
        return AuthenticationFailed(
            f"The API key may not use the model {model!r} at {base_url} (HTTP 403: {detail}).",
            "Check the key's permissions, or choose another model with COACH_OPENAI_MODEL.",
        )
    model_words = ("model", "does not exist", "not found", "unknown")
    if status == 404 or (
        status == 400 and _mentions(exc, ("model",)) and _mentions(exc, model_words[1:])
    ):
        offered = list_models() if list_models else []
        choices = f" It offers: {', '.join(offered)}." if offered else ""
        return ModelNotFound(
            f"{server} does not know the model {model!r} (HTTP {status}: {detail}).{choices}",
            "Set COACH_OPENAI_MODEL to a model it serves; a 404 can also mean OPENAI_BASE_URL "
            "lacks its /v1 suffix.",
        )
    if status == 429:
        if is_quota_exhausted(exc):
            return RateLimited(
                f"The account behind OPENAI_API_KEY has no quota left (HTTP 429: {detail}).",
                "Add credit or use another key; retrying will not help.",
            )
        return RateLimited(
            f"{server} is rate-limiting requests (HTTP 429), still after {tried}.",
            "Wait a minute and try again, or raise COACH_RETRY_MAX_SECONDS.",
        )
    if status in (502, 503, 504):
        phrase = HTTPStatus(status).phrase
        return ModelUnavailable(
            f"{server} answered HTTP {status} ({phrase}), still after {tried}.",
            "It may be overloaded or still starting; try again shortly. " + ENDPOINT_HINT,
        )
    if status in (400, 413, 422) and _mentions(exc, CONTEXT_WORDS):
        return ModelError(
            f"The prompt is too long for the model {model!r} (HTTP {status}: {detail}).",
            "Set COACH_N_CTX to the server's context size so prompts are cut before sending.",
        )
    if status >= 500:
        return ModelError(
            f"{server} failed with HTTP {status} ({detail}); "
            "not retried, as a server error usually repeats.",
            "Check the server's log, or try again later.",
        )
    return ModelError(
        f"{server} refused the request (HTTP {status}: {detail}).",
        "Check COACH_OPENAI_MODEL and OPENAI_BASE_URL.",
    )
