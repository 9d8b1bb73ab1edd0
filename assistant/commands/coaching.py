"""`coach ask`, `coach agenda`, `coach starters`, `coach feedback`.

Each command builds its request (assistant.schemas) before anything else happens: a bad value is
the request's own one-line message (exit 2, nothing stored). `--json` prints the contract
documented in the README; `--export md|ics PATH` writes a file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import InputError
from assistant.schemas import (
    MAX_MINUTES,
    MIN_MINUTES,
    NOTES_LIMIT,
    PERSONA_LABELS,
    STAGE_LABELS,
    Agenda,
    AgendaRequest,
    Answer,
    AnswerRequest,
    FeedbackRequest,
    FeedbackSummary,
    StarterSet,
    StartersRequest,
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


def _save(services: Services, save: Callable[[Any], Any]) -> None:
    try:
        save(services.store)
    except Exception as exc:  # the result is still printed; saving is best effort
        print(f"coach: warning: could not save to history ({exc})", file=sys.stderr)


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
    request = AnswerRequest.from_input(question=args.question, persona=args.persona)
    target = _export_target(args, ("md",))
    services = _services(settings)
    answer = services.coach.answer(request)
    _save(
        services,
        lambda store: store.record_exchange(
            conversation_id=None, persona=request.persona, question=request.question, answer=answer
        ),
    )
    sources = "\n".join(f"[{c.n}] {c.title} — {c.source}" for c in answer.citations)
    _emit(args, answer_json(answer), f"{answer.answer}\n\n{sources}".strip())
    if target:
        _write(*target, answer)
    return 0


def _read_goals(values: list[str] | None) -> list[str]:
    return [g.strip() for g in values or [] if g.strip()]


def progress(line: str) -> None:
    """Progress for the person waiting, on stderr (stdout stays the result, e.g. --json)."""
    print(f"coach: {line}", file=sys.stderr, flush=True)


def write_agenda_with_progress(coach: Any, request: AgendaRequest) -> Any:
    """The agenda, saying on stderr when its plan is ready and as each item is worded."""
    job = coach.plan_agenda(request)
    items = len(job.plan)
    progress(
        f"plan ready: {items} items, {sum(i.minutes for i in job.preview.items)} minutes; "
        "the model is writing each item's wording…"
    )
    return coach.write_agenda(
        job, on_progress=lambda _agenda, n: progress(f"worded item {n} of {items}")
    )


def _starters_progress() -> Any:
    def report(so_far: list[Any]) -> None:
        if so_far:
            progress(f"{len(so_far)} starter(s) written so far")

    progress("the model is writing starters…")
    return report


def run_agenda(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "pair", None) is not None:
        return run_pair_agenda(args, settings)
    if not args.topic:
        raise InputError("--topic is missing.", "Say what the session is about, or give --pair ID.")
    stage = args.stage or ("first" if args.session == 1 else "middle")
    request = AgendaRequest.from_input(
        topic=args.topic,
        minutes=args.minutes,
        stage=stage,
        session_number=args.session,
        mentor_role=args.mentor_role,
        mentee_role=args.mentee_role,
        goals=_read_goals(args.goal),
        notes_from_last_time=args.notes or "",
    )
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
    agenda = write_agenda_with_progress(services.coach, request)
    _save(services, lambda store: store.save_artifact(agenda))
    from assistant.export import to_markdown

    _emit(args, agenda_json(agenda), to_markdown(agenda))
    if target:
        _write(*target, agenda, start)
    return 0


def run_starters(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "pair", None) is not None:
        return run_pair_starters(args, settings)
    request = StartersRequest.from_input(topic=args.topic, stage=args.stage, count=args.count)
    target = _export_target(args, ("md",))
    services = _services(settings)
    result = services.coach.starters(request, on_progress=_starters_progress())
    _save(services, lambda store: store.save_artifact(result))
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
    if getattr(args, "pair", None) is not None:
        return run_pair_feedback(args, settings)
    request = FeedbackRequest.from_input(
        context={NOTES_LIMIT: settings.max_notes_chars},
        notes=read_notes_file(Path(args.notes_file), settings.max_notes_chars),
        names=args.names or "",
    )
    target = _export_target(args, ("md",))
    services = build_services(settings)  # no index needed: feedback uses the notes only
    summary = services.coach.feedback(request)
    _save(services, lambda store: store.save_artifact(summary))
    from assistant.export import to_markdown

    _emit(args, feedback_json(summary), to_markdown(summary))
    if target:
        _write(*target, summary)
    return 0


# --- a pair's next session (issue 11): the pair fills in what the flags would say -----------
def run_pair_agenda(args: argparse.Namespace, settings: Settings) -> int:
    """`coach agenda --pair ID --minutes N`: number, stage, topic, goals and the review of
    open action items all come from the pair."""
    from assistant.pairs import check_minutes, plan_next_session

    given = [f for f in ("topic", "session", "stage", "goal", "notes") if getattr(args, f, None)]
    if given:
        raise InputError(
            f"--pair fills in the {', '.join(given)} itself.", "Leave those flags out with --pair."
        )
    check_minutes(args.minutes)
    target = _export_target(args, ("md", "ics"))
    services = build_services(settings)
    # An unknown pair, or one the actor is not in, fails before the index is opened.
    services.pairs.require_member(args.pair)
    from assistant.commands.knowledge import ensure_index

    ensure_index(settings, services.index)
    agenda = plan_next_session(services.coach, services.pairs, args.pair, args.minutes)
    from assistant.export import to_markdown

    payload = agenda_json(agenda) | {"pair_id": args.pair, "session_number": agenda.session_number}
    _emit(args, payload, to_markdown(agenda))
    if target:
        _write(*target, agenda, _cadence_start(services, args.pair))
    return 0


def _cadence_start(services: Services, pair_id: int) -> datetime:
    """The invite's start: the pair's next session date on its cadence, at 10:00 local time."""
    from datetime import time as clock

    from assistant.pairs import next_session_date

    pair = services.pairs.get_pair(pair_id)
    day = next_session_date(pair, services.pairs.sessions(pair_id), date.today())
    return datetime.combine(day, clock(10, 0)).astimezone()


def run_pair_starters(args: argparse.Namespace, settings: Settings) -> int:
    """`coach starters --pair ID`: the topic carries the pair's next focus and its goals, the
    stage is its next session's; the set is saved on the pair's timeline."""
    from assistant.pairs import stage_for, starters_topic

    if args.topic:
        raise InputError("--pair fills in the topic itself.", "Leave --topic out with --pair.")
    services = build_services(settings)
    services.pairs.require_member(args.pair)
    pair = services.pairs.get_pair(args.pair)
    sessions = services.pairs.sessions(pair.id)
    number = max((s.number for s in sessions), default=0) + 1
    from assistant.commands.knowledge import ensure_index

    ensure_index(settings, services.index)
    request = StartersRequest.from_input(
        topic=starters_topic(pair, sessions),
        stage=stage_for(number, pair.sessions_planned),
        count=args.count,
    )
    result = services.coach.starters(request, on_progress=_starters_progress())
    services.pairs.save_artifact(pair.id, result, session=number)
    lines = [f"{n}. {s.text}\n   ({s.category}) {s.why}" for n, s in enumerate(result.starters, 1)]
    _emit(args, starters_json(result) | {"pair_id": pair.id, "session": number}, "\n".join(lines))
    return 0


def run_pair_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """`coach feedback --pair ID --notes-file F`: the pair's names are redacted (no --names
    needed) and the summary is recorded as the pair's next session, with its action items
    and ledger entries, in one transaction."""
    from assistant.pairs import summarise_session

    held_on = None
    if args.date:
        try:
            held_on = date.fromisoformat(args.date)
        except ValueError as exc:
            raise InputError(f"--date {args.date!r} is not a date.", "Use YYYY-MM-DD.") from exc
    if args.rating is not None and not 1 <= args.rating <= 5:
        raise InputError(f"--rating {args.rating} is out of range.", "Rate the session 1-5.")
    request = FeedbackRequest.from_input(
        context={NOTES_LIMIT: settings.max_notes_chars},
        notes=read_notes_file(Path(args.notes_file), settings.max_notes_chars),
        names=args.names or "",
    )
    target = _export_target(args, ("md",))
    services = build_services(settings)
    pair = services.pairs.get_pair(args.pair)
    summary, record = summarise_session(
        services.coach, services.pairs, pair.id, request, held_on, args.rating, args.visibility
    )
    from assistant.export import to_markdown

    payload = feedback_json(summary) | {
        "pair_id": pair.id,
        "session": record.session.number,
        "artifact_id": record.session.summary_id,
    }
    _emit(
        args,
        payload,
        f"Session {record.session.number} of pair #{pair.id}\n\n" + to_markdown(summary),
    )
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
    g.add_argument("--topic", help="what the session is about (required without --pair)")
    g.add_argument("--pair", type=int, help="plan this pair's next session (see `coach pair`)")
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
    s.add_argument("--topic", help="what the session is about (required without --pair)")
    s.add_argument("--pair", type=int, help="starters for this pair's next session and goals")
    s.add_argument("--count", type=int, default=6)
    s.add_argument("--stage", choices=tuple(STAGE_LABELS), default="middle")
    export_arg(s, "md")
    s.set_defaults(func=run_starters)

    f = sub.add_parser("feedback", help="summarise session notes (personal data redacted)")
    f.add_argument("--notes-file", required=True)
    f.add_argument("--names", help='participant names, mentor first: "Priya Raman,Gordon Hale"')
    f.add_argument("--pair", type=int, help="record the summary as this pair's next session")
    f.add_argument("--date", help="with --pair: the day the session was held (YYYY-MM-DD)")
    f.add_argument("--rating", type=int, help="with --pair: how the session went, 1-5")
    f.add_argument(
        "--visibility",
        choices=("pair", "private"),
        default="pair",
        help="with --pair: shared with my pair (default) or private (only me)",
    )
    export_arg(f, "md")
    f.set_defaults(func=run_feedback)
