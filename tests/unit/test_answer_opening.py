"""An answer starts with the advice: a reply that opens with its citation marker gets the marker
at the end of its first sentence, in the whole reply and while it streams (the local model
opened 13 of 17 answers with "[1]" in eval run #7)."""

from __future__ import annotations

import pytest

from assistant.citations import lead_with_advice, marks_after_first_sentence
from assistant.coach import Coach
from assistant.llm.scripted import ScriptedModel
from assistant.schemas import AnswerRequest

CASES = [
    ("[1] Start small. Then agree goals [2].", "Start small [1]. Then agree goals [2]."),
    ("[1][3] Meet every two weeks", "Meet every two weeks [1][3]"),
    ("[2] Phrases that work:\n- one\n- two", "Phrases that work [2]:\n- one\n- two"),
    ("Start small [1]. Then agree goals.", "Start small [1]. Then agree goals."),
    ("  [1] Name it lightly! Then move on.", "Name it lightly [1]! Then move on."),
]


@pytest.mark.parametrize(("reply", "shown"), CASES)
def test_the_marker_moves_to_the_end_of_the_first_sentence(reply: str, shown: str) -> None:
    assert marks_after_first_sentence(reply) == shown


@pytest.mark.parametrize(("reply", "shown"), CASES)
@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_streaming_shows_the_same_text_as_the_whole_reply(
    reply: str, shown: str, size: int
) -> None:
    chunks = [reply[i : i + size] for i in range(0, len(reply), size)]
    streamed = list(lead_with_advice(iter(chunks)))
    assert "".join(streamed) == shown
    assert not streamed[0].lstrip().startswith("[")


def test_a_reply_that_starts_with_the_advice_streams_at_once() -> None:
    seen = []

    def chunks():
        for part in ["Start ", "small ", "[1]. ", "Then ", "more."]:
            seen.append(part)
            yield part

    stream = lead_with_advice(chunks())
    assert next(stream) == "Start " and seen == ["Start "]  # nothing held back


@pytest.fixture
def coach(real_retriever, scripted_model: ScriptedModel) -> Coach:  # noqa: ANN001
    return Coach(real_retriever, scripted_model)


def test_the_saved_and_the_streamed_answer_start_with_the_advice(coach: Coach) -> None:
    reply = "[1] Rebook it within the week. Then name the pattern kindly [2]."
    request = AnswerRequest(question="What if my mentee keeps cancelling our sessions?")
    coach.model.enqueue(reply)
    whole = coach.answer(request)
    coach.model.enqueue(reply)
    stream = coach.stream_answer(request)
    text = "".join(stream)
    assert whole.answer.startswith("Rebook it within the week [1].")
    assert text.startswith("Rebook it within the week [1].")
    assert stream.result.answer == whole.answer
