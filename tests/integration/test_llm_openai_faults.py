"""Fault tests for the OpenAI-compatible backend, against a real HTTP server on 127.0.0.1.

The faults are caused for real (statuses, a stalled answer, a stream cut mid-way, a closed
port) by a tiny `http.server` in a thread; the real `openai` client and the real retry layer
run against it. Each test asserts how many requests reached the server and what the user is told.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pydantic
import pytest

from assistant.config import Settings
from assistant.llm import (
    AuthenticationFailed,
    ModelError,
    ModelNotFound,
    ModelRequestNotAllowed,
    ModelTimeout,
    ModelUnavailable,
    RateLimited,
    StreamInterrupted,
    complete_structured,
    get_model,
)
from assistant.llm.openai_compat import OpenAIModel
from assistant.llm.retry import RetryPolicy

FAST = RetryPolicy(attempts=3, max_seconds=20.0, initial_wait=0.01, max_wait=0.05)
MESSAGES = [{"role": "user", "content": "Say hello."}]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering
    sse: list[str] | None = None  # stream these text chunks
    cut: bool = False  # ...then drop the connection mid-body, without finishing
    finish: bool = True  # send finish_reason and [DONE] (when not cut)
    html: str | None = None  # answer with a web page instead of JSON


def chat_body(text: str) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def error(status: int, message: str, code: str | None = None, **headers: str) -> Reply:
    return Reply(status, {"error": {"message": message, "type": "error", "code": code}}, headers)


def sse_event(text: str | None, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is the point of some tests


class FakeOpenAI:
    """Answers POST /v1/chat/completions from a script; records every request it receives."""

    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                models = {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
                self._json(200, models, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                reply = fake.script.popleft() if fake.script else error(599, "unscripted")
                if reply.stall:
                    time.sleep(reply.stall)
                if reply.sse is not None:
                    self._stream(reply)
                else:
                    self._json(reply.status, reply.body, reply.headers, reply.html)

            def _json(
                self, status: int, body: Any, headers: dict[str, str], html: str | None = None
            ) -> None:
                data = json.dumps(body).encode() if html is None else html.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if html else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                events = [sse_event(text) for text in reply.sse or []]
                if reply.finish and not reply.cut:
                    events += [sse_event(None, "stop"), b"data: [DONE]\n\n"]
                for event in events:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    self.wfile.flush()
                    time.sleep(0.01)
                if reply.cut:
                    # Drop the connection without the terminating chunk: a real mid-body cut.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(b"0\r\n\r\n")

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def queue(self, *replies: Reply) -> FakeOpenAI:
        self.script.extend(replies)
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.close()


def make_model(url: str, *, timeout: float = 5.0, policy: RetryPolicy = FAST) -> OpenAIModel:
    client = openai.OpenAI(api_key="sk-test", base_url=url, max_retries=0)
    return OpenAIModel(
        client, model="fake-model", timeout=timeout, connect_timeout=1.0, policy=policy
    )


pytestmark = pytest.mark.usefixtures("allow_model_requests")


def test_429_then_success_retries_once(fake: FakeOpenAI) -> None:
    fake.queue(error(429, "slow down"), Reply(body=chat_body("hello")))
    completion = make_model(fake.url).complete(MESSAGES)
    assert completion.text == "hello"
    assert len(fake.requests) == 2


def test_503_is_retried_until_the_attempt_bound(fake: FakeOpenAI) -> None:
    fake.queue(*[error(503, "overloaded")] * 10)
    with pytest.raises(ModelUnavailable) as caught:
        make_model(fake.url).complete(MESSAGES)
    assert len(fake.requests) == 3
    message = str(caught.value)
    assert "HTTP 503 (Service Unavailable), still after 3 attempts" in message
    assert fake.url in message


def test_503_retries_stop_at_the_time_budget(fake: FakeOpenAI) -> None:
    policy = RetryPolicy(attempts=20, max_seconds=1.0, initial_wait=0.3, max_wait=0.3)
    fake.queue(*[error(503, "overloaded")] * 20)
    with pytest.raises(ModelUnavailable) as caught:
        make_model(fake.url, policy=policy).complete(MESSAGES)
    sent = len(fake.requests)
    assert 1 < sent < 20
    assert f"still after {sent} attempts" in str(caught.value)


def test_rate_limit_until_the_bound_says_wait(fake: FakeOpenAI) -> None:
    fake.queue(*[error(429, "slow down", **{"Retry-After": "0"})] * 5)
    with pytest.raises(RateLimited) as caught:
        make_model(fake.url).complete(MESSAGES)
    assert len(fake.requests) == 3
    assert "rate-limiting requests (HTTP 429), still after 3 attempts" in str(caught.value)


def test_exhausted_quota_is_not_retried(fake: FakeOpenAI) -> None:
    fake.queue(error(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(RateLimited) as caught:
        make_model(fake.url).complete(MESSAGES)
    assert len(fake.requests) == 1
    assert "no quota left" in str(caught.value)


def test_timeout_is_retried_then_reported(fake: FakeOpenAI) -> None:
    fake.queue(Reply(stall=1.5, body=chat_body("late")), Reply(stall=1.5, body=chat_body("late")))
    policy = RetryPolicy(attempts=2, max_seconds=20.0, initial_wait=0.01, max_wait=0.05)
    with pytest.raises(ModelTimeout) as caught:
        make_model(fake.url, timeout=0.3, policy=policy).complete(MESSAGES)
    assert len(fake.requests) == 2
    assert "did not answer within 0.3 s (2 attempts" in str(caught.value)
    assert "COACH_OPENAI_TIMEOUT" in str(caught.value)


def test_wrong_api_key_fails_at_once_with_its_own_message(fake: FakeOpenAI) -> None:
    fake.queue(error(401, "Incorrect API key provided"))
    with pytest.raises(AuthenticationFailed) as caught:
        make_model(fake.url).complete(MESSAGES)
    assert len(fake.requests) == 1
    assert "rejected the API key (HTTP 401" in str(caught.value)
    assert "OPENAI_API_KEY" in str(caught.value)


def test_unknown_model_names_what_the_server_offers(fake: FakeOpenAI) -> None:
    fake.queue(error(404, "The model `nope` does not exist"))
    client = openai.OpenAI(api_key="sk-test", base_url=fake.url, max_retries=0)
    model = OpenAIModel(client, model="nope", policy=FAST)
    with pytest.raises(ModelNotFound) as caught:
        model.complete(MESSAGES)
    assert len(fake.requests) == 1
    message = str(caught.value)
    assert "does not know the model 'nope'" in message
    assert "It offers: fake-model" in message
    assert "COACH_OPENAI_MODEL" in message


@pytest.mark.parametrize("status", [400, 500])
def test_other_errors_are_not_retried(fake: FakeOpenAI, status: int) -> None:
    fake.queue(error(status, "something broke"))
    with pytest.raises(ModelError) as caught:
        make_model(fake.url).complete(MESSAGES)
    assert len(fake.requests) == 1
    assert f"HTTP {status}" in str(caught.value)
    assert "something broke" in str(caught.value)


def test_a_server_that_is_not_openai_compatible_is_named(fake: FakeOpenAI) -> None:
    fake.queue(Reply(html="<html>Welcome to nginx</html>"))
    with pytest.raises(ModelError) as caught:
        make_model(fake.url).complete(MESSAGES)
    assert "did not answer like an OpenAI-compatible chat endpoint" in str(caught.value)
    assert len(fake.requests) == 1


def test_unreachable_base_url_is_reported_with_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ModelUnavailable) as caught:
        make_model(url).complete(MESSAGES)
    message = str(caught.value)
    assert f"Cannot reach the model server at {url} (3 attempts" in message
    assert "OPENAI_BASE_URL" in message


def test_stream_cut_mid_way_keeps_the_partial_text(fake: FakeOpenAI) -> None:
    fake.queue(Reply(sse=["Hel", "lo, ", "wor"], cut=True), Reply(sse=["never sent"]))
    shown: list[str] = []
    with pytest.raises(StreamInterrupted) as caught:
        for chunk in make_model(fake.url).stream(MESSAGES):
            shown.append(chunk)
    assert shown == ["Hel", "lo, ", "wor"]
    assert caught.value.partial_text == "Hello, wor"
    assert "stopped mid-way" in str(caught.value)
    assert len(fake.requests) == 1  # text was shown: not retried


def test_stream_closed_early_without_finish_is_an_interruption(fake: FakeOpenAI) -> None:
    fake.queue(Reply(sse=["Half an ans"], finish=False))
    with pytest.raises(StreamInterrupted) as caught:
        list(make_model(fake.url).stream(MESSAGES))
    assert caught.value.partial_text == "Half an ans"
    assert "closed before the answer was complete" in str(caught.value)


def test_stream_failing_before_any_text_is_retried(fake: FakeOpenAI) -> None:
    fake.queue(error(503, "warming up"), Reply(sse=[], cut=True), Reply(sse=["Hi", " there"]))
    stream = make_model(fake.url).stream(MESSAGES)
    assert "".join(stream) == "Hi there"
    assert len(fake.requests) == 3


def test_streamed_and_plain_answers_send_the_same_fitted_request(fake: FakeOpenAI) -> None:
    fake.queue(Reply(body=chat_body("ok")), Reply(sse=["ok"]))
    client = openai.OpenAI(api_key="sk-test", base_url=fake.url, max_retries=0)
    model = OpenAIModel(client, model="fake-model", context_window=512, policy=FAST)
    long_prompt = [{"role": "user", "content": "word " * 3000 + "Question: where to start?"}]
    completion = model.complete(long_prompt, max_tokens=100)
    stream = model.stream(long_prompt, max_tokens=100)
    assert "".join(stream) == "ok"
    plain, streamed = fake.requests
    assert streamed.pop("stream") is True
    assert plain.pop("stream", False) is False
    assert plain == streamed  # one request builder: same cut prompt, same limits
    assert plain["messages"][0]["content"].endswith("Question: where to start?")
    assert completion.notes == stream.notes and any("was cut" in n for n in stream.notes)


class Tip(pydantic.BaseModel):
    title: str
    minutes: int


def test_json_schema_rejected_with_500_falls_back_and_is_remembered(fake: FakeOpenAI) -> None:
    tip = json.dumps({"title": "Warm up", "minutes": 5})
    fake.queue(
        error(500, "unsupported response_format"),
        Reply(body=chat_body(tip)),
        Reply(body=chat_body(tip)),
    )
    model = make_model(fake.url)
    first, completion = complete_structured(model, MESSAGES, Tip)
    second, _ = complete_structured(model, MESSAGES, Tip)
    assert first == second == Tip(title="Warm up", minutes=5)
    formats = [r["response_format"]["type"] for r in fake.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert fake.requests[1]["response_format"]["schema"] == Tip.model_json_schema()
    assert "JSON Schema" in fake.requests[1]["messages"][-1]["content"]
    assert any("using json_object from now on" in note for note in completion.notes)


def test_plain_prompting_when_no_response_format_is_supported(fake: FakeOpenAI) -> None:
    fake.queue(
        error(500, "no json_schema"),
        error(422, "no json_object"),
        Reply(body=chat_body('```json\n{"title": "Listen", "minutes": 10}\n```')),
    )
    model = make_model(fake.url)
    tip, _ = complete_structured(model, MESSAGES, Tip)
    assert tip == Tip(title="Listen", minutes=10)
    assert "response_format" not in fake.requests[2]
    assert model.structured_mode == "prompt"


def test_guard_blocks_real_requests_unless_allowed(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assistant.llm.base.ALLOW_MODEL_REQUESTS", False)
    with pytest.raises(ModelRequestNotAllowed):
        make_model(fake.url).complete(MESSAGES)
    with pytest.raises(ModelRequestNotAllowed):
        make_model(fake.url).stream(MESSAGES)
    assert fake.requests == []


def test_pointing_openai_base_url_at_a_server_switches_backend(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        env={"OPENAI_BASE_URL": fake.url, "COACH_RETRY_ATTEMPTS": "2"},
        secrets_file=tmp_path / "none.toml",
    )
    model = get_model(settings)
    assert model.backend == "openai"
    assert isinstance(model, OpenAIModel)
    assert model.client.max_retries == 0  # tenacity is the only retry layer
    assert model.policy.attempts == 2
    fake.queue(*[error(502, "bad gateway")] * 3)
    model.policy = RetryPolicy(attempts=2, max_seconds=5, initial_wait=0.01, max_wait=0.02)
    with pytest.raises(ModelUnavailable):
        model.complete(MESSAGES)
    assert len(fake.requests) == 2
