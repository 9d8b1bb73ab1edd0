"""`coach ask`, `coach agenda`, `coach starters`, `coach feedback`.

Inputs are validated before anything else happens (exit 2, one line, nothing stored). `--json`
prints the contract documented in the README; `--export md|ics PATH` writes a file.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.config import Settings
from assistant.errors import InputError
from assistant.schemas import (
    MAX_MINUTES,
    MIN_MINUTES,
    PERSONA_LABELS,
    STAGE_LABELS,
    Agenda,
    AgendaRequest,
    Answer,
    FeedbackSummary,
    StarterSet,
)
from assistant.services import Services, build_services

STAGE_BY_SESSION = {1: "first"}


def _citations(citations: list[Any]) -> list[dict[str, Any]]:
    return [{"n": c.n, "id": c.id, "source": c.source, "title": c.title} for c in citations]


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "answer": a.answer,
        "outcome": a.outcome,
        "citations": _citations(a.citations),
        "model": a.model,
        "backend": a.backend,
        "relevance": a.relevance,
        "prompt_version": a.prompt_version,
        "seconds": a.seconds,
        "notes": a.notes,
    }


def agenda_json(a: Agenda) -> dict[str, Any]:
    return {
        "title": a.title,
        "objectives": a.objectives,
        "items": [i.model_dump() for i in a.items],
        "starters": a.starters,
        "prepare": a.prepare,
        "follow_up": a.follow_up,
        "citations": _citations(a.citations),
        "minutes": a.minutes,
        "stage": a.stage,
        "model": a.model,
        "backend": a.backend,
        "prompt_version": a.prompt_version,
        "seconds": a.seconds,
        "notes": a.notes,
    }


def starters_json(s: StarterSet) -> dict[str, Any]:
    return {
        "starters": [x.model_dump() for x in s.starters],
        "citations": _citations(s.citations),
        "model": s.model,
        "backend": s.backend,
        "prompt_version": s.prompt_version,
        "seconds": s.seconds,
        "notes": s.notes,
    }


def feedback_json(f: FeedbackSummary) -> dict[str, Any]:
    return {
        "summary": f.summary,
        "went_well": f.went_well,
        "senior_learned": f.senior_learned,
        "junior_learned": f.junior_learned,
        "challenges": f.challenges,
        "action_items": [i.model_dump() for i in f.action_items],
        "next_focus": f.next_focus,
        "redactions": f.redactions,
        "model": f.model,
        "backend": f.backend,
        "prompt_version": f.prompt_version,
        "seconds": f.seconds,
        "notes": f.notes,
    }


def _export_target(args: argparse.Namespace, allowed: tuple[str, ...]) -> tuple[str, Path] | None:
    if not getattr(args, "export", None):
        return None
    fmt, path = args.export
    if fmt not in allowed:
        raise InputError(f"--export {fmt} is not available here.", f"Use: {', '.join(allowed)}.")
    target = Path(path)
    if target.is_dir() or not target.parent.exists():
        raise InputError(f"Cannot write {target}.", "Give a file path in an existing folder.")
    return fmt, target


def _services(settings: Settings) -> Services:
    services = build_services(settings)
    from assistant.commands.knowledge import ensure_index

    ensure_index(settings, services.index)
    return services


def _emit(args: argparse.Namespace, payload: dict[str, Any], readable: str) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=None) if args.json else readable)


def _save(services: Services, artifact: Any) -> int | None:
    try:
        return services.store.save_artifact(artifact)
    except Exception as exc:  # the result is still printed; saving is best effort
        print(f"coach: warning: could not save to history ({exc})", file=sys.stderr)
        return None


def _write(fmt: str, path: Path, artifact: Any, start: datetime | None = None) -> None:
    from assistant.export import agenda_to_ics, to_markdown

    if fmt == "md":
        path.write_text(to_markdown(artifact), encoding="utf-8")
    else:
        path.write_bytes(agenda_to_ics(artifact, start or _next_hour()))
    print(f"coach: wrote {path}", file=sys.stderr)


def _next_hour() -> datetime:
    now = datetime.now().astimezone()
    return (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    if not args.question.strip():
        raise InputError("The question is empty.", "Type a question for the coach.")
    target = _export_target(args, ("md",))
    services = _services(settings)
    answer = services.coach.answer(args.question, persona=args.persona)
    _save(services, answer)
    sources = "\n".join(f"[{c.n}] {c.title} — {c.source}" for c in answer.citations)
    _emit(args, answer_json(answer), f"{answer.answer}\n\n{sources}".strip())
    if target:
        _write(*target, answer)
    return 0


def _read_goals(values: list[str] | None) -> list[str]:
    return [g.strip() for g in values or [] if g.strip()]


def agenda_input_error(exc: ValidationError) -> InputError:
    """One clear line for the first problem in an agenda request."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field == "minutes":
        return InputError(
            "The duration is out of range.",
            f"Choose between {MIN_MINUTES} and {MAX_MINUTES} minutes.",
        )
    if field == "topic":
        return InputError(
            "The topic is empty or too long.",
            "Say what the session is about in a short phrase (max 200 characters).",
        )
    return InputError(
        f"Invalid {field.replace('_', ' ')}: {first['msg']}.", "Correct it and try again."
    )


def run_agenda(args: argparse.Namespace, settings: Settings) -> int:
    stage = args.stage or ("first" if args.session == 1 else "middle")
    try:
        request = AgendaRequest(
            topic=args.topic,
            minutes=args.minutes,
            stage=stage,
            session_number=args.session,
            mentor_role=args.mentor_role,
            mentee_role=args.mentee_role,
            goals=_read_goals(args.goal),
            notes_from_last_time=args.notes or "",
        )
    except ValidationError as exc:
        raise agenda_input_error(exc) from exc
    target = _export_target(args, ("md", "ics"))
    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError as exc:
            raise InputError(
                f"--start {args.start!r} is not a date and time.",
                "Use ISO format, e.g. 2026-12-01T10:00+00:00.",
            ) from exc
        if start.tzinfo is None:
            start = start.astimezone()
    services = _services(settings)
    agenda = services.coach.agenda(request)
    _save(services, agenda)
    from assistant.export import to_markdown

    _emit(args, agenda_json(agenda), to_markdown(agenda))
    if target:
        _write(*target, agenda, start)
    return 0


def run_starters(args: argparse.Namespace, settings: Settings) -> int:
    if not args.topic.strip():
        raise InputError("The topic is empty.", "Say what the session is about.")
    if not 1 <= args.count <= 12:
        raise InputError(f"--count {args.count} is out of range.", "Ask for 1-12 starters.")
    target = _export_target(args, ("md",))
    services = _services(settings)
    result = services.coach.starters(args.topic, stage=args.stage, count=args.count)
    _save(services, result)
    lines = [f"{n}. {s.text}\n   ({s.category}) {s.why}" for n, s in enumerate(result.starters, 1)]
    _emit(args, starters_json(result), "\n".join(lines))
    if target:
        _write(*target, result)
    return 0


def read_notes_file(path: Path, max_chars: int) -> str:
    if not path.exists():
        raise InputError(f"{path} does not exist.", "Give the path of a text file of notes.")
    if not path.is_file():
        raise InputError(f"{path} is not a file.", "Give the path of a text file of notes.")
    if path.stat().st_size > max_chars * 4:
        raise InputError(
            f"{path} is too large ({path.stat().st_size:,} bytes).",
            f"The limit is {max_chars:,} characters of notes.",
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError(f"{path} is a binary file, not text.", "Save the notes as plain text.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (byte {exc.start}).", "Re-save the file as UTF-8."
        ) from exc


def run_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.feedback import validate_notes

    notes = read_notes_file(Path(args.notes_file), settings.max_notes_chars)
    validate_notes(notes, settings.max_notes_chars)
    names = [n.strip() for n in (args.names or "").split(",") if n.strip()]
    target = _export_target(args, ("md",))
    services = build_services(settings)  # no index needed: feedback uses the notes only
    summary = services.coach.feedback(notes, names)
    _save(services, summary)
    from assistant.export import to_markdown

    _emit(args, feedback_json(summary), to_markdown(summary))
    if target:
        _write(*target, summary)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    def export_arg(p: argparse.ArgumentParser, formats: str) -> None:
        p.add_argument(
            "--export",
            nargs=2,
            metavar=("FORMAT", "PATH"),
            help=f"also write the result to PATH ({formats})",
        )
        p.add_argument("--json", action="store_true", help="print JSON (see the README)")

    a = sub.add_parser("ask", help="ask the coach a question (grounded, cited)")
    a.add_argument("question")
    a.add_argument("--persona", choices=tuple(PERSONA_LABELS), default="mentee")
    export_arg(a, "md")
    a.set_defaults(func=run_ask)

    g = sub.add_parser("agenda", help="build a time-boxed session agenda")
    g.add_argument("--topic", required=True)
    g.add_argument("--minutes", type=int, required=True, help=f"{MIN_MINUTES}-{MAX_MINUTES}")
    g.add_argument("--session", type=int, help="session number (1 = first session)")
    g.add_argument("--stage", choices=tuple(STAGE_LABELS), help="first, middle or closing")
    g.add_argument("--mentor-role", default="junior mentor")
    g.add_argument("--mentee-role", default="senior leader")
    g.add_argument("--goal", action="append", help="a goal for the session (repeatable)")
    g.add_argument("--notes", help="notes from last time")
    g.add_argument("--start", help="start time for the .ics invite (ISO 8601)")
    export_arg(g, "md or ics")
    g.set_defaults(func=run_agenda)

    s = sub.add_parser("starters", help="conversation starters for a topic")
    s.add_argument("--topic", required=True)
    s.add_argument("--count", type=int, default=6)
    s.add_argument("--stage", choices=tuple(STAGE_LABELS), default="middle")
    export_arg(s, "md")
    s.set_defaults(func=run_starters)

    f = sub.add_parser("feedback", help="summarise session notes (personal data redacted)")
    f.add_argument("--notes-file", required=True)
    f.add_argument("--names", help='participant names, mentor first: "Priya Raman,Gordon Hale"')
    export_arg(f, "md")
    f.set_defaults(func=run_feedback)
