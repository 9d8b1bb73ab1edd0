"""An answer starts with the advice: a reply that opens with its citation marker gets the marker
at the end of its first sentence, in the whole reply and while it streams (the local model
opened 13 of 17 answers with "[1]" in eval run #7); a first sentence that only frames the
question ("X can be challenging.") is dropped when advice follows."""

from __future__ import annotations

import json
import re

import pytest

from assistant.citations import drop_framing_opening, lead_with_advice, marks_after_first_sentence
from assistant.coach import Coach
from assistant.config import PROJECT_ROOT
from assistant.llm.scripted import ScriptedModel
from assistant.schemas import AnswerRequest

DATA = PROJECT_ROOT / "tests" / "data"

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


# ---------------------------------------------------------------- a first sentence that frames

QUESTION = "How do I handle my team rolling their eyes at my being mentored by a graduate?"
FRAMED = (
    "Handling your team's reaction to being mentored by a graduate can be challenging. [1] "
    "Start by naming it lightly: say why you asked for a mentor [2]."
)


def test_a_first_sentence_that_only_frames_the_question_is_dropped() -> None:
    assert drop_framing_opening(FRAMED, QUESTION) == (
        "Start by naming it lightly: say why you asked for a mentor [2]."
    )
    advice = "Handle it by sharing one thing you learned each week [1]. Then invite questions."
    assert drop_framing_opening(advice, QUESTION) == advice  # advice in it: kept
    alone = "It's natural to feel awkward about this."
    assert drop_framing_opening(alone, QUESTION) == alone  # nothing follows: kept


@pytest.mark.parametrize("size", [1, 3, 7, 50, 0])
def test_streaming_drops_the_same_framing_sentence(size: int) -> None:
    # size 0: word by word, each chunk ending in its space, as the scripted model streams (in
    # Chromium the reply read "Name it lightly and early:tell the team": the held text's
    # trailing space was stripped)
    chunks = (
        [FRAMED[i : i + size] for i in range(0, len(FRAMED), size)]
        if size
        else re.findall(r"\S+\s*", FRAMED)
    )
    assert "".join(lead_with_advice(iter(chunks), QUESTION)) == drop_framing_opening(
        FRAMED, QUESTION
    )


def _rates(name: str) -> tuple[int, int, int, int]:
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    framed = [r for r in rows if r["label"] == "restates"]
    advice = [r for r in rows if r["label"] == "advice_first"]

    def dropped(r: dict) -> bool:
        return drop_framing_opening(r["answer"], r["question"]) != r["answer"]

    return sum(map(dropped, framed)), len(framed), sum(map(dropped, advice)), len(advice)


def test_framing_openings_on_the_blind_sets() -> None:
    """Both sets were written by helpers who saw no code. openings_blind.jsonl: 15 of 40
    framing openings dropped by the rule as first written, 33 after its misses were read (so
    it is a tuning set now), 31 once a next sentence that leans on the first ("It does not
    mean...") keeps it. openings_blind2.jsonl, written after that, is held out: 9 of 50.
    The rule is narrow on purpose: no advice-first opening of either set is ever dropped."""
    hit, framed, wrong, advice = _rates("openings_blind.jsonl")
    assert (framed, advice) == (40, 40) and hit >= 31 and wrong == 0
    hit, framed, wrong, advice = _rates("openings_blind2.jsonl")
    assert (framed, advice) == (50, 50) and hit >= 9 and wrong == 0
