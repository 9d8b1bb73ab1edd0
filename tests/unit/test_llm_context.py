"""Oversized prompts are cut to the context window, with a note, before reaching a model."""

from __future__ import annotations

from assistant.llm.context import FIXED_OVERHEAD, PER_MESSAGE_OVERHEAD, fit_messages, output_budget


def words(text: str) -> int:
    return len(text.split())


def size(messages: list[dict]) -> int:
    return sum(words(m["content"]) + PER_MESSAGE_OVERHEAD for m in messages)


def test_messages_that_fit_are_untouched() -> None:
    messages = [{"role": "user", "content": "short question"}]
    fitted, notes = fit_messages(messages, context_window=512, max_tokens=100, count_tokens=words)
    assert fitted is messages
    assert notes == []


def test_oldest_turns_go_first_and_system_and_question_stay() -> None:
    old = " ".join(["old"] * 150)
    messages = [
        {"role": "system", "content": "Be a coach."},
        {"role": "user", "content": old},
        {"role": "assistant", "content": old},
        {"role": "user", "content": "What next?"},
    ]
    fitted, notes = fit_messages(messages, context_window=400, max_tokens=100, count_tokens=words)
    assert [m["content"] for m in fitted] == ["Be a coach.", old, "What next?"]
    assert "1 earlier message dropped" in notes[0]
    assert messages[2]["content"] == old  # the caller's list is not modified


def test_a_huge_message_loses_its_middle_and_keeps_both_ends() -> None:
    passages = " ".join(f"w{i}" for i in range(5000))
    messages = [
        {"role": "system", "content": "Answer from the passages."},
        {"role": "user", "content": f"START {passages} QUESTION: how to begin?"},
    ]
    fitted, notes = fit_messages(messages, context_window=1024, max_tokens=200, count_tokens=words)
    content = fitted[1]["content"]
    assert content.startswith("START w0")
    assert content.endswith("QUESTION: how to begin?")
    assert "cut to fit the model's context window" in content
    assert size(fitted) <= 1024 - 200 - FIXED_OVERHEAD
    assert "1024-token context window" in notes[0]
    assert "removed from the middle" in notes[0]


def test_the_answer_budget_leaves_room_for_the_prompt() -> None:
    assert output_budget(4096, 512) == (512, [])
    limit, notes = output_budget(1024, 4000)
    assert limit == 512
    assert "limited to 512 tokens" in notes[0]
