"""Any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama_cpp.server, ...).

The official `openai` client is built by `build_openai_client` (from Settings) and injected;
this module never reads configuration itself. Retries belong to `assistant.llm.retry` alone,
so the client must be built with `max_retries=0`.

Structured output degrades per client: `json_schema` (OpenAI, vLLM), then `json_object` with
the schema (llama_cpp.server, which answers HTTP 500 to `json_schema`), then plain prompting.
A fallback is remembered only once it has worked, so an unrelated failure cannot downgrade it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import openai

from assistant.config import Settings
from assistant.llm.base import Completion, Message, ModelStatus, TextStream
from assistant.llm.base import check_allow_model_requests as _check_allowed
from assistant.llm.context import approx_tokens, fit_request, length_note
from assistant.llm.errors import ModelError, ModelUnavailable, StreamInterrupted
from assistant.llm.openai_errors import describe_failure, is_unsupported_format
from assistant.llm.retry import TRANSPORT_ERRORS, RetryPolicy, StreamEndedEarly, retrying

STRUCTURED_MODES = ("json_schema", "json_object", "prompt")
T = TypeVar("T")


def build_openai_client(settings: Settings) -> openai.OpenAI:
    if not settings.openai_base_url and not settings.openai_api_key:
        raise ModelUnavailable(
            "COACH_MODEL=openai, but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set.",
            "Set OPENAI_API_KEY (api.openai.com) or OPENAI_BASE_URL (a local server) in the "
            "environment or .streamlit/secrets.toml, or unset COACH_MODEL to use the "
            "embedded model.",
        )
    return openai.OpenAI(
        # Local servers ignore the key, but the SDK insists on one.
        api_key=settings.openai_api_key or "no-key-needed",
        base_url=settings.openai_base_url or None,
        timeout=openai.Timeout(settings.openai_timeout, connect=settings.openai_connect_timeout),
        max_retries=0,  # tenacity (assistant.llm.retry) is the only retry layer
    )


def schema_instruction(schema: dict) -> str:
    return (
        "\n\nReply with only one JSON object that matches this JSON Schema "
        "(no prose, no code fences):\n" + json.dumps(schema, separators=(",", ":"))
    )


def _with_instruction(messages: list[Message], schema: dict) -> list[Message]:
    """Append the schema to the last user message (some chat templates refuse a system
    message anywhere but first)."""
    out: list[Message] = [{"role": m["role"], "content": m["content"]} for m in messages]
    for message in reversed(out):
        if message["role"] == "user":
            message["content"] += schema_instruction(schema)
            return out
    return out + [{"role": "user", "content": schema_instruction(schema).strip()}]


class OpenAIModel:
    backend = "openai"

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        context_window: int = 4096,
        timeout: float = 60.0,
        connect_timeout: float = 5.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.context_window = context_window
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.policy = policy or RetryPolicy()
        self.structured_mode = STRUCTURED_MODES[0]
        self.base_url = str(client.base_url).rstrip("/")
        self._active = 0

    @classmethod
    def from_settings(cls, settings: Settings, client: openai.OpenAI) -> OpenAIModel:
        return cls(
            client,
            model=settings.openai_model,
            context_window=settings.n_ctx,
            timeout=settings.openai_timeout,
            connect_timeout=settings.openai_connect_timeout,
            policy=RetryPolicy(settings.retry_attempts, settings.retry_max_seconds),
        )

    def status(self) -> ModelStatus:
        if self._active:
            return ModelStatus("busy", f"{self.model} at {self.base_url}", self._active - 1)
        return ModelStatus("ready", f"{self.model} at {self.base_url} (checked on first use)")

    # -- the retry loop ------------------------------------------------------------------

    def _timeout(self, started: float) -> openai.Timeout:
        """Each attempt gets the configured timeout, cut to what is left of the budget."""
        left = max(0.5, self.policy.max_seconds - (time.monotonic() - started))
        return openai.Timeout(min(self.timeout, left), connect=min(self.connect_timeout, left))

    def _with_retries(self, call: Callable[[openai.Timeout], T], *, passthrough: bool = False) -> T:
        """Run `call` under the retry policy; a final failure becomes a user-facing error.
        With `passthrough`, an error meaning "this response_format is not supported" is
        re-raised raw, so the caller can fall back to the next structured-output mode."""
        started = time.monotonic()
        attempts = 0
        self._active += 1
        try:
            for attempt in retrying(self.policy):
                with attempt:
                    attempts += 1
                    return call(self._timeout(started))
        except (openai.APIError, StreamEndedEarly, *TRANSPORT_ERRORS) as exc:
            if passthrough and isinstance(exc, openai.APIStatusError):
                if is_unsupported_format(exc):
                    raise
            raise describe_failure(
                exc,
                base_url=self.base_url,
                model=self.model,
                attempts=attempts,
                seconds=time.monotonic() - started,
                timeout=self.timeout,
                list_models=self._known_models,
            ) from exc
        finally:
            self._active -= 1
        raise AssertionError("unreachable: tenacity either returns or raises")

    def probe(self, timeout: float = 3.0) -> ModelStatus:
        """One quick request, not retried (list the models): is the endpoint there, does it
        accept the key, and does it serve the configured model? For `coach models`."""
        started = time.monotonic()
        try:
            page = self.client.models.list(
                timeout=openai.Timeout(timeout, connect=min(timeout, self.connect_timeout))
            )
            offered = sorted(m.id for m in page.data)
        except openai.NotFoundError:  # some servers (Azure deployments) do not list models
            return ModelStatus(
                "ready",
                f"{self.base_url} answers; it does not list its models, "
                f"so {self.model!r} is checked on first use",
            )
        except (openai.APIError, *TRANSPORT_ERRORS) as exc:
            error = describe_failure(
                exc,
                base_url=self.base_url,
                model=self.model,
                attempts=1,
                seconds=time.monotonic() - started,
                timeout=timeout,
            )
            return ModelStatus("unavailable", str(error))
        if offered and self.model not in offered:
            return ModelStatus(
                "unavailable",
                f"{self.base_url} answers but does not serve the model {self.model!r}; it "
                f"offers: {', '.join(offered[:10])}. Set COACH_OPENAI_MODEL to one of them.",
            )
        return ModelStatus(
            "ready",
            f"{self.base_url} answers and serves {self.model!r} "
            f"({time.monotonic() - started:.2f} s)",
        )

    def _known_models(self) -> list[str]:
        """Model ids the server offers, for a 'model not found' hint (best effort, quick)."""
        try:
            page = self.client.models.list(timeout=openai.Timeout(3.0, connect=2.0))
            return sorted(m.id for m in page.data)[:10]
        except Exception:  # noqa: BLE001 - a hint must never mask the real error
            return []

    def _fit(
        self, messages: list[Message], max_tokens: int
    ) -> tuple[list[Message], int, list[str]]:
        return fit_request(
            messages,
            context_window=self.context_window,
            max_tokens=max_tokens,
            count_tokens=approx_tokens,
        )

    # -- complete ------------------------------------------------------------------------

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> Completion:
        _check_allowed("openai")
        fitted, max_tokens, notes = self._fit(messages, max_tokens)
        if schema is None:
            return self._complete_once(fitted, {}, max_tokens, temperature, notes)
        modes = STRUCTURED_MODES[STRUCTURED_MODES.index(self.structured_mode) :]
        for index, mode in enumerate(modes):
            request_messages, extra = self._structured_request(fitted, schema, mode)
            last = index + 1 == len(modes)
            try:
                completion = self._complete_once(
                    request_messages,
                    extra,
                    max_tokens,
                    temperature,
                    list(notes),
                    passthrough=not last,
                )
            except openai.APIStatusError:
                continue  # this server does not take this response_format: try the next
            if mode != self.structured_mode:
                completion.notes.append(
                    f"{self.base_url} does not support response_format={self.structured_mode}; "
                    f"using {mode} from now on."
                )
                self.structured_mode = mode
            return completion
        raise AssertionError("unreachable: the last mode returns or raises")

    def _structured_request(
        self, messages: list[Message], schema: dict, mode: str
    ) -> tuple[list[Message], dict[str, Any]]:
        if mode == "json_schema":
            return messages, {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "schema": schema, "strict": False},
                }
            }
        # OpenAI requires the word JSON in the prompt for json_object; prompt mode needs it all.
        instructed = _with_instruction(messages, schema)
        if mode == "json_object":
            return instructed, {"response_format": {"type": "json_object", "schema": schema}}
        return instructed, {}

    def _send(
        self,
        messages: list[Message],
        extra: dict[str, Any],
        max_tokens: int,
        temperature: float,
        *,
        stream: bool,
        passthrough: bool = False,
    ) -> Any:
        """The one request path, streamed or not: build the request and send it under the
        retry policy. A stream is read up to its first text inside the retried call, since
        nothing has been shown until then; it comes back as (response, chunks, text, finish)."""

        def attempt(timeout: openai.Timeout) -> Any:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=stream,
                timeout=timeout,
                **extra,
            )
            return _until_first_text(response) if stream else response

        return self._with_retries(attempt, passthrough=passthrough)

    def _complete_once(
        self,
        messages: list[Message],
        extra: dict[str, Any],
        max_tokens: int,
        temperature: float,
        notes: list[str],
        *,
        passthrough: bool = False,
    ) -> Completion:
        started = time.perf_counter()
        response = self._send(
            messages, extra, max_tokens, temperature, stream=False, passthrough=passthrough
        )
        choices = getattr(response, "choices", None)
        if not choices or choices[0].message is None:
            raise ModelError(
                f"The server at {self.base_url} did not answer like an OpenAI-compatible "
                f"chat endpoint (got {type(response).__name__}).",
                "Check OPENAI_BASE_URL: it usually ends in /v1.",
            )
        choice = choices[0]
        if choice.finish_reason == "length":
            notes.append(length_note(max_tokens))
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            backend=self.backend,
            model=response.model or self.model,
            seconds=time.perf_counter() - started,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            notes=notes,
        )

    # -- stream --------------------------------------------------------------------------

    def stream(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> TextStream:
        _check_allowed("openai")
        fitted, max_tokens, fit_notes = self._fit(messages, max_tokens)
        # With a schema: the structured mode this server was found to take (`complete` steps
        # down the modes on a refusal; a stream uses where it stands).
        fitted, extra = (
            self._structured_request(fitted, schema, self.structured_mode)
            if schema is not None
            else (fitted, {})
        )

        def produce(notes: list[str]) -> Iterator[str]:
            notes.extend(fit_notes)
            response, chunks, shown, finish = self._send(
                fitted, extra, max_tokens, temperature, stream=True
            )
            try:
                if shown:
                    yield shown
                while finish is None:
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    text, finish = _delta(chunk)
                    if text:
                        shown += text
                        yield text
            except (openai.APIError, *TRANSPORT_ERRORS) as exc:
                raise StreamInterrupted(
                    f"The answer from {self.base_url} stopped mid-way ({type(exc).__name__}: "
                    f"{exc}) after {len(shown)} characters.",
                    partial_text=shown,
                ) from exc
            finally:
                response.close()
            if finish is None:
                raise StreamInterrupted(
                    f"The connection to {self.base_url} closed before the answer was complete "
                    f"({len(shown)} characters received).",
                    partial_text=shown,
                )
            if finish == "length":
                notes.append(length_note(max_tokens))

        return TextStream(produce)


def _until_first_text(response: Any) -> tuple[Any, Iterator[Any], str, str | None]:
    """Read a stream up to its first text or finish reason; a stream that closes before
    either is a transient failure (StreamEndedEarly), so the retry policy may try again."""
    chunks = iter(response)
    try:
        for chunk in chunks:
            text, finish = _delta(chunk)
            if text or finish:
                return response, chunks, text, finish
    except BaseException:
        response.close()
        raise
    response.close()
    raise StreamEndedEarly("the stream closed before any text")


def _delta(chunk: Any) -> tuple[str, str | None]:
    if not chunk.choices:
        return "", None  # e.g. a usage-only chunk
    choice = chunk.choices[0]
    return (choice.delta.content or "") if choice.delta else "", choice.finish_reason
