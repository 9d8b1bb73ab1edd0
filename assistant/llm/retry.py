"""The one retry layer for remote model calls (the openai SDK's own retries are off).

Transient failures only: connection errors, timeouts, HTTP 429 and 502/503/504. Never other
4xx (retrying a bad key or a bad request cannot help), and not 500: a server that fails with
500 usually fails the same way again (llama_cpp.server answers 500 to an unsupported
`response_format`). Bounded in attempts and in total time; exponential backoff with jitter,
stretched to honour a server's Retry-After when it fits in the budget.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import openai
import tenacity
from tenacity.wait import wait_base

TRANSIENT_STATUS = frozenset({429, 502, 503, 504})


def _transport_errors() -> tuple[type[BaseException], ...]:
    """openai 2.x speaks httpx, 3.x its fork httpx2; a stream cut mid-way raises the raw
    transport error of whichever one it uses."""
    found: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


TRANSPORT_ERRORS = _transport_errors()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    max_seconds: float = 60.0
    initial_wait: float = 0.5
    max_wait: float = 8.0


class StreamEndedEarly(Exception):
    """The server closed a stream before sending any text or a finish reason."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (StreamEndedEarly, openai.APIConnectionError, *TRANSPORT_ERRORS)):
        return True  # includes openai.APITimeoutError and transport timeouts
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in TRANSIENT_STATUS and not is_quota_exhausted(exc)
    return False


def is_quota_exhausted(exc: BaseException) -> bool:
    """OpenAI's 429 for an empty account: waiting will not fix it."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code != 429:
        return False
    return getattr(exc, "code", None) == "insufficient_quota" or "insufficient_quota" in str(
        exc.body
    )


def retry_after_seconds(exc: BaseException | None) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(header)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                return None  # an HTTP date: rare enough to fall back to backoff
    return None


class _BackoffWait(wait_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.backoff = tenacity.wait_random_exponential(
            multiplier=policy.initial_wait, max=policy.max_wait
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = self.backoff(retry_state)
        outcome = retry_state.outcome
        asked = retry_after_seconds(outcome.exception() if outcome else None)
        if asked is not None:
            wait = max(wait, min(asked, self.policy.max_wait))
        return wait


def retrying(policy: RetryPolicy) -> tenacity.Retrying:
    """The retry controller every remote call goes through. `reraise=True` hands the last
    real exception to the caller, which turns it into a message for the user."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        wait=_BackoffWait(policy),
        # stop_before_delay: do not start a wait that would end past the time budget.
        stop=tenacity.stop_after_attempt(policy.attempts)
        | tenacity.stop_before_delay(policy.max_seconds),
        reraise=True,
    )
