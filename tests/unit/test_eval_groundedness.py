"""Groundedness with the real MiniLM embedder, and the pairs its threshold was calibrated on.

The threshold (evals.metrics.GROUNDED_SIMILARITY = 0.55) was chosen on these 20 pairs: each
claim is compared with the sentences of one real knowledge document. Supported claims are
paraphrases of something the document says; unsupported ones are plausible mentoring (or
off-topic) claims it never makes.
"""

from __future__ import annotations

import pytest

from assistant.config import PROJECT_ROOT
from assistant.embeddings import get_embedder
from evals.metrics import GROUNDED_SIMILARITY, LEARNED_SIMILARITY, groundedness, ledger_scores

CANCEL = "challenges/cancelled-and-rescheduled-sessions.md"
FIRST = "sessions/first-session-and-expectations.md"

SUPPORTED = [
    (
        CANCEL,
        "Book every session for the next three months into both calendars at the first meeting.",
    ),
    (CANCEL, "Agree that whoever cancels gives at least two days' notice and suggests a new time."),
    (
        CANCEL,
        "If your mentee keeps moving sessions, raise the pattern calmly using situation, "
        "behaviour and impact.",
    ),
    (CANCEL, "A single cancellation is usually about the diary, so do not take it personally."),
    (CANCEL, "Ask the mentee to tell their assistant to treat the sessions like a client meeting."),
    (FIRST, "In the first session, turn vague wishes into two to four specific learning goals."),
    (
        FIRST,
        "Agree cadence, format, confidentiality and how cancellations are handled, and "
        "write it down.",
    ),
    (FIRST, "The mentor should run the agenda from the very first meeting."),
    (FIRST, "Start with introductions that go beyond job titles."),
    (FIRST, "The mentor can name business skills they want to grow, like reading a P&L."),
]
UNSUPPORTED = [
    (CANCEL, "Reverse mentoring programs should always pair people from the same department."),
    (
        CANCEL,
        "Send your mentee a detailed written report on their performance after every session.",
    ),
    (CANCEL, "Executive sponsors should sign off every agenda before a session takes place."),
    (CANCEL, "The best way to learn short-form video is to post daily for a month."),
    (FIRST, "Mentors should be paid a bonus for each session they run."),
    (FIRST, "Use a chatbot to summarise long email threads before answering them."),
    (FIRST, "Always record the sessions so HR can review them later."),
    (FIRST, "Sourdough bread needs a long cold fermentation for the best flavour."),
    (CANCEL, "Pairings should last at least three years to be effective."),
    (FIRST, "Psychological safety comes from leaders admitting mistakes in public town halls."),
]


def _document(source: str) -> str:
    return (PROJECT_ROOT / "knowledge" / source).read_text(encoding="utf-8").split("---", 2)[2]


@pytest.fixture(scope="module")
def embed():  # noqa: ANN201
    return get_embedder().embed


def test_the_documented_threshold_separates_the_calibration_pairs(embed) -> None:  # noqa: ANN001
    supported = [groundedness(claim, [_document(src)], embed).value for src, claim in SUPPORTED]
    unsupported = [groundedness(claim, [_document(src)], embed).value for src, claim in UNSUPPORTED]
    # 19 of 20 at calibration time: one on-topic unsupported claim scores above the line.
    assert sum(supported) >= 9, supported
    assert sum(unsupported) <= 1, unsupported
    assert GROUNDED_SIMILARITY == 0.55


def test_an_answer_is_scored_by_its_share_of_supported_sentences(embed) -> None:  # noqa: ANN001
    passage = _document(CANCEL)
    answer = (
        "Book the whole series of sessions into both calendars during the first meeting [1]. "
        "Agree that whoever cancels proposes a new time in the same message [1]. "
        "Sourdough bread needs a long cold fermentation for the best flavour."
    )
    score = groundedness(answer, [passage], embed)
    assert score.value == pytest.approx(2 / 3)
    assert "Sourdough" in score.reason


def test_claims_without_any_cited_passage_are_ungrounded(embed) -> None:  # noqa: ANN001
    score = groundedness("Always book the whole series in advance of the first meeting.", [], embed)
    assert score.value == 0.0
    assert groundedness("Thanks!", [], embed).value == 1.0  # nothing to support


# What one side learned (gold, from evals/datasets/feedback.jsonl) next to what the local 1.5B
# model wrote in its "learned" lists (eval runs #3 and #4), labelled by hand.
LEARNED_PAIRS = [
    ("combining context, role and format in a single prompt", "context and role in a prompt", True),
    (
        "shop refits are chosen on footfall, lease length and high-street instinct",
        "The senior learned how to pick which shops get a refit based on footfall, lease length, "
        "and gut feel about the high street.",
        True,
    ),
    (
        "boards read only the first page and recommendation; the rest is backup",
        "The senior learned about the board's reading process and how to prioritize information "
        "in reports.",
        True,
    ),
    (
        "always checking AI-produced figures against the source document",
        "how to decide what goes into board papers vs the appendix",
        False,
    ),
    (
        "test competing urgent requests by asking what happens if delayed a month",
        "COO prioritised tasks better",
        False,
    ),
    (
        "captions matter because most people watch videos with the sound off",
        "The senior learned that texting instead of email for urgent matters was a good practice.",
        False,
    ),
    (
        "confidential forecasts must not go into the public chatbot",
        "The mentee successfully used the internal chatbot to generate a Q2 forecast without "
        "access to client names.",
        False,
    ),
    (
        "capping work in progress so tasks finish before new ones start",
        "COO prioritised tasks better",
        False,
    ),
    (
        "hook viewers in the first two seconds, without an opening logo",
        "The senior learned about simple rules for filming in stores.",
        False,
    ),
]


def test_the_learned_threshold_separates_the_calibration_pairs(embed) -> None:  # noqa: ANN001
    correct = 0
    for gold, shown, same in LEARNED_PAIRS:
        scores = ledger_scores([shown], [], [gold], [], embed)
        correct += (scores["learned_recall"].value == 1.0) == same
    # 8 of 9 at calibration time: the loose paraphrase of the forecast episode counts as found.
    assert correct >= 8
    assert LEARNED_SIMILARITY == 0.50
