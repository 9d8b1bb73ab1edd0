"""`coach pair ...`, `coach action done|drop`, `coach pairs health`, `coach cohort ...`.

Thin shells over assistant.pairs and assistant.pair_store. `--json` prints the contracts in the
README; an unknown pair or action id, or any bad value, is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant import audit
from assistant.config import Settings
from assistant.errors import InputError
from assistant.pair_health import health_csv, nudge_message, program_health
from assistant.pairs import (
    DEFAULT_CADENCE_DAYS,
    DEFAULT_SESSIONS,
    PAIR_STATUSES,
    Cohort,
    Goal,
    Pair,
    next_session_date,
)
from assistant.services import build_services


def pair_input_error(exc: ValidationError) -> InputError:
    """One line for the first problem in a pair, goal or cohort."""
    first = exc.errors()[0]
    where = " ".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "value"
    return InputError(
        f"Invalid {where.replace('_', ' ')}: {first['msg']}.", "Correct it and try again."
    )


def _parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{flag} {value!r} is not a date.", "Use YYYY-MM-DD.") from exc


def pair_json(pair: Pair) -> dict[str, Any]:
    return pair.model_dump(mode="json")


def show_json(services: Any, pair_id: int) -> dict[str, Any]:
    store = services.pairs
    pair = store.get_pair(pair_id)
    ledger = store.ledger(pair_id)
    return {
        "pair": pair_json(pair),
        "sessions": [s.model_dump(mode="json") for s in store.sessions(pair_id)],
        "open_actions": [
            {"id": a.id, "owner": a.owner, "action": a.action, "due": a.due, "session": a.session}
            for a in store.actions(pair_id, "open")
        ],
        "ledger": {
            "senior_learned": [
                {"text": e.text, "session": e.session} for e in ledger if e.side == "senior"
            ],
            "junior_learned": [
                {"text": e.text, "session": e.session} for e in ledger if e.side == "junior"
            ],
        },
        "artifacts": [a.__dict__ for a in store.artifacts(pair_id)],
    }


def _emit(args: argparse.Namespace, payload: dict[str, Any], readable: str) -> None:
    print(json.dumps(payload, ensure_ascii=False) if args.json else readable)


def _goals(senior: list[str] | None, junior: list[str] | None) -> list[Goal]:
    return [Goal(side="senior", text=t) for t in senior or [] if t.strip()] + [
        Goal(side="junior", text=t) for t in junior or [] if t.strip()
    ]


def _pair_line(pair: Pair) -> str:
    return (
        f"#{pair.id} {pair.mentor} (mentor) & {pair.mentee} (mentee) · {pair.status} · "
        f"every {pair.cadence_days} days · {pair.sessions_planned} sessions planned"
    )


def run_pair_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        pair = Pair(
            mentor=args.mentor,
            mentee=args.mentee,
            mentor_role=args.mentor_role,
            mentee_role=args.mentee_role,
            start_date=_parse_date(args.start, "--start") if args.start else date.today(),
            cadence_days=args.cadence_days,
            sessions_planned=args.sessions,
            cohort_id=args.cohort,
            goals=_goals(args.senior_goal, args.junior_goal),
        )
    except ValidationError as exc:
        raise pair_input_error(exc) from exc
    saved = build_services(settings).pairs.add_pair(pair)
    _emit(args, {"pair": pair_json(saved)}, f"Created pair {_pair_line(saved)}")
    return 0


def run_pair_list(args: argparse.Namespace, settings: Settings) -> int:
    found = build_services(settings).pairs.list_pairs(args.cohort)
    text = "\n".join(_pair_line(p) for p in found) or "No pairs yet: add one with `coach pair add`."
    _emit(args, {"pairs": [pair_json(p) for p in found]}, text)
    return 0


def _readable_show(data: dict[str, Any]) -> str:
    pair = Pair.model_validate(data["pair"])
    lines = [_pair_line(pair), "", "Goals:"]
    for goal in pair.goals:
        lines.append(f"  [{goal.id}] {goal.side} learns: {goal.text} (progress {goal.progress}/5)")
    lines += ["", "Sessions:"]
    lines += [
        f"  {s['number']}. {s['held_on']}"
        + (f" · next focus: {s['next_focus']}" if s["next_focus"] else "")
        for s in data["sessions"]
    ] or ["  none yet"]
    lines += ["", "Open action items:"]
    lines += [
        f"  [{a['id']}] {a['owner']}: {a['action']} (session {a['session']}"
        + (f", due {a['due']})" if a["due"] else ")")
        for a in data["open_actions"]
    ] or ["  none"]
    for side, title in (
        ("senior_learned", "The senior learned"),
        ("junior_learned", "The junior learned"),
    ):
        lines += ["", f"{title}:"]
        lines += [f"  - {e['text']} (session {e['session']})" for e in data["ledger"][side]] or [
            "  nothing recorded yet"
        ]
    return "\n".join(lines)


def run_pair_show(args: argparse.Namespace, settings: Settings) -> int:
    data = show_json(build_services(settings), args.id)
    _emit(args, data, _readable_show(data))
    return 0


def _progress(values: list[str] | None) -> list[tuple[int, int]]:
    out = []
    for value in values or []:
        goal, _, progress = value.partition("=")
        if not (goal.strip().isdigit() and progress.strip().isdigit()):
            raise InputError(
                f"--goal-progress {value!r} is not GOAL_ID=N.", "For example --goal-progress 3=4."
            )
        out.append((int(goal), int(progress)))
    return out


def run_pair_edit(args: argparse.Namespace, settings: Settings) -> int:
    store = build_services(settings).pairs
    pair = store.get_pair(args.id)
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "mentor": args.mentor,
            "mentee": args.mentee,
            "mentor_role": args.mentor_role,
            "mentee_role": args.mentee_role,
            "status": args.status,
            "cadence_days": args.cadence_days,
            "sessions_planned": args.sessions,
            "cohort_id": args.cohort,
            "start_date": _parse_date(args.start, "--start") if args.start else None,
        }.items()
        if v is not None
    }
    progress = dict(_progress(args.goal_progress))
    known = {g.id for g in pair.goals}
    for goal_id in progress:
        if goal_id not in known:
            raise InputError(
                f"Pair #{pair.id} has no goal #{goal_id}.",
                f"Run `coach pair show {pair.id}` to see the goals and their ids.",
            )
    goals = [
        g.model_copy(update={"progress": progress[g.id]}) if g.id in progress else g
        for g in pair.goals
        if g.id not in set(args.remove_goal or [])
    ] + _goals(args.senior_goal, args.junior_goal)
    try:
        edited = Pair.model_validate(pair.model_dump() | changes | {"goals": goals})
    except ValidationError as exc:
        raise pair_input_error(exc) from exc
    saved = store.update_pair(edited)
    _emit(args, {"pair": pair_json(saved)}, f"Updated pair {_pair_line(saved)}")
    return 0


def run_pair_delete(args: argparse.Namespace, settings: Settings) -> int:
    store = build_services(settings).pairs
    pair = store.get_pair(args.id)
    if not args.yes:
        raise InputError(
            f"Deleting pair #{pair.id} removes its sessions, summaries, actions and ledger.",
            "Add --yes to confirm.",
        )
    store.delete_pair(pair.id)
    print(f"Deleted pair #{pair.id} ({pair.label}) and everything recorded for it.")
    return 0


def run_pair_export(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.pair_export import pair_timeline_markdown, session_invite_ics

    services = build_services(settings)
    store = services.pairs
    pair = store.get_pair(args.id)
    target = Path(args.path)
    if target.is_dir() or not target.parent.exists():
        raise InputError(f"Cannot write {target}.", "Give a file path in an existing folder.")
    sessions = store.sessions(pair.id)
    if args.format == "md":
        text = pair_timeline_markdown(pair, sessions, store.actions(pair.id), store.ledger(pair.id))
        target.write_text(text, encoding="utf-8")
    else:
        day = next_session_date(pair, sessions, date.today())
        try:
            at = time.fromisoformat(args.time)
        except ValueError as exc:
            raise InputError(f"--time {args.time!r} is not a time.", "Use HH:MM.") from exc
        start = datetime.combine(day, at).astimezone()
        number = max((s.number for s in sessions), default=0) + 1
        target.write_bytes(session_invite_ics(pair, number, start, args.minutes))
    services.store.audit(audit.EXPORT, f"pair #{pair.id}", format=args.format)
    print(f"coach: wrote {target}", file=sys.stderr)
    return 0


def run_pair_members(args: argparse.Namespace, settings: Settings) -> int:
    """A lead matches two accounts to a pair: its content is theirs from now on."""
    if args.mentor_email is None and args.mentee_email is None:
        raise InputError("Name at least one account.", "Use --mentor-email and/or --mentee-email.")
    store = build_services(settings).pairs
    saved = store.set_members(args.id, args.mentor_email, args.mentee_email)
    members = store.members(saved.id)
    _emit(
        args,
        {"pair": pair_json(saved), "members": members},
        f"Pair #{saved.id}: mentor {members['mentor'] or 'not matched'}, "
        f"mentee {members['mentee'] or 'not matched'}",
    )
    return 0


def run_action(args: argparse.Namespace, settings: Settings) -> int:
    status = {"done": "done", "drop": "dropped", "reopen": "open"}[args.verb]
    action = build_services(settings).pairs.set_action_status(args.id, status)
    _emit(
        args,
        {"action": action.model_dump(mode="json")},
        f"Action #{action.id} is now {action.status}: {action.action}",
    )
    return 0


def _health_line(h: Any) -> str:
    line = (
        f"#{h.id} {h.mentor} & {h.mentee}: {h.sessions_held}/{h.sessions_planned} sessions, "
        f"last {h.last_session or 'never'}, actions {h.actions_done} done / {h.actions_open} "
        f"open, learned {h.learned_by_senior} (senior) / {h.learned_by_junior} (junior)"
    )
    return line + (" · STALLED" if h.stalled else "")


def run_health(args: argparse.Namespace, settings: Settings) -> int:
    services = build_services(settings)
    figures = program_health(services.pairs, date.today(), settings.stalled_days, args.cohort)
    rows = [h.as_dict() for h in figures]
    if args.csv:
        Path(args.csv).write_text(health_csv(rows), encoding="utf-8")
        print(f"coach: wrote {args.csv}", file=sys.stderr)
    lines = [_health_line(h) for h in figures]
    stalled = [f"  #{h.id}: {nudge_message(h)}" for h in figures if h.stalled]
    if stalled:
        lines += ["", f"Stalled (no session for over {settings.stalled_days} days):", *stalled]
    _emit(
        args,
        {"pairs": rows, "stalled_days": settings.stalled_days},
        "\n".join(lines) or "No pairs yet.",
    )
    return 0


def run_cohort_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        cohort = Cohort(
            name=args.name,
            start_date=_parse_date(args.start, "--start"),
            end_date=_parse_date(args.end, "--end"),
        )
    except ValidationError as exc:
        raise pair_input_error(exc) from exc
    saved = build_services(settings).pairs.add_cohort(cohort)
    _emit(
        args,
        {"cohort": saved.model_dump(mode="json")},
        f"Created cohort #{saved.id} {saved.name} ({saved.start_date} to {saved.end_date})",
    )
    return 0


def run_cohort_list(args: argparse.Namespace, settings: Settings) -> int:
    found = build_services(settings).pairs.list_cohorts()
    text = "\n".join(f"#{c.id} {c.name} ({c.start_date} to {c.end_date})" for c in found)
    _emit(
        args,
        {"cohorts": [c.model_dump(mode="json") for c in found]},
        text or "No cohorts yet: add one with `coach cohort add`.",
    )
    return 0


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (see the README)")


def register(sub: argparse._SubParsersAction) -> None:
    pair = sub.add_parser("pair", help="a mentoring pair: add, list, show, edit, delete, export")
    verbs = pair.add_subparsers(dest="pair_command", metavar="VERB", required=True)

    add = verbs.add_parser("add", help="create a pair")
    add.add_argument("--mentor", required=True, help="the junior mentor's name")
    add.add_argument("--mentee", required=True, help="the senior mentee's name")
    add.add_argument("--mentor-role", default="junior mentor")
    add.add_argument("--mentee-role", default="senior leader")
    add.add_argument("--senior-goal", action="append", help="what the senior wants to learn")
    add.add_argument("--junior-goal", action="append", help="what the junior wants to learn back")
    add.add_argument("--cadence-days", type=int, default=DEFAULT_CADENCE_DAYS)
    add.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS, help="planned sessions")
    add.add_argument("--start", help="start date, YYYY-MM-DD (default today)")
    add.add_argument("--cohort", type=int, help="cohort id")
    _json(add)
    add.set_defaults(func=run_pair_add)

    lst = verbs.add_parser("list", help="list the pairs")
    lst.add_argument("--cohort", type=int)
    _json(lst)
    lst.set_defaults(func=run_pair_list)

    show = verbs.add_parser("show", help="a pair with its sessions, open actions and ledger")
    show.add_argument("id", type=int)
    _json(show)
    show.set_defaults(func=run_pair_show)

    edit = verbs.add_parser("edit", help="change a pair, its goals or their progress")
    edit.add_argument("id", type=int)
    edit.add_argument("--mentor")
    edit.add_argument("--mentee")
    edit.add_argument("--mentor-role")
    edit.add_argument("--mentee-role")
    edit.add_argument("--status", choices=PAIR_STATUSES)
    edit.add_argument("--cadence-days", type=int)
    edit.add_argument("--sessions", type=int)
    edit.add_argument("--start")
    edit.add_argument("--cohort", type=int)
    edit.add_argument("--senior-goal", action="append", help="add a goal for the senior")
    edit.add_argument("--junior-goal", action="append", help="add a goal for the junior")
    edit.add_argument("--remove-goal", type=int, action="append", metavar="GOAL_ID")
    edit.add_argument("--goal-progress", action="append", metavar="GOAL_ID=N", help="1-5")
    _json(edit)
    edit.set_defaults(func=run_pair_edit)

    delete = verbs.add_parser("delete", help="delete a pair and everything recorded for it")
    delete.add_argument("id", type=int)
    delete.add_argument("--yes", action="store_true", help="confirm the deletion")
    delete.set_defaults(func=run_pair_delete)

    export = verbs.add_parser("export", help="the timeline (md) or the next session invite (ics)")
    export.add_argument("id", type=int)
    export.add_argument("format", choices=("md", "ics"))
    export.add_argument("path")
    export.add_argument("--time", default="10:00", help="start time of the invite (HH:MM)")
    export.add_argument("--minutes", type=int, default=60, help="length of the invite")
    export.set_defaults(func=run_pair_export)

    members = verbs.add_parser("members", help="match accounts to a pair (leads)")
    members.add_argument("id", type=int)
    members.add_argument("--mentor-email", help="the junior mentor's account")
    members.add_argument("--mentee-email", help="the senior mentee's account")
    _json(members)
    members.set_defaults(func=run_pair_members)

    action = sub.add_parser("action", help="tick off a pair's action item: done, drop, reopen")
    action.add_argument("verb", choices=("done", "drop", "reopen"))
    action.add_argument("id", type=int, metavar="ACTION_ID")
    _json(action)
    action.set_defaults(func=run_action)

    health = sub.add_parser("pairs", help="program health across pairs (counts and dates only)")
    health_verbs = health.add_subparsers(dest="pairs_command", metavar="VERB", required=True)
    h = health_verbs.add_parser("health", help="every pair's figures and the stalled ones")
    h.add_argument("--cohort", type=int)
    h.add_argument("--csv", help="also write the figures to this CSV file")
    _json(h)
    h.set_defaults(func=run_health)

    cohort = sub.add_parser("cohort", help="program cohorts: add, list")
    cohort_verbs = cohort.add_subparsers(dest="cohort_command", metavar="VERB", required=True)
    ca = cohort_verbs.add_parser("add", help="create a cohort")
    ca.add_argument("--name", required=True)
    ca.add_argument("--start", required=True, help="YYYY-MM-DD")
    ca.add_argument("--end", required=True, help="YYYY-MM-DD")
    _json(ca)
    ca.set_defaults(func=run_cohort_add)
    cl = cohort_verbs.add_parser("list", help="list cohorts")
    _json(cl)
    cl.set_defaults(func=run_cohort_list)
