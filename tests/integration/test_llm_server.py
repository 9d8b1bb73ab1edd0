"""The real `openai` client against a real `python -m llama_cpp.server` on 127.0.0.1.

Starts the server once for the module with the 0.5B model (assembled into the same cache
`coach` uses, so only the first run pays for it). Skipped when llama-cpp-python[server] or the
weights-small extra is not installed.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.llm import ModelUnavailable, TextStream, complete_structured, get_model
from assistant.llm.openai_compat import OpenAIModel
from assistant.llm.weights import ensure_weights, resolve
from tests.fixtures import answers_http, free_port, stop_process, wait_until_ready

MODELS_DIR = PROJECT_ROOT / ".coach-data" / "models"
STARTUP_SECONDS = 120

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("allow_model_requests")]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server]")
    try:
        model_path = ensure_weights(resolve("qwen2.5-coder-0.5b", MODELS_DIR))
    except ModelUnavailable as exc:
        pytest.skip(f"0.5B weights unavailable: {exc}")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path), "--model_alias", "local",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "2",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(
            "llama_cpp.server", process, answers_http(f"{url}/models"), STARTUP_SECONDS, log_path
        )
        yield url
    finally:
        stop_process(process, timeout=15)


@pytest.fixture
def server_model(llama_server: str, tmp_path: Path) -> OpenAIModel:
    # Only settings change: the same code path a user gets with OPENAI_BASE_URL set. The
    # timeout is generous: the structured call timed out at 120 s once on a busy 2-core machine
    # (a behaviour test, not a speed test; benchmarks/ measures speed).
    settings = Settings.from_env(
        env={
            "OPENAI_BASE_URL": llama_server,
            "COACH_OPENAI_MODEL": "local",
            "COACH_OPENAI_TIMEOUT": "600",
            "COACH_DATA_DIR": str(tmp_path),
        },
        secrets_file=tmp_path / "no-secrets.toml",
    )
    model = get_model(settings)
    assert isinstance(model, OpenAIModel)
    return model


def test_streams_text_from_a_real_llama_cpp_server(server_model: OpenAIModel) -> None:
    messages = [
        {"role": "system", "content": "You are a concise coach."},
        {"role": "user", "content": "Name one benefit of reverse mentoring in one sentence."},
    ]
    stream = server_model.stream(messages, max_tokens=32, temperature=0.0)
    chunks = list(stream)
    assert len(chunks) > 3
    assert isinstance(stream, TextStream) and stream.text.strip()
    assert server_model.status().state == "ready"
    probe = server_model.probe()  # what `coach models` asks: reachable, and serving "local"
    assert probe.state == "ready" and "serves 'local'" in probe.detail


class Starter(pydantic.BaseModel):
    question: str = pydantic.Field(max_length=160)
    minutes: int = pydantic.Field(ge=1, le=15)


def test_structured_output_falls_back_to_json_object_and_validates(
    server_model: OpenAIModel,
) -> None:
    messages = [
        {"role": "system", "content": "You write conversation starters for mentoring pairs."},
        {"role": "user", "content": "One starter about group chats, with minutes (1-15)."},
    ]
    starter, completion = complete_structured(server_model, messages, Starter, max_tokens=120)
    assert isinstance(starter, Starter)
    # llama_cpp.server answers HTTP 500 to response_format json_schema: the client falls
    # back to json_object (a grammar built from the schema) and remembers it.
    assert server_model.structured_mode == "json_object"
    assert completion.completion_tokens and completion.completion_tokens > 0
