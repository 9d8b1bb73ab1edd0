"""Fair use of one model (issue 12): at most N generations per user per minute.

A sliding window per account, kept in the process (each app instance counts its own users'
requests). Leads and admins are limited like everyone; personal mode is not (one user). The
limit is COACH_GENERATIONS_PER_MINUTE (0 turns it off).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from assistant.errors import InputError

WINDOW_SECONDS = 60.0
GENERATING = ("answer", "stream_answer", "agenda", "write_agenda", "starters", "feedback")


class RateLimited(InputError):
    pass


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[Any, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: Any) -> None:
        """Count one generation for `key`, or refuse it when the minute's share is used."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] >= WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = max(1, round(WINDOW_SECONDS - (now - hits[0])))
                raise RateLimited(
                    f"You have used your {self.per_minute} generations for this minute "
                    "(the model is shared by everyone in the program).",
                    f"Try again in {wait} seconds.",
                )
            hits.append(now)


class LimitedCoach:
    """The coach, with each generation counted against one user first."""

    def __init__(self, coach: Any, limiter: RateLimiter, key: Any) -> None:
        self._coach = coach
        self._limiter = limiter
        self._key = key

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._coach, name)
        if name not in GENERATING:
            return target

        def limited(*args: Any, **kwargs: Any) -> Any:
            self._limiter.hit(self._key)
            return target(*args, **kwargs)

        return limited
