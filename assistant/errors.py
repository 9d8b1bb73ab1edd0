"""Errors a user can trigger. Each message says what went wrong and what to do about it.

The CLI prints `str(error)` on one line and exits with `exit_code`; the app shows it inline.
Nothing here ever reaches a user as a traceback.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base of every error meant for a user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class InputError(CoachError):
    """Bad input from the user (empty query, out-of-range minutes, unreadable file...)."""

    exit_code = 2


class KnowledgeError(CoachError):
    """A knowledge document cannot be indexed. The message names the file and the problem."""

    exit_code = 2


class IndexNotReady(CoachError):
    """The search index is missing or empty."""

    def __init__(self, message: str = "The knowledge index has not been built yet.") -> None:
        super().__init__(message, "Run `coach index` (or `make run`) to build it.")
