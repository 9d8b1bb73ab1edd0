"""`coach rehearse --as PERSONA`: practise a hard conversation, then get cited feedback.

Interactive at a terminal (type lines; an empty line, `/end` or Ctrl-D ends it); or give the
lines with `--line` (repeatable) or on standard input, one per line. A line the coach cannot
use (too long, empty) is reported and the rehearsal goes on; a model error on one line keeps
the conversation so far, and the feedback is still given on it. `--export md PATH` keeps the
transcript and the feedback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from assistant.config import Settings
from assistant.errors import CoachError
from assistant.rehearsal import PERSONA_KEYS, PERSONAS, Debrief
from assistant.schemas import RehearsalRequest, Turn

END_WORDS = {"/end", "/stop", "/done", "/feedback"}


def _lines(args: argparse.Namespace) -> Iterator[str]:
    if args.line:
        yield from args.line
        return
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("You: ") if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return
        if not interactive and line == "":  # end of the input
            return
        line = line.strip()
        if (interactive and not line) or line.lower() in END_WORDS:
            return
        if line:
            yield line


def transcript_markdown(persona_key: str, turns: list[Turn], debrief: Debrief | None) -> str:
    persona = PERSONAS[persona_key]
    out = [
        f"# Rehearsal: {persona.label.lower()}",
        "",
        f"You were {persona.you_are}; the coach played {persona.plays}.",
        "",
    ]
    for turn in turns:
        who = "You" if turn.role == "user" else persona.label
        out.append(f"**{who}:** {turn.content}\n")
    if debrief is not None:
        out += ["## Feedback", "", debrief.text, ""]
        out += [f"[{c.n}] {c.title} — {c.source}" for c in debrief.citations]
    return "\n".join(out).rstrip() + "\n"


def run_rehearse(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.commands.coaching import _services

    if args.persona is None:
        print(
            "coach: choose who the coach plays with --as: " + ", ".join(PERSONA_KEYS),
            file=sys.stderr,
        )
        return 2
    export = None
    if args.export:
        fmt, path = args.export
        if fmt != "md":
            print("coach: --export takes md (a Markdown transcript).", file=sys.stderr)
            return 2
        export = Path(path)
    persona = PERSONAS[args.persona]
    services = _services(settings)
    coach = services.coach
    turns: list[Turn] = [Turn(role="assistant", content=persona.opening)]
    say = (lambda _line: None) if args.json else print
    say(
        f"Rehearsal: the coach plays {persona.label.lower()}; you are {persona.you_are}. "
        "Type your lines; an empty line or /end ends it and gives you feedback.\n"
    )
    say(f"{persona.label}: {persona.opening}")
    replies = []
    for line in _lines(args):
        try:
            request = RehearsalRequest.from_input(persona=args.persona, turns=turns, line=line)
            reply = coach.rehearse(request)
        except CoachError as exc:  # this line only: the rehearsal so far is kept
            print(f"coach: {exc}", file=sys.stderr)
            if "End it to get your feedback" in str(exc):
                break
            continue
        turns.append(Turn(role="user", content=request.line))
        replies.append(reply)
        if reply.outcome == "in_character":
            turns.append(Turn(role="assistant", content=reply.text))
            say(f"{persona.label}: {reply.text}")
        else:
            say(reply.text)
    say("\nFeedback on your lines:")
    try:
        debrief = coach.rehearsal_feedback(args.persona, turns)
    except CoachError as exc:
        print(f"coach: no feedback this time: {exc}", file=sys.stderr)
        debrief = None
    if debrief is not None:
        sources = "\n".join(f"[{c.n}] {c.title} — {c.source}" for c in debrief.citations)
        say(f"{debrief.text}\n\n{sources}".rstrip())
    if export is not None:
        try:
            export.write_text(transcript_markdown(args.persona, turns, debrief), encoding="utf-8")
            print(f"coach: wrote {export}", file=sys.stderr)
        except OSError as exc:  # the rehearsal above is printed; only the file is missing
            print(
                f"coach: could not write {export} ({exc.strerror or exc}). Choose a folder "
                "that exists and that you can write to, and run it again.",
                file=sys.stderr,
            )
            return 1
    if args.json:
        payload = {
            "persona": args.persona,
            "you_are": persona.you_are,
            "turns": [t.model_dump() for t in turns],
            "set_aside": sum(r.outcome == "set_aside" for r in replies),
            "feedback": debrief.to_json() if debrief is not None else None,
        }
        print(json.dumps(payload, ensure_ascii=False))
    return 0 if debrief is not None else 1


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "rehearse",
        help="practise a hard conversation with a persona, then get cited feedback",
        description="The coach plays a persona from a fixed list; you practise; ending gives "
        "short cited feedback. Choose the persona with --as: " + ", ".join(PERSONA_KEYS) + ".",
    )
    r.add_argument(
        "--persona",
        choices=PERSONA_KEYS,
        help="who the coach plays (same as --as PERSONA)",
    )
    r.add_argument(
        "--line", action="append", help="a practice line (repeatable), instead of typing"
    )
    r.add_argument("--json", action="store_true", help="print the transcript and feedback as JSON")
    r.add_argument("--export", nargs=2, metavar=("FORMAT", "PATH"), help="also write md to PATH")
    r.set_defaults(func=run_rehearse)
