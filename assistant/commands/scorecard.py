"""`coach scorecard`: the dashboard's scorecard on the command line, and its exports.

It prints one verdict per area for the model the program runs (and every model with a full
run), as the dashboard shows it, and writes the same scorecard as CSV, JSON or the one-page
HTML report a lead sends to a sponsor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant import report_export as export
from assistant import scorecard as sc
from assistant.config import Settings
from assistant.errors import InputError
from assistant.services import Services

LIGHT_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}


def _write(path: str, text: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{path} is a folder.", "Give a file name, such as scorecard.html.")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(
            f"Could not write {path}: {err.strerror}.", "Choose a writable location."
        ) from err


def card_lines(card: sc.ModelCard) -> list[str]:
    lines = [f"{card.label} · newest run {card.date}" + (" · DEMO" if card.demo else "")]
    for area in card.areas:
        share = f"{area.met} of {area.judged} targets met" if area.judged else "no data yet"
        lines.append(f"  {area.title:<9} {LIGHT_WORDS[area.light]:<8} {share}")
    if card.sample:
        lines.append(f"  Samples: {card.sample}")
    lines += [f"  {line}" for line in card.changes]
    if card.missing:
        lines.append(f"  Not run yet: {', '.join(card.missing)}")
    return lines


def run_scorecard_command(args: argparse.Namespace, settings: Settings) -> int:
    services = Services(settings)
    runs = services.store.list_eval_runs(limit=500)
    cards = sc.scorecards(runs, sc.program_model(settings), include_demo=args.demo)
    if not cards:
        raise InputError(
            "There are no eval runs to judge yet.",
            "Run `coach eval --model local` (or `make eval`) first.",
        )
    if args.html:
        _write(args.html, export.scorecard_html(cards, services.store.ratings_summary()))
    if args.csv:
        _write(args.csv, export.scorecard_csv(cards))
    if args.json:
        print(export.scorecard_json(cards))
    else:
        for card in cards:
            print("\n".join(card_lines(card)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scorecard",
        help="the eval scorecard: one verdict per area for the program's model",
        description="Print the scorecard the dashboard shows and export it for a sponsor.",
    )
    p.add_argument("--html", metavar="PATH", help="write the one-page HTML report here")
    p.add_argument("--csv", metavar="PATH", help="write the scorecard as CSV here")
    p.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    p.add_argument("--demo", action="store_true", help="include demo (scripted) runs")
    p.set_defaults(func=run_scorecard_command)
