"""An action item's owner as the pair's role: the local model copies what the notes say ("Me",
an initial, a pair of initials), which the summary showed as an owner nobody could place."""

from __future__ import annotations

import pytest

from assistant.feedback import _owner

NAMES = ["Sam Lee", "Anna Ortiz"]  # the mentor, then the mentee


@pytest.mark.parametrize(
    ("raw", "writer", "owner"),
    [
        ("Me", "junior", "Mentor"),
        ("I", "senior", "Mentee"),
        ("S", "junior", "Mentor"),
        ("A.", "junior", "Mentee"),
        ("SL", "senior", "Mentor"),
        ("AO", "junior", "Mentee"),
        ("[MENTEE]", "junior", "Mentee"),
        ("junior mentor", "senior", "Mentor"),
        ("both of us", "junior", "Both"),
        ("Comms lead", "junior", "Comms lead"),
        ("CEO", "junior", "CEO"),
        ("", "junior", "Unassigned"),
    ],
)
def test_the_owner_becomes_the_pairs_role(raw: str, writer: str, owner: str) -> None:
    assert _owner(raw, writer, NAMES) == owner  # type: ignore[arg-type]


def test_initials_shared_by_both_people_decide_nothing() -> None:
    assert _owner("S", "junior", ["Sam Lee", "Sara Low"]) == "S"
    assert _owner("SL", "junior", ["Sam Lee", "Sara Low"]) == "SL"
