"""Ask a model for a pydantic object: constrained when the backend can, always validated.

One repair attempt: the invalid answer and the validation errors go back to the model. A
second failure raises BadModelOutput with the raw text kept for debugging.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
import pydantic_core
from pydantic import BaseModel

from assistant.llm.base import ChatModel, Completion, Message
from assistant.llm.errors import BadModelOutput

T = TypeVar("T", bound=BaseModel)

FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
MAX_ERRORS_SHOWN = 6


def extract_json(text: str) -> str:
    """Strip ```json fences and any prose around the outermost JSON object or array."""
    stripped = text.strip()
    fenced = FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    if stripped[:1] in "{[":
        return stripped
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
    if not starts:
        return stripped
    start = min(starts)
    end = max(stripped.rfind("}"), stripped.rfind("]"))
    return stripped[start : end + 1] if end > start else stripped[start:]


def parse_output(text: str, output_type: type[T]) -> T:
    return output_type.model_validate_json(extract_json(text))


def describe_errors(error: pydantic.ValidationError | ValueError) -> str:
    if not isinstance(error, pydantic.ValidationError):
        return str(error)
    lines = []
    for item in error.errors()[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in item["loc"]) or "(the whole answer)"
        lines.append(f"- {where}: {item['msg']}")
    more = error.error_count() - MAX_ERRORS_SHOWN
    if more > 0:
        lines.append(f"- ... and {more} more")
    return "\n".join(lines)


def repair_messages(messages: list[Message], bad_text: str, problems: str) -> list[Message]:
    """The conversation so far, plus the invalid answer and what was wrong with it (appended
    last, so the cached prompt prefix stays valid)."""
    return [
        *messages,
        {"role": "assistant", "content": bad_text[:4000]},
        {
            "role": "user",
            "content": "That answer does not match the required JSON format:\n"
            f"{problems}\nReply again with only the corrected JSON object.",
        },
    ]


def complete_structured(
    model: ChatModel,
    messages: list[Message],
    output_type: type[T],
    *,
    max_tokens: int = 700,
    temperature: float = 0.2,
) -> tuple[T, Completion]:
    schema = output_type.model_json_schema()
    first = model.complete(messages, schema=schema, max_tokens=max_tokens, temperature=temperature)
    return _validated(model, messages, output_type, schema, first, max_tokens, temperature)


def parse_partial(text: str) -> dict[str, Any] | None:
    """The JSON object written so far, with only finished strings (an unfinished string and
    its key are left out), or None before the object has begun."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value = pydantic_core.from_json(text[start:], allow_partial=True)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def stream_structured(
    model: ChatModel,
    messages: list[Message],
    output_type: type[T],
    *,
    on_partial: Callable[[dict[str, Any]], None],
    on_text: Callable[[str], None] | None = None,
    max_tokens: int = 700,
    temperature: float = 0.2,
) -> tuple[T, Completion]:
    """`complete_structured`, streamed: `on_partial` gets the object parsed so far each time it
    grows, so a page can show the finished parts while the model writes the rest; `on_text`
    gets the raw text after every chunk (e.g. for a "words written" counter). The whole text
    is then validated like `complete_structured`'s (one repair, not streamed)."""
    schema = output_type.model_json_schema()
    started = time.perf_counter()
    stream = model.stream(messages, schema=schema, max_tokens=max_tokens, temperature=temperature)
    shown: dict[str, Any] | None = None
    try:
        for _chunk in stream:
            if on_text is not None:
                on_text(stream.text)
            partial = parse_partial(stream.text)
            if partial is not None and partial != shown:
                shown = partial
                on_partial(partial)
    finally:
        stream.close()  # when `on_partial` raises (e.g. the user stopped it): free the model now
    first = Completion(
        text=stream.text,
        backend=model.backend,
        model=model.model,
        seconds=time.perf_counter() - started,
        completion_tokens=stream.chunks,  # one chunk per token in llama.cpp's stream
        notes=list(stream.notes),
    )
    return _validated(model, messages, output_type, schema, first, max_tokens, temperature)


def generate_structured(
    model: ChatModel,
    messages: list[Message],
    output_type: type[T],
    *,
    on_partial: Callable[[dict[str, Any]], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    max_tokens: int = 700,
) -> tuple[T, Completion]:
    """`stream_structured` when someone watches the reply grow (`on_partial`), else
    `complete_structured`: the one call every artifact makes."""
    if on_partial is None:
        return complete_structured(model, messages, output_type, max_tokens=max_tokens)
    return stream_structured(
        model, messages, output_type, on_partial=on_partial, on_text=on_text, max_tokens=max_tokens
    )


def _validated(
    model: ChatModel,
    messages: list[Message],
    output_type: type[T],
    schema: dict,
    first: Completion,
    max_tokens: int,
    temperature: float,
) -> tuple[T, Completion]:
    """The first answer parsed; if it is invalid, one repair round with the errors."""
    try:
        return parse_output(first.text, output_type), first
    except (pydantic.ValidationError, ValueError) as error:
        problems = describe_errors(error)

    second = model.complete(
        repair_messages(messages, first.text, problems),
        schema=schema,
        max_tokens=max_tokens,
        temperature=temperature,
    )
    combined = Completion(
        text=second.text,
        backend=second.backend,
        model=second.model,
        seconds=first.seconds + second.seconds,
        prompt_tokens=_add(first.prompt_tokens, second.prompt_tokens),
        completion_tokens=_add(first.completion_tokens, second.completion_tokens),
        notes=[*first.notes, *second.notes, "The first answer was invalid and was repaired."],
    )
    try:
        return parse_output(second.text, output_type), combined
    except (pydantic.ValidationError, ValueError) as error:
        raise BadModelOutput(
            f"The model's answer did not match the expected {output_type.__name__} format, "
            f"even after one repair attempt:\n{describe_errors(error)}",
            "Try again; a larger model (COACH_LOCAL_MODEL=qwen2.5-coder-1.5b, or an "
            "OpenAI-compatible server via OPENAI_BASE_URL) follows formats more reliably.",
            raw_text=second.text,
        ) from error


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


__all__ = [
    "complete_structured",
    "describe_errors",
    "extract_json",
    "parse_output",
    "parse_partial",
    "stream_structured",
]
