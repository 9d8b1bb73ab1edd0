"""The `coach` command: a thin shell over the core modules.

Each sub-command lives in its own module exposing `register(subparsers)`; the parser it adds
sets `func(args, settings) -> int`. User errors print one line and exit with their code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assistant.config import ConfigError, Settings
from assistant.errors import CoachError

# Modules that add sub-commands. A module that is not there yet is skipped, so the command
# keeps working while features land one by one.
COMMAND_MODULES = (
    "assistant.commands.knowledge",
    "assistant.commands.models",
    "assistant.commands.coaching",
    "assistant.commands.evals",
    "assistant.commands.scorecard",
    "assistant.commands.pairs",
    "assistant.commands.accounts",
    "assistant.commands.rehearse",
)


def _acting_as(argv: list[str]) -> tuple[list[str], str | None]:
    """Take `--as EMAIL` (or `--as=EMAIL`) out of the arguments, wherever it is given. A
    rehearsal persona's name (`coach rehearse --as skeptical-senior`) is not an email: it
    becomes `--persona NAME`."""
    from typing import get_args

    from assistant.schemas import RehearsalPersonaKey

    personas = set(get_args(RehearsalPersonaKey))
    rest: list[str] = []
    email = None
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest += [arg, *args]
            break
        value = None
        if arg == "--as":
            value = next(args, "")
        elif arg.startswith("--as="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
            continue
        if value in personas:
            rest += ["--persona", value]
        else:
            email = value
    return rest, email


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="Reverse Mentoring Coach: grounded, offline coaching for reverse mentoring.",
        epilog="With accounts on, every command acts as --as EMAIL (or COACH_USER), anywhere "
        "on the line; in personal mode (no accounts) no identity is needed.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv, acting = _acting_as(list(sys.argv[1:] if argv is None else argv))
    if acting is not None and not acting.strip():
        print("coach: --as needs an email. Example: --as lead@example.org", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
        if acting is not None:
            settings = settings.with_(acting_user=acting.strip())
        return int(args.func(args, settings) or 0)
    except ConfigError as exc:
        print(f"coach: configuration error: {exc}", file=sys.stderr)
        return 2
    except CoachError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a traceback.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("coach: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
