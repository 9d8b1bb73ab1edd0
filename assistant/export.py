"""Markdown and iCalendar (.ics) renderings of the coach's artifacts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress

from assistant.errors import CoachError, InputError
from assistant.schemas import (
    PERSONA_LABELS,
    STAGE_LABELS,
    Agenda,
    Answer,
    Citation,
    FeedbackSummary,
    Provenance,
    StarterSet,
)
from assistant.store import MessageRow, load_artifact

Artifact = Answer | Agenda | StarterSet | FeedbackSummary
PRODID = "-//Reverse Mentoring Coach//Session agenda//EN"
UID_DOMAIN = "reverse-mentoring-coach"
CATEGORY_LABELS = {
    "icebreaker": "Icebreakers",
    "skill": "Skills",
    "perspective": "Perspectives",
    "reflection": "Reflection",
    "business": "Business",
    "goal": "Goals",
}
ROLE_LABELS = {"user": "You", "assistant": "Coach"}
NOTHING = "_Nothing recorded._"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, and a '|' cannot end the cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _bullets(title: str, items: Sequence[str], empty: str | None = None) -> list[str]:
    if not items and empty is None:
        return []
    body = [f"- {item}" for item in items] if items else [empty or ""]
    return [f"## {title}", "", *body, ""]


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _time_slots(agenda: Agenda) -> list[str]:
    """The running clock of each item, e.g. '0:00–0:10', '0:10–0:25'."""
    slots, elapsed = [], 0
    for item in agenda.items:
        slots.append(f"{_clock(elapsed)}–{_clock(elapsed + item.minutes)}")
        elapsed += item.minutes
    return slots


def _citation_line(citation: Citation) -> str:
    return f"[{citation.n}] {citation.title} — {citation.source}"


def _citations(citations: Sequence[Citation]) -> list[str]:
    if not citations:
        return []
    return ["## Sources", "", *(f"- {_citation_line(c)}" for c in citations), ""]


def _source_refs(sources: Sequence[str], citations: Sequence[Citation]) -> str:
    numbers = {c.source: c.n for c in citations}
    return ", ".join(f"{s} [{numbers[s]}]" if s in numbers else s for s in sources)


def _provenance(artifact: Provenance) -> list[str]:
    made_by = " / ".join(part for part in (artifact.backend, artifact.model) if part)
    parts = [f"Generated {artifact.created_at}"]
    if made_by:
        parts.append(f"by {made_by}")
    if artifact.prompt_version:
        parts.append(f"prompt {artifact.prompt_version}")
    lines = ["---", "", f"_{' · '.join(parts)}_"]
    lines += [f"_Note: {note}_" for note in artifact.notes]
    return lines


def _answer(answer: Answer) -> list[str]:
    lines = [
        f"# {answer.question}",
        "",
        f"_For: {PERSONA_LABELS.get(answer.persona, answer.persona)}_",
        "",
        answer.answer,
        "",
    ]
    if answer.relevance != "strong":
        lines += ["> The knowledge base only partly covers this question; check the sources.", ""]
    return lines + _citations(answer.citations)


def _agenda(agenda: Agenda) -> list[str]:
    facts = [
        f"**Topic:** {agenda.topic}",
        f"**Length:** {agenda.minutes} minutes",
        f"**Stage:** {STAGE_LABELS.get(agenda.stage, agenda.stage)}",
    ]
    if agenda.session_number:
        facts.append(f"**Session:** {agenda.session_number}")
    roles = [
        f"**{label}:** {role}"
        for label, role in (("Mentor", agenda.mentor_role), ("Mentee", agenda.mentee_role))
        if role
    ]
    lines = [f"# {agenda.title}", "", " · ".join(facts), ""]
    if roles:
        lines += [" · ".join(roles), ""]
    lines += _bullets("Objectives", agenda.objectives)
    rows = [
        (
            slot,
            str(item.minutes),
            item.activity,
            item.details,
            _source_refs(item.sources, agenda.citations),
        )
        for slot, item in zip(_time_slots(agenda), agenda.items, strict=True)
    ]
    lines += ["## Plan", "", *_table(("Time", "Min", "Activity", "Details", "Sources"), rows), ""]
    lines += _bullets("Conversation starters", agenda.starters)
    lines += _bullets("To prepare", agenda.prepare)
    lines += _bullets("Follow-up", agenda.follow_up)
    return lines + _citations(agenda.citations)


def _starters(starter_set: StarterSet) -> list[str]:
    lines = [
        f"# Conversation starters: {starter_set.topic}",
        "",
        f"_{STAGE_LABELS.get(starter_set.stage, starter_set.stage)}_",
        "",
    ]
    for category, label in CATEGORY_LABELS.items():
        group = [s for s in starter_set.starters if s.category == category]
        if not group:
            continue
        lines += [f"## {label}", ""]
        for number, starter in enumerate(group, start=1):
            lines.append(f"{number}. **{starter.text}**")
            why = f"   _Why:_ {starter.why}"
            if starter.sources:
                why += f" ({_source_refs(starter.sources, starter_set.citations)})"
            lines.append(why)
        lines.append("")
    return lines + _citations(starter_set.citations)


def _feedback(feedback: FeedbackSummary) -> list[str]:
    lines = ["# Session feedback", "", feedback.summary, ""]
    lines += _bullets("What went well", feedback.went_well)
    # The two-way ledger is the point of reverse mentoring: both sides always show.
    lines += _bullets("What the senior learned", feedback.senior_learned, NOTHING)
    lines += _bullets("What the junior learned", feedback.junior_learned, NOTHING)
    lines += _bullets("Challenges", feedback.challenges)
    if feedback.action_items:
        rows = [(a.owner, a.action, a.due or "—") for a in feedback.action_items]
        lines += ["## Action items", "", *_table(("Owner", "Action", "Due"), rows), ""]
    if feedback.next_focus:
        lines += ["## Next focus", "", feedback.next_focus, ""]
    if feedback.redactions:
        lines += [
            f"_{feedback.redactions} personal detail(s) were redacted from the notes "
            "before the model saw them._",
            "",
        ]
    return lines


def to_markdown(artifact: Artifact) -> str:
    if isinstance(artifact, Answer):
        lines = _answer(artifact)
    elif isinstance(artifact, Agenda):
        lines = _agenda(artifact)
    elif isinstance(artifact, StarterSet):
        lines = _starters(artifact)
    elif isinstance(artifact, FeedbackSummary):
        lines = _feedback(artifact)
    else:
        raise TypeError(f"cannot export {type(artifact).__name__}")
    return "\n".join(lines + _provenance(artifact)).rstrip() + "\n"


def conversation_sources(store: Any, messages: Sequence[MessageRow]) -> dict[int, list[Citation]]:
    """The citations of each saved answer in a conversation, by its history item id (items
    the reader may no longer open, or that are not answers, are left out)."""
    sources: dict[int, list[Citation]] = {}
    for message in messages:
        if message.artifact_id is None or message.artifact_id in sources:
            continue
        try:
            stored = store.get_artifact(message.artifact_id)
            artifact = load_artifact(stored) if stored is not None else None
        except CoachError:
            continue
        if isinstance(artifact, Answer) and artifact.citations:
            sources[message.artifact_id] = list(artifact.citations)
    return sources


def conversation_to_markdown(
    title: str,
    messages: Sequence[MessageRow],
    sources: Mapping[int, Sequence[Citation]] | None = None,
) -> str:
    """The conversation as Markdown that stands alone: each reply's [n] markers are listed
    at the end under that reply's number, with the source they point to."""
    lines = [f"# {title}", ""]
    cited: list[tuple[int, Sequence[Citation]]] = []
    replies = 0
    for message in messages:
        speaker = ROLE_LABELS.get(message.role, message.role.capitalize())
        if message.role == "assistant":
            replies += 1
            speaker = f"{speaker} (reply {replies})"
        lines += [f"### {speaker}", "", message.content.strip(), ""]
        if message.artifact_id is not None:
            lines += [f"_Saved to history as item #{message.artifact_id}._", ""]
            citations = (sources or {}).get(message.artifact_id)
            if citations and message.role == "assistant":
                cited.append((replies, citations))
    if not messages:
        lines += ["_No messages yet._", ""]
    if cited:
        lines += ["## Sources", ""]
        for reply, citations in cited:
            lines += [f"Reply {reply}:", ""]
            lines += [f"- {_citation_line(c)}" for c in sorted(citations, key=lambda c: c.n)]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def agenda_as_text(agenda: Agenda) -> str:
    """The agenda as plain text, for calendar descriptions and other non-Markdown places."""
    lines = [agenda.title, f"Topic: {agenda.topic} ({agenda.minutes} minutes)"]
    if agenda.objectives:
        lines += ["", "Objectives:", *(f"- {o}" for o in agenda.objectives)]
    lines += ["", "Plan:"]
    for slot, item in zip(_time_slots(agenda), agenda.items, strict=True):
        lines.append(f"{slot} ({item.minutes} min) {item.activity}: {item.details}")
    if agenda.starters:
        lines += ["", "Conversation starters:", *(f"- {s}" for s in agenda.starters)]
    if agenda.prepare:
        lines += ["", "To prepare:", *(f"- {p}" for p in agenda.prepare)]
    if agenda.follow_up:
        lines += ["", "Follow-up:", *(f"- {f}" for f in agenda.follow_up)]
    if agenda.citations:
        lines += ["", "Sources:", *(_citation_line(c) for c in agenda.citations)]
    return "\n".join(lines)


def agenda_to_ics(
    agenda: Agenda, start: datetime, *, location: str = "", organizer_email: str | None = None
) -> bytes:
    if start.tzinfo is None or start.utcoffset() is None:
        raise InputError(
            "The session start time has no time zone.",
            "Give a start time with a time zone, e.g. 2025-03-04 10:00 Europe/Berlin.",
        )
    event = Event()
    event.add("uid", f"{uuid.uuid4()}@{UID_DOMAIN}")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=agenda.minutes))
    event.add("summary", agenda.title)
    event.add("description", agenda_as_text(agenda))
    if location.strip():
        event.add("location", location.strip())
    if organizer_email:
        email = organizer_email.strip().removeprefix("mailto:")
        if "@" not in email or any(ch.isspace() for ch in email):
            raise InputError(
                f"{organizer_email!r} is not an email address.",
                "Give the organizer as name@example.org, or leave it empty.",
            )
        event.add("organizer", vCalAddress(f"mailto:{email}"))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    # Named zones (e.g. Europe/Berlin) need a VTIMEZONE so every client reads the same time.
    calendar.add_missing_timezones()
    return calendar.to_ical()
