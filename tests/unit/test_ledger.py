"""The two-way ledger's rules: who learned a learning, from the note line that backs it, and
learnings no line backs are left out."""

from __future__ import annotations

import pytest

from assistant.embeddings import MiniLMEmbedder
from assistant.ledger import SideClassifier, cue_side, initials_of, place_learnings, writer_side


@pytest.fixture(scope="module")
def embed():  # noqa: ANN201
    return MiniLMEmbedder().embed


@pytest.mark.parametrize(
    ("line", "writer", "side"),
    [
        ("[MENTOR] showed him how to build a checking prompt.", "junior", "senior"),
        ("my turn: G explained how the audit committee works.", "junior", "junior"),
        ("B walked me thru how he picks which shops get a refit.", "junior", "junior"),
        ("I walked her through scheduled send.", "junior", "senior"),
        ("I walked her through scheduled send.", "senior", "junior"),
        ("M's learning: how F reads a contract for risk.", "junior", "junior"),
        ("the hashtag bit was an eye opener for me", "senior", "senior"),
        ("talked about captions and hooks", "junior", None),
    ],
)
def test_the_line_says_who_learned_it(line: str, writer: str, side: str | None) -> None:
    assert cue_side(line, writer, {"G": "senior", "B": "senior", "M": "junior"}) == side


def test_the_writer_is_the_junior_unless_the_notes_say_otherwise() -> None:
    assert writer_side("Session 3. I showed him pivot tables.") == "junior"
    assert writer_side("Aisling is mentoring me on AI tools. I learned a lot.") == "senior"
    assert writer_side("My mentee asked about budgets.") == "junior"
    assert initials_of(["Priya Raman", "Gordon Hale"]) == {"P": "junior", "G": "senior"}
    assert initials_of(["Gail Raman", "Gordon Hale"]) == {}


def test_the_classifier_tells_tools_from_business_judgement(embed) -> None:  # noqa: ANN001
    probability = SideClassifier(embed).senior_probability(
        [
            "setting up a shared channel in Teams instead of long email chains",
            "how the finance committee decides which capital projects to fund",
        ]
    )
    assert probability[0] > 0.5 > probability[1]


def test_learnings_the_notes_do_not_back_are_left_out(embed) -> None:  # noqa: ANN001
    notes = (
        "Session 4\n- I showed him how to use scheduled send for late emails.\n"
        "- He explained how the board approves the capital budget.\n"
    )
    kept, dropped = place_learnings(
        [
            ("using scheduled send for emails written late", "junior"),
            ("how the board approves the capital budget", "senior"),
            ("a new payment method", "junior"),
            ("business judgement", "senior"),
        ],
        notes,
        embed,
    )
    assert [(k.text, k.side) for k in kept] == [
        ("using scheduled send for emails written late", "senior"),
        ("how the board approves the capital budget", "junior"),
    ]
    assert dropped == ["a new payment method", "business judgement"]
