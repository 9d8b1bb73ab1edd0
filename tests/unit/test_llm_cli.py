"""`coach models`: what a user sees for each backend, and the exact fix when nothing works."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main

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


def test_openai_backend_shows_endpoint_and_limits_without_calling_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcd")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "endpoint  http://127.0.0.1:9/v1" in out
    assert "set (...abcd)" in out and "sk-test" not in out
    assert "up to 4 attempts within 60 s" in out


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
