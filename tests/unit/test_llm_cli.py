"""`coach models`: what a user sees for each backend, and the exact fix when nothing works."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.cli import main
from tests.fixtures import free_port

ENV_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COACH_MODEL", "COACH_LOCAL_MODEL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))


def test_scripted_backend_check_reports_speed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COACH_MODEL", "scripted")
    assert main(["models", "--check"]) == 0
    out = capsys.readouterr().out
    assert "scripted" in out
    assert "check     ok: 'A practical first step for one short sentence reverse" in out
    assert "first token after" in out and "tokens/s" in out


class ModelsEndpoint(BaseHTTPRequestHandler):
    """A real HTTP server speaking just enough of the OpenAI API: GET /v1/models."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.headers.get("Authorization") == "Bearer sk-wrong":
            self._reply(401, {"error": {"message": "Incorrect API key provided"}})
        elif self.path == "/v1/models":
            self._reply(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": name, "object": "model", "created": 0, "owned_by": "test"}
                        for name in ("local", "other")
                    ],
                },
            )
        else:
            self._reply(404, {"error": {"message": "not found"}})

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelsEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_openai_backend_shows_endpoint_and_limits_and_probes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcd")
    monkeypatch.setenv("COACH_OPENAI_MODEL", "local")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert f"endpoint  {endpoint}" in out
    assert "set (...abcd)" in out and "sk-test" not in out
    assert "up to 4 attempts within 60 s" in out
    assert f"status    ready: {endpoint} answers and serves 'local'" in out


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"COACH_OPENAI_MODEL": "gpt-9"},
            "does not serve the model 'gpt-9'; it offers: local, other. Set COACH_OPENAI_MODEL",
        ),
        (
            {"COACH_OPENAI_MODEL": "local", "OPENAI_API_KEY": "sk-wrong"},
            "rejected the API key (HTTP 401: Incorrect API key provided)",
        ),
    ],
    ids=["unknown-model", "bad-key"],
)
def test_openai_probe_names_the_problem_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    endpoint: str,
    env: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["models"]) == 3
    out = capsys.readouterr().out
    assert "status    unavailable: " in out and expected in out


def test_openai_probe_of_a_closed_port_says_it_cannot_reach_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    assert main(["models"]) == 3
    out = capsys.readouterr().out
    assert f"Cannot reach the model server at http://127.0.0.1:{port}/v1 (1 attempt)" in out


def test_openai_selected_without_key_or_url_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COACH_MODEL", "openai")
    assert main(["models"]) == 3
    err = capsys.readouterr().err
    assert "neither OPENAI_API_KEY nor OPENAI_BASE_URL is set" in err
    assert "Traceback" not in err


def test_a_missing_gguf_file_is_named_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("COACH_LOCAL_MODEL", str(tmp_path / "nowhere.gguf"))
    assert main(["models"]) == 3
    out = capsys.readouterr().out
    assert f"weights   {tmp_path / 'nowhere.gguf'}" in out
    assert "missing: the file does not exist" in out
    assert "unavailable:" in out and "unset COACH_LOCAL_MODEL" in out


def test_an_unknown_local_model_name_lists_the_choices(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COACH_LOCAL_MODEL", "llama-70b")
    assert main(["models"]) == 3
    err = capsys.readouterr().err
    assert "qwen2.5-coder-1.5b, qwen2.5-coder-0.5b" in err
