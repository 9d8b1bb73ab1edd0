"""The scripted model: queued replies, recorded history, and deterministic answers by name."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import pydantic
import pytest

from assistant.config import Settings
from assistant.llm import (
    ChatModel,
    ModelRequestNotAllowed,
    ModelTimeout,
    StreamInterrupted,
    TextStream,
    complete_structured,
    get_model,
)
from assistant.llm.local import LocalModel
from assistant.llm.scripted import ScriptedModel, ScriptExhausted
from assistant.llm.weights import WeightsLocation

SYSTEM = {"role": "system", "content": "You are a reverse-mentoring coach."}


def ask(text: str) -> list[dict]:
    return [SYSTEM, {"role": "user", "content": text}]


def test_replies_come_back_in_order_and_requests_are_recorded(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.enqueue("first", {"answer": 42})
    messages = ask("How do I start?")
    assert scripted_model.complete(messages, max_tokens=50).text == "first"
    assert scripted_model.complete(messages, schema={"type": "object"}).text == '{"answer": 42}'
    messages[1]["content"] = "changed after the call"
    calls = scripted_model.history
    assert [c.kind for c in calls] == ["complete", "complete"]
    assert calls[0].last_user == "How do I start?"  # a copy of what was sent
    assert calls[0].max_tokens == 50
    assert calls[1].schema == {"type": "object"}


def test_strict_model_with_empty_queue_fails_loudly(scripted_model: ScriptedModel) -> None:
    with pytest.raises(ScriptExhausted, match="no reply queued.*What now"):
        scripted_model.complete(ask("What now?"))


def test_a_queued_exception_is_raised(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(ModelTimeout("too slow"))
    with pytest.raises(ModelTimeout, match="too slow"):
        scripted_model.complete(ask("Hi"))


def test_stream_yields_the_reply_in_chunks(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue("Start with one shared goal [1].", ["a", "b"])
    stream = scripted_model.stream(ask("Tip?"))
    chunks = list(stream)
    assert len(chunks) > 1
    assert "".join(chunks) == "Start with one shared goal [1]."
    assert isinstance(stream, TextStream) and stream.text == "Start with one shared goal [1]."
    assert list(scripted_model.stream(ask("Again"))) == ["a", "b"]
    assert [c.kind for c in scripted_model.history] == ["stream", "stream"]


def test_stream_broken_after_text_keeps_the_partial_answer(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(["Keep ", "it ", ConnectionError("reset by peer")])
    shown: list[str] = []
    with pytest.raises(StreamInterrupted) as caught:
        for chunk in scripted_model.stream(ask("Tip?")):
            shown.append(chunk)
    assert shown == ["Keep ", "it "]
    assert caught.value.partial_text == "Keep it "


def test_stream_broken_before_any_text_raises_the_error_itself(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.enqueue([ModelTimeout("no answer")])
    with pytest.raises(ModelTimeout):
        list(scripted_model.stream(ask("Tip?")))


def test_selected_by_name_it_answers_text_deterministically_with_a_citation(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env(env={"COACH_MODEL": "scripted"}, secrets_file=tmp_path / "x")
    model = get_model(settings)
    assert isinstance(model, ChatModel) and model.backend == "scripted"
    question = ask("How can my mentee explain TikTok analytics to a director?")
    first = model.complete(question).text
    assert "[1]" in first
    assert "tiktok" in first.lower()
    assert model.complete(question).text == first
    assert "".join(model.stream(question)) == first


class Level(StrEnum):
    beginner = "beginner"
    expert = "expert"


class Item(pydantic.BaseModel):
    topic: str = pydantic.Field(min_length=3, max_length=20)
    minutes: int = pydantic.Field(ge=5, le=30)
    citations: list[int] = pydantic.Field(min_length=1, max_length=3)


class Agenda(pydantic.BaseModel):
    title: str = pydantic.Field(max_length=40)
    level: Level
    day: dt.date
    share: float = pydantic.Field(gt=0, le=1)
    items: list[Item] = pydantic.Field(min_length=3, max_length=5)
    follow_up: str | None = None
    private: bool = False


def test_selected_by_name_it_builds_a_valid_instance_from_any_schema() -> None:
    model = ScriptedModel()
    messages = ask("Plan a session on Slack etiquette for the finance team")
    agenda, completion = complete_structured(model, messages, Agenda)
    assert len(agenda.items) == 3
    assert all(5 <= item.minutes <= 30 for item in agenda.items)
    words = " ".join([agenda.title, *(i.topic for i in agenda.items)])
    assert "slack" in words and "finance" in words
    assert completion.backend == "scripted"
    assert len(model.history) == 1  # valid at the first try: no repair round


def test_the_guard_stops_a_real_local_model_before_it_loads(tmp_path: Path) -> None:
    local = LocalModel(WeightsLocation("missing", tmp_path / "missing.gguf"))
    with pytest.raises(ModelRequestNotAllowed, match="ALLOW_MODEL_REQUESTS"):
        local.complete(ask("Hi"))
    with pytest.raises(ModelRequestNotAllowed):
        local.stream(ask("Hi"))
    assert local.status().state != "loading"
    assert not local.loaded


def test_scripted_seconds_takes_zero_and_refuses_nonsense(tmp_path: Path) -> None:
    from assistant.config import ConfigError

    def seconds(value: str) -> float:
        env = {"COACH_MODEL": "scripted", "COACH_SCRIPTED_SECONDS": value}
        return Settings.from_env(env=env, secrets_file=tmp_path / "x").scripted_seconds

    assert seconds("0") == 0.0 and seconds("") == 0.0 and seconds("1.5") == 1.5
    assert seconds("9999") == 600.0  # capped
    with pytest.raises(ConfigError, match="is not a number of seconds"):
        seconds("soon")
    with pytest.raises(ConfigError, match="must be positive"):
        seconds("-1")
    model = get_model(
        Settings.from_env(
            env={"COACH_MODEL": "scripted", "COACH_SCRIPTED_SECONDS": "0.2"},
            secrets_file=tmp_path / "x",
        )
    )
    assert model.seconds == 0.2
