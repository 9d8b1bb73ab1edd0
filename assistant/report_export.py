"""The scorecard and single eval runs as CSV and as a one-page HTML report for a sponsor.

Everything shown comes from `assistant.scorecard`; every stored string is HTML-escaped and the
page loads nothing from anywhere (inline style, no scripts, no images).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from assistant.scorecard import MetricRow, ModelCard, metric_rows, run_label, sample_text

LIGHTS = {"green": "#1b7f3b", "amber": "#b26a00", "red": "#b3261e", "grey": "#6b6b6b"}
LIGHT_WORDS = {
    "green": "every target met",
    "amber": "most targets met",
    "red": "targets missed",
    "grey": "no data",
}
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;color:#1d1d1f}
body{font-size:14px}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:1.4rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
td,th{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
.light{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem}
.demo{background:#fff3cd;padding:.1rem .4rem;border-radius:.3rem;font-weight:600}
.muted{color:#666}
"""


def _share(card_area: Any) -> str:
    return f"{card_area.met}/{card_area.judged}" if card_area.judged else "-"


def _target(row: MetricRow) -> str:
    return str(row.target) if row.target else "no target"


def _status(row: MetricRow) -> str:
    return {True: "meets target", False: "below target", None: "for information"}[row.ok]


def scorecard_csv(cards: Sequence[ModelCard]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["model", "demo", "date", "area", "light", "targets met", "metric", "metric id"]
        + ["value", "target", "status", "run"]
    )
    for card in cards:
        for area in card.areas:
            for row in area.rows:
                writer.writerow(
                    [card.label, "yes" if card.demo else "no", card.date, area.title, area.light]
                    + [_share(area), row.name, row.id, f"{row.value:.4g}", _target(row)]
                    + [_status(row), row.run_id]
                )
    return out.getvalue()


def run_csv(run: Any, previous: Any | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["area", "metric", "metric id", "meaning", "value", "target", "status"]
    if previous is not None:
        header += [f"run #{previous.id}", "change", "not comparable because"]
    writer.writerow(header)
    for row in metric_rows(run, previous):
        cells: list[Any] = [row.area, row.name, row.id, row.meaning, f"{row.value:.4g}"]
        cells += [_target(row), _status(row)]
        if previous is not None:
            cells += [
                "" if row.previous is None else f"{row.previous:.4g}",
                "" if row.delta is None else f"{row.delta:+.4g}",
                row.not_comparable,
            ]
        writer.writerow(cells)
    return out.getvalue()


def scorecard_json(cards: Sequence[ModelCard]) -> str:
    """The scorecard with the metrics' dotted ids, for tools."""
    return json.dumps(
        [
            {
                "model": card.label,
                "backend": card.backend,
                "model_name": card.model,
                "demo": card.demo,
                "program_model": card.program,
                "date": card.date,
                "runs": [run.id for run in card.runs],
                "areas": {
                    area.area: {
                        "light": area.light,
                        "met": area.met,
                        "judged": area.judged,
                        "metrics": {
                            row.id: {"value": row.value, "target": _target(row), "ok": row.ok}
                            for row in area.rows
                        },
                    }
                    for area in card.areas
                },
                "changes": card.changes,
            }
            for card in cards
        ],
        indent=2,
        ensure_ascii=False,
    )


def _page(title: str, body: list[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class='muted'>Reverse Mentoring Coach · made {stamp}</p>"
        + "".join(body)
        + "</body></html>"
    )


def _dot(light: str) -> str:
    return f"<span class='light' style='background:{LIGHTS[light]}'></span>"


def scorecard_html(cards: Sequence[ModelCard], ratings: Sequence[dict] = ()) -> str:
    body: list[str] = []
    if not cards:
        body.append("<p>No eval runs of a real model yet.</p>")
    for card in cards:
        demo = " <span class='demo'>DEMO</span>" if card.demo else ""
        program = " (the model the program runs)" if card.program else ""
        body.append(f"<h2>{escape(card.label)}{program}{demo}</h2>")
        runs = ", ".join(f"#{r.id}" for r in card.runs)
        body.append(f"<p class='muted'>Latest scores {escape(card.date)} · runs {runs}</p>")
        if card.sample:
            body.append(f"<p>{escape(card.sample)}</p>")
        body.append("<table><tr><th>Area</th><th>Verdict</th><th>Targets met</th></tr>")
        for area in card.areas:
            body.append(
                f"<tr><td>{escape(area.title)}</td><td>{_dot(area.light)}"
                f"{LIGHT_WORDS[area.light]}</td><td>{_share(area)}</td></tr>"
            )
        body.append("</table>")
        missed = [row for area in card.areas for row in area.rows if row.ok is False]
        if missed:
            items = "".join(
                f"<li>{escape(r.name)}: {r.value:.2f} (target {escape(_target(r))})</li>"
                for r in missed
            )
            body.append(f"<p>Below target:</p><ul>{items}</ul>")
        if card.changes:
            items = "".join(f"<li>{escape(line)}</li>" for line in card.changes)
            body.append(f"<p>Since the previous comparable run:</p><ul>{items}</ul>")
        if card.missing:
            body.append(
                f"<p class='muted'>Not evaluated yet: {escape(', '.join(card.missing))}.</p>"
            )
    if ratings:
        up, total = sum(r["up"] for r in ratings), sum(r["total"] for r in ratings)
        body.append(f"<h2>What users say</h2><p>{up} of {total} ratings say helpful.</p>")
    return _page("Coach quality scorecard", body)


def run_html(run: Any, previous: Any | None = None) -> str:
    body = [f"<p>{escape(run_label(run))} · {run.seconds:.0f} s</p>"]
    sample = sample_text([run])
    if sample:
        body.append(f"<p>{escape(sample)}</p>")
    if previous is not None:
        body.append(f"<p class='muted'>Compared with {escape(run_label(previous))}</p>")
    body.append(
        "<table><tr><th>Area</th><th>Metric</th><th>Value</th><th>Target</th><th>Status</th>"
        + ("<th>Change</th>" if previous is not None else "")
        + "</tr>"
    )
    for row in metric_rows(run, previous):
        change = ""
        if previous is not None:
            change = (
                f"<td>{row.delta:+.3f}</td>"
                if row.delta is not None
                else f"<td class='muted'>{escape(row.not_comparable or 'no earlier value')}</td>"
            )
        body.append(
            f"<tr><td>{escape(row.area)}</td><td title='{escape(row.id)}'>{escape(row.name)}"
            f"<br><span class='muted'>{escape(row.meaning)}</span></td>"
            f"<td>{row.value:.3f}</td><td>{escape(_target(row))}</td>"
            f"<td>{_status(row)}</td>{change}</tr>"
        )
    body.append("</table>")
    return _page(f"Eval run #{run.id}", body)
