"""A pair's timeline as Markdown and its next session as an iCalendar invite."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from assistant.errors import InputError
from assistant.export import PRODID, UID_DOMAIN, _cell, _table
from assistant.pairs import LedgerEntry, Pair, PairSession, TrackedAction, stage_for
from assistant.schemas import MAX_MINUTES, MIN_MINUTES, STAGE_LABELS

STATUS_MARK = {"open": "open", "done": "done", "dropped": "dropped"}


def pair_timeline_markdown(
    pair: Pair,
    sessions: Sequence[PairSession],
    actions: Sequence[TrackedAction],
    ledger: Sequence[LedgerEntry],
) -> str:
    lines = [
        f"# {_cell(pair.mentor)} (mentor) and {_cell(pair.mentee)} (mentee)",
        "",
        f"Started {pair.start_date.isoformat()} · a session every {pair.cadence_days} days · "
        f"{len(sessions)} of {pair.sessions_planned} sessions held · {pair.status}",
        "",
        "## Goals",
        "",
    ]
    goal_rows = [
        ("senior" if g.side == "senior" else "junior", g.text, f"{g.progress}/5")
        for g in pair.goals
    ]
    lines += _table(("who learns", "goal", "progress"), goal_rows) if goal_rows else ["_None set._"]
    lines += ["", "## Sessions", ""]
    session_rows = [
        (str(s.number), s.held_on.isoformat(), s.next_focus or "", str(s.rating or ""))
        for s in sessions
    ]
    lines += (
        _table(("#", "date", "next focus", "rating"), session_rows)
        if session_rows
        else ["_None held yet._"]
    )
    lines += ["", "## Action items", ""]
    action_rows = [
        (str(a.session), a.owner, a.action, a.due or "", STATUS_MARK[a.status]) for a in actions
    ]
    lines += (
        _table(("session", "owner", "action", "due", "status"), action_rows)
        if action_rows
        else ["_None recorded._"]
    )
    for side, title in (
        ("senior", "What the senior learned"),
        ("junior", "What the junior learned"),
    ):
        lines += ["", f"## {title}", ""]
        entries = [e for e in ledger if e.side == side]
        lines += [f"- {_cell(e.text)} (session {e.session})" for e in entries] or [
            "_Nothing recorded yet._"
        ]
    return "\n".join(lines).rstrip() + "\n"


def session_invite_ics(pair: Pair, number: int, start: datetime, minutes: int) -> bytes:
    """The invite for session `number` (from `assistant.pairs.next_session_date`)."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise InputError(
            "The session start time has no time zone.", "Give a start time with a time zone."
        )
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InputError(
            "The duration is out of range.",
            f"Choose between {MIN_MINUTES} and {MAX_MINUTES} minutes.",
        )
    stage = STAGE_LABELS[stage_for(number, pair.sessions_planned)]
    event = Event()
    event.add("uid", f"{uuid.uuid4()}@{UID_DOMAIN}")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", f"Reverse mentoring session {number}: {pair.mentor} and {pair.mentee}")
    event.add(
        "description",
        f"Session {number} of {pair.sessions_planned} ({stage}). "
        f"A session every {pair.cadence_days} days.",
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
