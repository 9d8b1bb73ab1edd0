"""Markdown and .ics exports, read back the way a user's tools would read them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from assistant.errors import InputError
from assistant.export import agenda_as_text, agenda_to_ics, conversation_to_markdown, to_markdown
from assistant.schemas import (
    ActionItem,
    Agenda,
    AgendaItem,
    Answer,
    Citation,
    FeedbackSummary,
    Starter,
    StarterSet,
)
from assistant.store import MessageRow

LISTEN = Citation(n=1, id="guides/listen.md#0", source="guides/listen.md", title="Listening well")
GOALS = Citation(n=2, id="guides/goals.md#1", source="guides/goals.md", title="Setting goals")


def make_agenda(
    minutes: tuple[int, ...] = (10, 15, 20), details: str = "Talk it through"
) -> Agenda:
    items = [
        AgendaItem(
            minutes=m,
            activity=f"Activity {i}",
            details=details,
            sources=["guides/listen.md"] if i == 1 else [],
        )
        for i, m in enumerate(minutes, start=1)
    ]
    return Agenda(
        title="Session 2: Gen Z at work",
        topic="Gen Z at work",
        minutes=sum(minutes),
        stage="middle",
        session_number=2,
        mentor_role="analyst",
        mentee_role="CFO",
        objectives=["Name two habits to try"],
        items=items,
        prepare=["Bring one real message thread"],
        follow_up=["Share notes"],
        citations=[LISTEN, GOALS],
        backend="scripted",
        model="scripted-1",
        prompt_version="agenda@1",
    )


def table_rows(markdown: str) -> list[list[str]]:
    """Cells of every table row, split the way a Markdown renderer splits them."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([cell.strip() for cell in cells])
    return rows


def test_agenda_markdown_has_a_running_clock_sources_and_citations() -> None:
    markdown = to_markdown(make_agenda())
    assert markdown.startswith("# Session 2: Gen Z at work\n")
    assert "## Objectives" in markdown and "- Name two habits to try" in markdown
    rows = table_rows(markdown)
    assert rows[0] == ["Time", "Min", "Activity", "Details", "Sources"]
    assert [row[0] for row in rows[1:]] == ["0:00–0:10", "0:10–0:25", "0:25–0:45"]
    assert rows[1][2] == "Activity 1" and rows[1][4] == "guides/listen.md [1]"
    assert "- [1] Listening well — guides/listen.md" in markdown
    assert "- [2] Setting goals — guides/goals.md" in markdown
    assert "## To prepare" in markdown and "Bring one real message thread" in markdown
    assert "scripted-1" in markdown  # provenance footer


def test_clock_rolls_over_the_hour() -> None:
    rows = table_rows(to_markdown(make_agenda(minutes=(50, 30, 10))))
    assert [row[0] for row in rows[1:]] == ["0:00–0:50", "0:50–1:20", "1:20–1:30"]


def test_pipes_and_newlines_in_user_text_do_not_break_tables() -> None:
    markdown = to_markdown(make_agenda(details="Compare | contrast\nthen decide"))
    rows = table_rows(markdown)
    assert all(len(row) == 5 for row in rows)
    assert rows[1][3] == "Compare \\| contrast then decide"

    feedback = FeedbackSummary(
        summary="ok",
        action_items=[ActionItem(owner="junior | senior", action="Pair on\nthe report", due=None)],
    )
    rows = table_rows(to_markdown(feedback))
    assert rows == [["Owner", "Action", "Due"], ["junior \\| senior", "Pair on the report", "—"]]


def test_answer_markdown_keeps_its_citations() -> None:
    answer = Answer(
        question="How do I open the first session?",
        answer="Agree on goals first [2], then listen [1].",
        citations=[LISTEN, GOALS],
        relevance="weak",
    )
    markdown = to_markdown(answer)
    assert markdown.startswith("# How do I open the first session?\n")
    assert "Agree on goals first [2], then listen [1]." in markdown
    assert "- [1] Listening well — guides/listen.md" in markdown
    assert "only partly covers" in markdown  # weak relevance is said out loud


def test_starters_are_grouped_by_category_with_their_reasons() -> None:
    starters = StarterSet(
        topic="remote work",
        citations=[LISTEN],
        starters=[
            Starter(text="Which tool saves you most time?", category="skill", why="Concrete"),
            Starter(
                text="What surprised you this week?",
                category="icebreaker",
                why="Warms up",
                sources=["guides/listen.md"],
            ),
            Starter(text="What would you teach me?", category="skill", why="Flips the roles"),
        ],
    )
    markdown = to_markdown(starters)
    icebreakers, skills = markdown.index("## Icebreakers"), markdown.index("## Skills")
    assert icebreakers < markdown.index("What surprised you") < skills
    assert skills < markdown.index("Which tool saves") < markdown.index("What would you teach")
    assert "_Why:_ Warms up (guides/listen.md [1])" in markdown
    assert "_Why:_ Flips the roles" in markdown
    assert "## Perspectives" not in markdown  # empty categories are left out


def test_feedback_shows_the_two_way_ledger_and_action_items() -> None:
    feedback = FeedbackSummary(
        summary="A frank session.",
        senior_learned=["Threads beat email"],
        junior_learned=[],
        action_items=[ActionItem(owner="senior", action="Try a team channel", due="Friday")],
        next_focus="Meeting hygiene",
        redactions=2,
    )
    markdown = to_markdown(feedback)
    senior = markdown.index("## What the senior learned")
    junior = markdown.index("## What the junior learned")
    assert senior < markdown.index("- Threads beat email") < junior
    assert "_Nothing recorded._" in markdown[junior:]  # the empty side still shows
    assert ["senior", "Try a team channel", "Friday"] in table_rows(markdown)
    assert "## Next focus" in markdown and "2 personal detail(s) were redacted" in markdown


def test_conversation_markdown_labels_speakers_in_order() -> None:
    messages = [
        MessageRow(
            id=1,
            conversation_id=3,
            role="user",
            content="How do I start?",
            artifact_id=None,
            created_at="2025-01-01T10:00:00+00:00",
        ),
        MessageRow(
            id=2,
            conversation_id=3,
            role="assistant",
            content="Agree on goals [1].",
            artifact_id=9,
            created_at="2025-01-01T10:00:05+00:00",
        ),
    ]
    markdown = conversation_to_markdown("First steps", messages)
    assert markdown.startswith("# First steps\n")
    assert (
        markdown.index("### You")
        < markdown.index("How do I start?")
        < markdown.index("### Coach")
        < markdown.index("Agree on goals [1].")
    )
    assert "#9" in markdown
    assert "No messages yet" in conversation_to_markdown("Empty", [])


def read_event(ics: bytes):
    calendar = Calendar.from_ical(ics)
    assert str(calendar["VERSION"]) == "2.0" and "Reverse Mentoring Coach" in calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_ics_round_trips_with_summary_time_duration_and_plan() -> None:
    agenda = make_agenda()
    start = datetime(2025, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    ics = agenda_to_ics(agenda, start, location="Room 4.2", organizer_email="lead@example.org")
    event = read_event(ics)
    assert str(event["SUMMARY"]) == agenda.title
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=1)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    description = str(event["DESCRIPTION"])
    assert description == agenda_as_text(agenda)
    for item in agenda.items:
        assert item.activity in description
    assert "0:10–0:25 (15 min) Activity 2" in description
    assert "Name two habits to try" in description
    assert "Bring one real message thread" in description
    assert str(event["LOCATION"]) == "Room 4.2"
    assert str(event["ORGANIZER"]) == "mailto:lead@example.org"
    assert str(event["UID"]).endswith("@reverse-mentoring-coach")
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert b"BEGIN:VTIMEZONE" in ics  # so clients agree on what 10:00 Berlin means


def test_each_export_gets_its_own_uid_and_utc_stays_utc() -> None:
    start = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    first = read_event(agenda_to_ics(make_agenda(), start))
    second = read_event(agenda_to_ics(make_agenda(), start))
    assert first["UID"] != second["UID"]
    assert first.decoded("DTSTART") == start
    assert "LOCATION" not in first and "ORGANIZER" not in first


def test_long_lines_are_folded_per_rfc_5545() -> None:
    agenda = make_agenda(details="Walk through the week’s messages – one by one, " * 8)
    ics = agenda_to_ics(agenda, datetime(2025, 3, 4, 10, 0, tzinfo=UTC))
    lines = ics.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)  # octets, not characters
    assert any(line.startswith(b" ") for line in lines)  # continuation lines exist
    for line in lines:
        line.decode("utf-8")  # a fold never splits a multi-byte character
    assert str(read_event(ics)["DESCRIPTION"]) == agenda_as_text(agenda)


def test_a_start_time_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InputError, match="time zone"):
        agenda_to_ics(make_agenda(), datetime(2025, 3, 4, 10, 0))
    with pytest.raises(InputError, match="email"):
        agenda_to_ics(
            make_agenda(), datetime(2025, 3, 4, 10, 0, tzinfo=UTC), organizer_email="not an address"
        )


@pytest.mark.parametrize(
    "artifact",
    [
        make_agenda(),
        Answer(question="Q?", answer="A."),
        StarterSet(topic="t", starters=[Starter(text="s", category="goal", why="w")]),
        FeedbackSummary(summary="s"),
    ],
    ids=["agenda", "answer", "starters", "feedback"],
)
def test_every_kind_exports_to_markdown_with_a_heading(artifact) -> None:
    markdown = to_markdown(artifact)
    assert markdown.startswith("# ") and markdown.endswith("\n")
    assert "Generated" in markdown


def test_conversation_markdown_ends_with_each_replys_numbered_sources() -> None:
    from assistant.schemas import Citation

    messages = [
        MessageRow(1, 3, "user", "How do I start?", None, "2025-01-01T10:00:00+00:00"),
        MessageRow(2, 3, "assistant", "Agree on goals [1].", 9, "2025-01-01T10:00:05+00:00"),
    ]
    citation = Citation(
        n=1, id="c1", source="guides/first-session.md", title="First session", text="Agree goals."
    )
    markdown = conversation_to_markdown("First steps", messages, {9: [citation]})
    sources = markdown[markdown.index("## Sources") :]
    assert markdown.index("Agree on goals [1].") < markdown.index("## Sources")
    assert "Reply 1:" in sources
    assert "[1] First session — guides/first-session.md" in sources
    assert "## Sources" not in conversation_to_markdown("First steps", messages)


def test_long_titles_are_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    from assistant.store import default_title
    from assistant.text import shorten_title, slug

    question = "My team rolls their eyes when I say I'm being mentored by a graduate. How?"
    short = shorten_title(question, 40)
    assert short.endswith("…") and len(short) <= 40
    assert question.startswith(short[:-1]) and question[len(short) - 1] == " "
    assert shorten_title("Short title", 40) == "Short title"
    answer = Answer(question=question * 2, persona="mentee", answer="Laugh it off.")
    title = default_title(answer)
    assert title.endswith("…") and (question * 2).startswith(title[:-1].rstrip())
    name = slug(
        "Using AI chatbots to prepare board papers for the audit committee meeting", limit=30
    )
    assert name == "using-ai-chatbots-to-prepare"
