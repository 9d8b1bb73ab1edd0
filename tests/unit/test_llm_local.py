"""LocalModel's own logic (serialisation, status, prompt fitting, stream breaks) around a
stand-in for llama_cpp.Llama. A stand-in is used because the faults (a context overflow
inside llama.cpp, two requests colliding) cannot be caused on demand with the real model;
the real model runs in tests/integration/test_llm_local_model.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.llm import ModelError, StreamInterrupted
from assistant.llm.local import LocalModel
from assistant.llm.weights import WeightsLocation


class FakeLlama:
    """Mimics the parts of llama_cpp.Llama that LocalModel uses, including its failure when a
    prompt exceeds the context window."""

    def __init__(self, n_ctx: int, *, delay: float = 0.0, break_after: int | None = None) -> None:
        self.n_ctx = n_ctx
        self.delay = delay
        self.break_after = break_after
        self.calls: list[dict[str, Any]] = []
        self.running = 0
        self.max_running = 0

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return [0] * len(text.split())

    def _check(self, messages: list[dict], max_tokens: int) -> None:
        prompt = sum(len(str(m["content"]).split()) + 5 for m in messages)
        if prompt + max_tokens > self.n_ctx:
            raise ValueError(f"Requested tokens ({prompt}) exceed context window of {self.n_ctx}")

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        self._check(kwargs["messages"], kwargs["max_tokens"])
        if kwargs.get("stream"):
            return self._stream()
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        time.sleep(self.delay)
        self.running -= 1
        return {
            "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }

    def _stream(self) -> Iterator[dict]:
        for n, word in enumerate(["Try ", "a ", "shared ", "goal."]):
            if self.break_after is not None and n == self.break_after:
                raise RuntimeError("llama_decode returned -1")
            yield {"choices": [{"delta": {"content": word}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


def loaded_model(tmp_path: Path, llm: FakeLlama, n_ctx: int = 512) -> LocalModel:
    model = LocalModel(WeightsLocation("fake.gguf", tmp_path / "fake.gguf"), n_ctx=n_ctx)
    model._llm = llm  # as if loaded: the stand-in replaces llama.cpp only
    return model


pytestmark = pytest.mark.usefixtures("allow_model_requests")


def test_concurrent_requests_run_one_at_a_time_and_queue_is_visible(tmp_path: Path) -> None:
    llm = FakeLlama(512, delay=0.3)
    model = loaded_model(tmp_path, llm)
    seen: list[tuple[str, int]] = []
    threads = [
        threading.Thread(target=model.complete, args=([{"role": "user", "content": "hi"}],))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        status = model.status()
        seen.append((status.state, status.queue))
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    assert llm.max_running == 1
    assert len(llm.calls) == 3
    assert ("busy", 2) in seen  # one generating, two waiting: a UI can say so
    assert model.status().state == "ready"


def test_an_oversized_prompt_is_cut_with_a_note_instead_of_failing(tmp_path: Path) -> None:
    llm = FakeLlama(512)
    model = loaded_model(tmp_path, llm)
    huge = " ".join(f"passage{i}" for i in range(3000))
    messages = [
        {"role": "system", "content": "Coach."},
        {"role": "user", "content": f"{huge} Question: where to start?"},
    ]
    completion = model.complete(messages, max_tokens=100)
    assert completion.text == "ok"
    assert any("cut from about 3" in note and "512-token" in note for note in completion.notes)
    sent = llm.calls[0]["messages"][1]["content"]
    assert sent.endswith("Question: where to start?")


def test_schema_requests_ask_llama_cpp_for_a_grammar(tmp_path: Path) -> None:
    llm = FakeLlama(512)
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    loaded_model(tmp_path, llm).complete([{"role": "user", "content": "x"}], schema=schema)
    assert llm.calls[0]["response_format"] == {"type": "json_object", "schema": schema}


def test_stream_breaking_after_text_keeps_it(tmp_path: Path) -> None:
    model = loaded_model(tmp_path, FakeLlama(512, break_after=2))
    shown: list[str] = []
    with pytest.raises(StreamInterrupted) as caught:
        for chunk in model.stream([{"role": "user", "content": "tip?"}]):
            shown.append(chunk)
    assert caught.value.partial_text == "Try a " == "".join(shown)
    assert model.status().state == "ready"  # the model was released


def test_stream_breaking_before_text_is_a_model_error(tmp_path: Path) -> None:
    model = loaded_model(tmp_path, FakeLlama(512, break_after=0))
    with pytest.raises(ModelError) as caught:
        list(model.stream([{"role": "user", "content": "tip?"}]))
    assert not isinstance(caught.value, StreamInterrupted)
    assert "llama_decode" in str(caught.value)


def test_streamed_and_plain_answers_send_the_same_fitted_request(tmp_path: Path) -> None:
    llm = FakeLlama(512)
    model = loaded_model(tmp_path, llm)
    messages = [{"role": "user", "content": "word " * 3000 + "Question: where to start?"}]
    completion = model.complete(messages, max_tokens=100)
    stream = model.stream(messages, max_tokens=100)
    assert "".join(stream) == "Try a shared goal."
    plain, streamed = llm.calls
    assert (plain.pop("stream"), streamed.pop("stream")) == (False, True)
    assert plain == streamed  # one request builder: same cut prompt, limits and penalty
    assert plain["messages"][0]["content"].endswith("Question: where to start?")
    assert completion.notes == stream.notes and any("was cut" in n for n in stream.notes)
