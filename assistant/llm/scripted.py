"""A model that answers from a script: for tests, demos and the app's end-to-end tests.

`enqueue` replies; `history` records every request, so a test can assert on the prompt that
was sent. A reply is a string, a mapping or list of JSON (sent as JSON text), a list of string
chunks (a stream; it may end with an exception to break it mid-way), or an exception (raised).

Selected by name (`COACH_MODEL=scripted`) it answers even with an empty queue, deterministically:
a schema request gets a valid JSON instance built from the schema with words of the last user
message; a text request gets a short reply that cites [1]. Tests build it with `strict=True`,
so an unplanned request raises instead.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assistant.llm.base import Completion, Message, ModelStatus, TextStream
from assistant.llm.context import approx_tokens
from assistant.llm.errors import StreamInterrupted

Reply = str | Mapping[str, Any] | list[Any] | BaseException

STOPWORDS = frozenset(
    "the and for with that this what how can you your our are was were from into about "
    "have has had not but all any some should would could will just them they their there "
    "when where which who why does did its it's let help please give make".split()
)
FALLBACK_WORDS = ("reverse", "mentoring", "session", "practice", "goal")


class ScriptExhausted(AssertionError):
    """A strict scripted model got a request with nothing queued."""


@dataclass
class ScriptedCall:
    kind: Literal["complete", "stream"]
    messages: list[Message]
    schema: dict | None
    max_tokens: int
    temperature: float

    @property
    def last_user(self) -> str:
        return last_user_text(self.messages)


class ScriptedModel:
    backend = "scripted"

    def __init__(
        self,
        replies: Iterable[Reply] = (),
        *,
        strict: bool = False,
        model: str = "scripted",
        context_window: int = 4096,
        seconds: float = 0.0,
    ) -> None:
        self.model = model
        self.seconds = seconds  # each reply takes this long (a stream: spread over its chunks)
        self.context_window = context_window
        self.strict = strict
        self.queue: deque[Reply] = deque(replies)
        self.history: list[ScriptedCall] = []

    def enqueue(self, *replies: Reply) -> ScriptedModel:
        self.queue.extend(replies)
        return self

    @property
    def last_call(self) -> ScriptedCall:
        if not self.history:
            raise AssertionError("The scripted model has not been called.")
        return self.history[-1]

    def status(self) -> ModelStatus:
        return ModelStatus("ready", f"scripted model, {len(self.queue)} reply(ies) queued")

    def _next(self, call: ScriptedCall) -> Reply:
        self.history.append(call)
        if self.queue:
            return self.queue.popleft()
        if self.strict:
            raise ScriptExhausted(
                f"The scripted model got a {call.kind} request with no reply queued. "
                f"Last user message: {call.last_user[:200]!r}"
            )
        if call.schema is not None:
            return example_from_schema(call.schema, Words(call.last_user))
        return default_text(call.last_user)

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> Completion:
        call = ScriptedCall("complete", copy.deepcopy(messages), schema, max_tokens, temperature)
        reply = self._next(call)
        if self.seconds:
            time.sleep(self.seconds)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, list) and any(isinstance(item, BaseException) for item in reply):
            raise next(item for item in reply if isinstance(item, BaseException))
        text = _as_text(reply)
        return Completion(
            text=text,
            backend=self.backend,
            model=self.model,
            seconds=0.0,
            prompt_tokens=sum(approx_tokens(m["content"]) for m in messages),
            completion_tokens=approx_tokens(text),
        )

    def stream(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> TextStream:
        call = ScriptedCall("stream", copy.deepcopy(messages), schema, max_tokens, temperature)
        reply = self._next(call)  # recorded now, as a real backend would send it now

        def produce(_notes: list[str]) -> Iterator[str]:
            if isinstance(reply, BaseException):
                raise reply
            items = reply if _is_chunk_list(reply) else _split_words(_as_text(reply))
            shown = ""
            for item in items:
                if self.seconds:
                    time.sleep(self.seconds / max(1, len(items)))
                if isinstance(item, BaseException):
                    if isinstance(item, StreamInterrupted):
                        item.partial_text = item.partial_text or shown
                        raise item
                    if shown:
                        raise StreamInterrupted(str(item), partial_text=shown) from item
                    raise item
                shown += item
                yield item

        return TextStream(produce)


def _is_chunk_list(reply: Reply) -> bool:
    return isinstance(reply, list) and all(isinstance(i, str | BaseException) for i in reply)


def _as_text(reply: Reply) -> str:
    if isinstance(reply, str):
        return reply
    if isinstance(reply, list) and _is_chunk_list(reply) and reply:
        return "".join(i for i in reply if isinstance(i, str))
    return json.dumps(reply)


def _split_words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text) or [""]


def last_user_text(messages: list[Message]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return message["content"]
    return ""


class Words:
    """Words of the user's message, handed out in order and round again: deterministic."""

    def __init__(self, text: str) -> None:
        seen: dict[str, None] = {}
        for word in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text):
            lowered = word.lower()
            if lowered not in STOPWORDS:
                seen.setdefault(lowered, None)
        self.words = list(seen) or list(FALLBACK_WORDS)
        self.position = 0

    def take(self, count: int) -> str:
        picked = [self.words[(self.position + i) % len(self.words)] for i in range(count)]
        self.position += count
        return " ".join(picked)


def default_text(user_text: str) -> str:
    topic = Words(user_text).take(4)
    return (
        f"A practical first step for {topic}: agree on one small goal, try it together, "
        "and review what worked at the next session [1]."
    )


def example_from_schema(schema: dict, words: Words) -> Any:
    """A JSON value that satisfies `schema` (the subset pydantic emits), filled with words."""
    return _example(schema, words, schema, 0)


def _resolve(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = root
        for key in ref[2:].split("/"):
            target = target[key]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _example(schema: dict, words: Words, root: dict, depth: int) -> Any:
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [_resolve(o, root) for o in schema[key]]
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return _example(chosen, words, root, depth)
    if schema.get("allOf"):
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part, root))
        return _example(merged, words, root, depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        if depth > 8:
            return {}
        return {name: _example(sub, words, root, depth + 1) for name, sub in props.items()}
    if kind == "array":
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        count = max(low, 2 if high is None else min(2, high))
        if depth > 8:
            count = low
        item_schema = schema.get("items", {})
        return [_example(item_schema, words, root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, words)


def _number(schema: dict, *, integer: bool) -> int | float:
    step = 1 if integer else 0.5
    low = schema.get("minimum")
    if low is None and "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    high = schema.get("maximum")
    if high is None and "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    value = low if low is not None else (min(1, high) if high is not None else 1)
    multiple = schema.get("multipleOf")
    if multiple:
        value = -(-value // multiple) * multiple
    return int(value) if integer else float(value)


STRING_FORMATS = {
    "date": "2025-01-15",
    "date-time": "2025-01-15T09:00:00Z",
    "time": "09:00:00",
    "email": "mentor@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _string(schema: dict, words: Words) -> str:
    if schema.get("format") in STRING_FORMATS:
        return STRING_FORMATS[schema["format"]]
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    text = words.take(3)
    while len(text) < low:
        text += " " + words.take(1)
    if high is not None:
        text = text[:high].rstrip() or text[:high]
    return text
