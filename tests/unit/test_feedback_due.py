"""A due date the model left inside an action's text moves out whole: the local model wrote
"send prompt cheat sheet (...) by Fri 14 Mar" and the summary showed the action ending in
"Mar" with the due "Fri 14" (eval run #4)."""

from __future__ import annotations

import pytest

from assistant.feedback import _split_due


@pytest.mark.parametrize(
    ("text", "action", "due"),
    [
        (
            "send prompt cheat sheet (3 examples) by Fri 14 Mar",
            "send prompt cheat sheet (3 examples)",
            "Fri 14 Mar",
        ),
        ("send the checklist by Monday", "send the checklist", "Monday"),
        ("share the deck by Weds", "share the deck", "Weds"),
        ("write three prompts (by 28 Nov)", "write three prompts", "28 Nov"),
        ("call the client by March 3rd", "call the client", "March 3rd"),
        ("send it by Tues 3 June 2026, then rest", "send it, then rest", "Tues 3 June 2026"),
        ("draft the note by end of month", "draft the note", "end of month"),
        ("book the room before session 4", "book the room", "session 4"),
        ("send the form by 2026-03-14", "send the form", "2026-03-14"),
        ("post the summary by Thu.", "post the summary", "Thu"),
    ],
)
def test_the_whole_due_date_leaves_the_action(text: str, action: str, due: str) -> None:
    assert _split_due(text) == (action, due)


@pytest.mark.parametrize(
    "text", ["review it by fridays demo", "send it by mail", "stand by Monique"]
)
def test_words_that_only_look_like_dates_stay(text: str) -> None:
    assert _split_due(text) == (text, None)
