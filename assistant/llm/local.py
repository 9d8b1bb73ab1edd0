"""The embedded backend: llama.cpp (llama-cpp-python) running a GGUF model in this process.

The model loads lazily, once per process (`LocalModel.shared`), and one request runs at a time:
llama.cpp keeps a single KV cache, so concurrent requests would corrupt each other. Waiting
requests are counted so a UI can say "waiting for the model". Because the cache survives
between requests, a prompt that starts like the previous one (same system prompt first)
skips re-reading that prefix: keep the stable part of prompts first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.llm.base import (
    Completion,
    Message,
    ModelStatus,
    TextStream,
    check_allow_model_requests,
)
from assistant.llm.context import fit_request, length_note
from assistant.llm.errors import (
    INSTALL_LOCAL_HINT,
    ModelError,
    ModelUnavailable,
    StreamInterrupted,
)
from assistant.llm.weights import (
    WeightsLocation,
    ensure_weights,
    missing_weights_error,
    resolve,
    weights_state,
)

REPEAT_PENALTY = 1.1  # small models loop inside long strings without it

_SHARED: dict[tuple[str, int, int], LocalModel] = {}
_SHARED_LOCK = threading.Lock()


class LocalModel:
    backend = "local"

    def __init__(
        self,
        location: WeightsLocation,
        *,
        n_ctx: int = 4096,
        n_threads: int = 2,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        self.location = location
        self.model = location.name
        self.context_window = n_ctx
        self.n_threads = n_threads
        self.on_progress = on_progress
        self.load_seconds: float | None = None
        self._llm: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._waiting = 0
        self._state = "not_loaded"
        self._last_error: ModelError | None = None

    @classmethod
    def shared(cls, settings: Settings) -> LocalModel:
        """The process-wide instance for these settings: the weights load once per process."""
        location = resolve(settings.local_model, settings.models_dir)
        key = (str(location.path), settings.n_ctx, settings.n_threads)
        with _SHARED_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls(location, n_ctx=settings.n_ctx, n_threads=settings.n_threads)
            return _SHARED[key]

    # -- state ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def status(self) -> ModelStatus:
        queue = self._waiting
        if self._state in ("loading", "busy"):
            return ModelStatus(self._state, self._describe_state(), queue)  # type: ignore[arg-type]
        if self._llm is not None:
            detail = f"{self.model} loaded ({self.context_window}-token context)"
            return ModelStatus("ready", detail, queue)
        problem = self._last_error or self.availability_problem()
        if problem is not None:
            return ModelStatus("unavailable", str(problem), queue)
        return ModelStatus("not_loaded", f"{self.model} loads on first use", queue)

    def _describe_state(self) -> str:
        if self._state == "loading":
            return f"loading {self.model} (first use in this process)"
        return f"{self.model} is generating; {self._waiting} request(s) waiting"

    def availability_problem(self) -> ModelError | None:
        """Why the model cannot load, judged without loading it (no hashing), or None."""
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            return ModelUnavailable(
                "No model available: llama-cpp-python (the embedded model runtime) is not "
                "installed and no OPENAI_BASE_URL is set.",
                INSTALL_LOCAL_HINT,
            )
        state = weights_state(self.location)
        spec = self.location.spec
        if spec is not None and not state.present and state.missing_packages:
            return missing_weights_error(spec, list(state.missing_packages))
        if spec is None and not state.verified:
            try:
                ensure_weights(self.location)
            except ModelError as exc:
                return exc
        return None

    # -- loading and serialisation -------------------------------------------------------

    def load(self, *, verify: bool = False) -> None:
        """Assemble/verify the weights if needed and load them. Safe to call repeatedly."""
        if self._llm is not None and not verify:
            return
        with self._load_lock:
            if self._llm is not None and not verify:
                return
            check_allow_model_requests("local")
            self._state = "loading"
            try:
                self._llm = self._load(verify)
                self._last_error = None
            except ModelError as exc:
                self._last_error = exc
                raise
            finally:
                self._state = "ready" if self._llm is not None else "not_loaded"

    def _load(self, verify: bool) -> Any:
        try:
            from assistant.llm.grammar_sampling import fast_llama_class
        except ImportError as exc:
            raise ModelUnavailable(
                "llama-cpp-python (the embedded model runtime) is not installed.",
                INSTALL_LOCAL_HINT,
            ) from exc
        path: Path = ensure_weights(self.location, verify=verify, on_progress=self.on_progress)
        if self._llm is not None:
            return self._llm
        started = time.perf_counter()
        try:
            llm = fast_llama_class()(
                model_path=str(path),
                n_ctx=self.context_window,
                n_threads=self.n_threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailable(
                f"llama.cpp could not load {path}: {exc}.",
                "Run `coach models --verify`; for your own file, check it is a GGUF model "
                "this llama-cpp-python version supports.",
            ) from exc
        self.load_seconds = time.perf_counter() - started
        return llm

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """Load if needed, then hold the model for one request."""
        with self._count_lock:
            self._waiting += 1
        try:
            self.load()
            self._run_lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        self._state = "busy"
        try:
            yield self._llm
        finally:
            self._state = "ready"
            self._run_lock.release()

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model's tokenizer (loads the model if needed)."""
        with self._session() as llm:
            return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def reset_prefix_cache(self) -> None:
        """Forget the cached prompt prefix (benchmarks use it to measure a cold prompt)."""
        with self._session() as llm:
            llm.reset()

    # -- generation ----------------------------------------------------------------------

    def _create(
        self,
        llm: Any,
        messages: list[Message],
        *,
        stream: bool,
        schema: dict | None = None,
        max_tokens: int,
        temperature: float,
    ) -> tuple[Any, int, list[str]]:
        """Build the one request (fitted to the context window) and send it, streamed or not.
        Returns llama.cpp's response (a chunk iterator when streaming), the output-token
        limit that was sent, and notes about the fitting."""

        def count(text: str) -> int:
            return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

        fitted, limit, notes = fit_request(
            messages,
            context_window=self.context_window,
            max_tokens=max_tokens,
            count_tokens=count,
        )
        request: dict[str, Any] = {
            "messages": fitted,
            "max_tokens": limit,
            "temperature": temperature,
            "repeat_penalty": REPEAT_PENALTY,
            "stream": stream,
        }
        if schema is not None:
            # llama.cpp turns the schema into a grammar: output is valid JSON by construction.
            request["response_format"] = {"type": "json_object", "schema": schema}
        try:
            return llm.create_chat_completion(**request), limit, notes
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"The local model failed while generating: {exc}.") from exc

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> Completion:
        check_allow_model_requests("local")
        started = time.perf_counter()
        with self._session() as llm:
            result, limit, notes = self._create(
                llm,
                messages,
                stream=False,
                schema=schema,
                max_tokens=max_tokens,
                temperature=temperature,
            )
        choice = result["choices"][0]
        if choice.get("finish_reason") == "length":
            notes.append(length_note(limit))
        usage = result.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            backend=self.backend,
            model=self.model,
            seconds=time.perf_counter() - started,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            notes=notes,
        )

    def stream(
        self,
        messages: list[Message],
        *,
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> TextStream:
        check_allow_model_requests("local")

        def produce(notes: list[str]) -> Iterator[str]:
            shown = ""
            with self._session() as llm:
                chunks, limit, fit_notes = self._create(
                    llm,
                    messages,
                    stream=True,
                    schema=schema,
                    max_tokens=max_tokens,
                    temperature=temperature,
                )
                notes.extend(fit_notes)
                try:
                    for chunk in chunks:
                        choice = chunk["choices"][0]
                        text = choice.get("delta", {}).get("content")
                        if text:
                            shown += text
                            yield text
                        if choice.get("finish_reason") == "length":
                            notes.append(length_note(limit))
                except (ValueError, RuntimeError) as exc:
                    if shown:
                        raise StreamInterrupted(
                            f"The local model stopped mid-answer: {exc}.", partial_text=shown
                        ) from exc
                    raise ModelError(f"The local model failed while generating: {exc}.") from exc

        return TextStream(produce)
