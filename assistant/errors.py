"""Errors a user can trigger. Each message says what went wrong and what to do about it.

The CLI prints `str(error)` on one line and exits with `exit_code`; the app shows it inline.
Nothing here ever reaches a user as a traceback. Bad values in a request (assistant.schemas)
become an InputError through `input_error`, the one place that words them.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import PydanticCustomError


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


# --- input validation -----------------------------------------------------------------------
# The request models (assistant.schemas) check what a person typed. A rule of ours raises
# `refusal(message, hint)` from its validator; `input_error` turns the first problem of a
# pydantic ValidationError into the InputError that the CLI prints and the pages show.

REFUSAL_TYPE = "coach_input"

# What each request field is called, in the CLI's and the pages' words.
FIELD_LABELS = {
    "question": "The question",
    "persona": "Persona",
    "history": "The conversation so far",
    "topic": "Topic",
    "minutes": "Minutes",
    "stage": "Session stage",
    "session_number": "Session number",
    "mentor_role": "Mentor's role",
    "mentee_role": "Mentee's role",
    "goals": "Goals",
    "notes_from_last_time": "Notes from last time",
    "count": "The number of starters",
    "notes": "The session notes",
    "names": "Names",
}


def refusal(message: str, hint: str) -> PydanticCustomError:
    """What a request validator raises for a rule of ours: the sentence and the fix."""
    return PydanticCustomError(REFUSAL_TYPE, "{message} {hint}", {"message": message, "hint": hint})


def input_error(exc: ValidationError) -> InputError:
    """The first problem in a request, as one line: what is wrong, then what to do."""
    problem = exc.errors(include_url=False)[0]
    ctx = problem.get("ctx") or {}
    kind = problem.get("type", "")
    if kind == REFUSAL_TYPE:
        return InputError(str(ctx["message"]), str(ctx["hint"]))
    field = str(problem["loc"][0]) if problem.get("loc") else ""
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize() or "The input")
    fix = "Correct it and try again."
    if kind == "missing":
        return InputError(f"{label} is missing.", "Fill it in and try again.")
    if kind == "literal_error":
        value = problem.get("input")
        return InputError(
            f"{value!r} is not a valid {label.lower()}.", f"Use one of: {ctx.get('expected')}."
        )
    if kind == "greater_than_equal":
        return InputError(f"{label} must be at least {ctx.get('ge')}.", fix)
    if kind == "less_than_equal":
        return InputError(f"{label} must be at most {ctx.get('le')}.", fix)
    if kind == "string_too_short":
        return InputError(f"{label} is empty.", "Fill it in and try again.")
    if kind == "string_too_long":
        return InputError(
            f"{label} is too long.", f"Keep it to {ctx.get('max_length'):,} characters or fewer."
        )
    if kind == "too_long":
        return InputError(
            f"{label} has too many entries.", f"Give at most {ctx.get('max_length')}."
        )
    reason = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
    return InputError(f"{label}: {reason[:1].lower()}{reason[1:]}.", fix)
