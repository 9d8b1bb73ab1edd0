"""`coach user ...` (accounts), `coach audit` (the audit log) and `coach retention`.

Passwords are read from stdin (`--password-stdin`, one line) or typed at a hidden prompt; never
from an argument, where they would land in the shell history and the process list. With
accounts on, these commands act as `--as EMAIL` (or COACH_USER) like every other command; the
first admin is created without one (that is what turns sign-in on).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date

from assistant.access import ROLES, Permission
from assistant.config import Settings
from assistant.errors import InputError
from assistant.services import build_services


def _emit(args: argparse.Namespace, payload: dict, readable: str) -> None:
    print(json.dumps(payload, ensure_ascii=False) if getattr(args, "json", False) else readable)


def read_password(args: argparse.Namespace, prompt: str = "Password") -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InputError("No password on stdin.", "Pipe it in: printf '%s' \"$PW\" | coach ...")
        return password
    if not sys.stdin.isatty():
        raise InputError(
            "No password given.", "Add --password-stdin and pipe it in, or run in a terminal."
        )
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass(f"{prompt} again: ") != first:
        raise InputError("The two passwords differ.", "Run the command again.")
    return first


def run_user_add(args: argparse.Namespace, settings: Settings) -> int:
    services = build_services(settings)
    accounts = services.accounts
    first = not accounts.accounts_on()
    password = None if args.sso_only else read_password(args)
    user = accounts.add_user(args.email, args.role, password, by=services.actor)
    note = (
        " Sign-in is now on for everyone; everything made in personal mode is this admin's."
        if first
        else ""
    )
    _emit(args, {"user": user.as_json()}, f"Added {user.email} ({user.role.value}).{note}")
    return 0


def run_user_list(args: argparse.Namespace, settings: Settings) -> int:
    services = build_services(settings)
    found = services.accounts.list_users(services.actor)
    lines = [
        f"{u.email} · {u.role.value}"
        + ("" if u.has_password else " · single sign-on only")
        + (f" · locked until {u.locked_until}" if u.locked_until else "")
        for u in found
    ]
    text = "\n".join(lines) or "No accounts: the coach is in personal mode (no sign-in)."
    _emit(args, {"users": [u.as_json() for u in found]}, text)
    return 0


def run_user_role(args: argparse.Namespace, settings: Settings) -> int:
    services = build_services(settings)
    user = services.accounts.set_role(args.email, args.role, services.actor)
    _emit(args, {"user": user.as_json()}, f"{user.email} is now {user.role.value}.")
    return 0


def run_user_reset(args: argparse.Namespace, settings: Settings) -> int:
    services = build_services(settings)
    if not services.actor.is_personal:  # refuse before asking for a password
        services.actor.require(Permission.USERS_ADMIN)
    password = read_password(args, "New password")
    services.accounts.reset_password(args.email, password, services.actor)
    print(f"Set a new password for {args.email.strip().lower()}; its sign-ins are ended.")
    return 0


def run_user_remove(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        raise InputError(
            f"Removing {args.email} deletes their chats, their own items and their private "
            "notes; their pairs keep the shared records.",
            "Add --yes to confirm.",
        )
    services = build_services(settings)
    counts = services.accounts.remove_user(args.email, services.actor)
    _emit(
        args,
        {"removed": args.email.strip().lower(), **counts},
        f"Removed {args.email.strip().lower()}: {counts['conversations']} conversation(s), "
        f"{counts['artifacts']} item(s) and {counts['private_sessions']} private session "
        "record(s) deleted.",
    )
    return 0


def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    from assistant import audit

    services = build_services(settings)
    store = services.store
    store.check(Permission.AUDIT_LOG)
    with store._begin(write=False) as conn:
        found = audit.entries(conn, limit=args.limit, action=args.action)
    lines = [
        f"{e.at} {e.actor} {e.action} {e.target}"
        + (f" {json.dumps(e.detail, ensure_ascii=False)}" if e.detail else "")
        for e in found
    ]
    _emit(args, {"entries": [e.as_json() for e in found]}, "\n".join(lines) or "No entries.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="accounts: add, list, role, reset-password, remove")
    verbs = user.add_subparsers(dest="user_command", metavar="VERB", required=True)

    add = verbs.add_parser("add", help="add an account (the first must be an admin)")
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (one line)"
    )
    add.add_argument(
        "--sso-only", action="store_true", help="no password: signs in by single sign-on"
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=run_user_add)

    lst = verbs.add_parser("list", help="list the accounts")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_user_list)

    role = verbs.add_parser("role", help="change an account's role")
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--json", action="store_true")
    role.set_defaults(func=run_user_role)

    reset = verbs.add_parser("reset-password", help="set a new password (ends its sign-ins)")
    reset.add_argument("email")
    reset.add_argument("--password-stdin", action="store_true")
    reset.set_defaults(func=run_user_reset)

    remove = verbs.add_parser("remove", help="remove an account and its own data")
    remove.add_argument("email")
    remove.add_argument("--yes", action="store_true", help="confirm")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=run_user_remove)

    log = sub.add_parser("audit", help="the audit log (admins): who did what, when")
    log.add_argument("--action", help="only this kind of entry, e.g. sign_in_failed")
    log.add_argument("--limit", type=int, default=200)
    log.add_argument("--json", action="store_true")
    log.set_defaults(func=run_audit)
    register_retention(sub)


def run_retention(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.retention import apply_retention, cutoff_for, due_pairs

    services = build_services(settings)
    months = settings.retention_months
    if not args.apply:
        store = services.store
        store.check(Permission.PROGRAM_HEALTH)
        with store._begin(write=False) as conn:
            due = due_pairs(conn, cutoff_for(date.today(), months))
        _emit(
            args,
            {"due_pairs": due, "retention_months": months},
            f"{len(due)} closed pair(s) are past {months} months: "
            + (", ".join(f"#{i}" for i in due) or "none")
            + ". Add --apply to delete their notes and summaries (counts stay).",
        )
        return 0
    report = apply_retention(services.store, months)
    _emit(
        args,
        report.as_json(),
        f"Retention ({months} months, closed before {report.cutoff}): {report.pairs} pair(s), "
        f"{report.items} saved item(s) and {report.conversations} conversation(s) deleted, "
        f"{report.texts} action/learning text(s) removed; program-health counts kept.",
    )
    return 0


def register_retention(sub: argparse._SubParsersAction) -> None:
    ret = sub.add_parser("retention", help="delete closed pairs' notes after the retention period")
    ret.add_argument("--apply", action="store_true", help="delete (without it: only list)")
    ret.add_argument("--json", action="store_true")
    ret.set_defaults(func=run_retention)
