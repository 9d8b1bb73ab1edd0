"""complete_structured: constrained when possible, validated always, repaired once."""

from __future__ import annotations

import pydantic
import pytest

from assistant.llm import BadModelOutput, complete_structured
from assistant.llm.scripted import ScriptedModel
from assistant.llm.structured import extract_json, parse_partial, stream_structured


class Starter(pydantic.BaseModel):
    question: str
    minutes: int = pydantic.Field(ge=1, le=15)


MESSAGES = [
    {"role": "system", "content": "You write conversation starters."},
    {"role": "user", "content": "One starter about emoji etiquette."},
]


@pytest.mark.parametrize(
    "raw",
    [
        '{"question": "Which emoji confuse you?", "minutes": 5}',
        '```json\n{"question": "Which emoji confuse you?", "minutes": 5}\n```',
        '```\n{"question": "Which emoji confuse you?", "minutes": 5}\n```',
        'Sure! Here it is: {"question": "Which emoji confuse you?", "minutes": 5} Enjoy.',
    ],
)
def test_fences_and_prose_around_the_json_are_ignored(
    scripted_model: ScriptedModel, raw: str
) -> None:
    scripted_model.enqueue(raw)
    starter, _ = complete_structured(scripted_model, MESSAGES, Starter)
    assert starter == Starter(question="Which emoji confuse you?", minutes=5)
    assert scripted_model.last_call.schema == Starter.model_json_schema()


def test_an_invalid_answer_is_repaired_once(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(
        '{"question": "Which emoji confuse you?", "minutes": 90}',
        '{"question": "Which emoji confuse you?", "minutes": 10}',
    )
    starter, completion = complete_structured(scripted_model, MESSAGES, Starter)
    assert starter.minutes == 10
    repair = scripted_model.history[1].messages
    assert repair[: len(MESSAGES)] == MESSAGES  # stable prefix first, for the prompt cache
    assert repair[-2] == {
        "role": "assistant",
        "content": '{"question": "Which emoji confuse you?", "minutes": 90}',
    }
    assert "minutes" in repair[-1]["content"] and "15" in repair[-1]["content"]
    assert "repaired" in " ".join(completion.notes)


def test_two_invalid_answers_raise_bad_model_output(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue("I think you should talk about emoji.", '{"question": "Emoji?"}')
    with pytest.raises(BadModelOutput) as caught:
        complete_structured(scripted_model, MESSAGES, Starter)
    assert len(scripted_model.history) == 2
    assert "Starter" in str(caught.value)
    assert "minutes: Field required" in str(caught.value)
    assert caught.value.raw_text == '{"question": "Emoji?"}'


def test_extract_json_leaves_plain_json_alone() -> None:
    assert extract_json(' {"a": [1, 2]} ') == '{"a": [1, 2]}'
    assert extract_json("[1, 2]") == "[1, 2]"


def test_a_streamed_answer_reports_each_finished_part_then_validates(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.enqueue(['{"question": "Which emoji', ' confuse you?", ', '"minutes": 5}'])
    seen: list[dict] = []
    starter, completion = stream_structured(
        scripted_model, MESSAGES, Starter, on_partial=seen.append
    )
    assert starter == Starter(question="Which emoji confuse you?", minutes=5)
    assert scripted_model.last_call.kind == "stream"
    assert scripted_model.last_call.schema == Starter.model_json_schema()
    # Unfinished strings are never shown; each report is a step further.
    assert seen == [
        {},
        {"question": "Which emoji confuse you?"},
        {
            "question": "Which emoji confuse you?",
            "minutes": 5,
        },
    ]
    assert completion.completion_tokens == 3


def test_an_invalid_streamed_answer_is_repaired_once(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(['{"question": "Hi?", ', '"minutes": 99}'])
    scripted_model.enqueue('{"question": "Hi?", "minutes": 9}')
    starter, completion = stream_structured(
        scripted_model, MESSAGES, Starter, on_partial=lambda _: None
    )
    assert starter.minutes == 9
    assert "repaired" in completion.notes[-1]
    assert "minutes" in scripted_model.last_call.messages[-1]["content"]


def test_parse_partial_keeps_only_finished_values() -> None:
    assert parse_partial("") is None and parse_partial("Sure") is None
    assert parse_partial('{"a": [{"b": "x"}, {"b": "unfini') == {"a": [{"b": "x"}, {}]}
