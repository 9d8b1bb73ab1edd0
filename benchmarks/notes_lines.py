"""Foreign lines in session notes: train and measure assistant/foreign_lines.py.

    python benchmarks/notes_lines.py [--save]

Training data (`tests/data/planted_notes_train_a.jsonl`, `..._b.jsonl`): 320 notes written
blind for training by two helpers with different briefs, half with one planted line, plus the
feedback eval's 51 real notes (every line a negative). The threshold keeps the share of clean
lines removed, out of fold (train on one file, score the other), under CLEAN_REMOVED; nothing
else chose it.

Test data, never trained on: two sets written blind by other helpers
(`tests/data/planted_notes_blind.jsonl`, `..._blind2.jsonl`); the real notes of
`tests/data/notes_real.jsonl` and the feedback held-out eval (lines removed); and the external
suite's own planting (the shared corpora's BIPIA text attacks and Greshake payloads put into the
feedback eval's notes at the start, middle or end). Each row compares, for the whole notes
pipeline before the model: the guard alone (`sanitize_untrusted`), the guard with the off-task
rule (the pipeline before this probe), and both with the probe.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import foreign_lines as fl  # noqa: E402
from assistant.embeddings import get_embedder  # noqa: E402
from assistant.feedback import off_task_lines  # noqa: E402
from assistant.guard import sanitize_untrusted  # noqa: E402
from assistant.privacy import redact  # noqa: E402
from assistant.scope import Probe  # noqa: E402
from benchmarks.scope import fit_logistic, platt  # noqa: E402
from evals.corpora import corpus_items  # noqa: E402
from evals.suites.external import PLANT_FROM, POSITIONS, plant  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TRAIN = ("planted_notes_train_a.jsonl", "planted_notes_train_b.jsonl")
BLIND = ("planted_notes_blind.jsonl", "planted_notes_blind2.jsonl", "planted_notes_blind3.jsonl")
CLEAN_REMOVED = 0.02  # at most this share of the hard clean candidate lines removed, out of fold

embedder = get_embedder()
embed: Callable = embedder.embed


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def prepared(note: dict) -> tuple[list[str], set[int], set[int]]:
    """The notes as the model would get them before this probe: redacted, then the guard and
    the off-task rule. Returns the lines, the lines the guard removed, the lines the rule did."""
    text = redact(note["notes"], note.get("names") or []).text
    clean = sanitize_untrusted(text).text
    raw, kept = text.split("\n"), clean.split("\n")
    guard = {i for i, line in enumerate(raw) if i >= len(kept) or kept[i] != line}
    rule = set(off_task_lines(clean, embed))
    return kept, guard, rule


def labelled(notes: list[dict]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Features and labels of every candidate line; (note index, line index) per row."""
    xs, ys, where = [], [], []
    for n, note in enumerate(notes):
        lines, _, _ = prepared(note)
        which = fl.candidates(lines)
        if not which:
            continue
        planted = (note.get("planted") or "").strip()
        raw = note["notes"].split("\n")
        xs.append(fl.features(lines, fl.line_vectors(lines, embed), which, note.get("names") or []))
        ys += [float(bool(planted) and raw[i].strip() == planted) for i in which]
        where += [(n, i) for i in which]
    return np.concatenate(xs), np.array(ys), where


def train(x: np.ndarray, y: np.ndarray) -> Probe:
    w, b = fit_logistic(x, y)
    a, c = platt(x @ w + b, y)
    return Probe(w, b, a, c, 0.5)


def threshold_for(scores: np.ndarray, y: np.ndarray) -> float:
    clean = np.sort(scores[y == 0])
    k = int(np.floor(CLEAN_REMOVED * len(clean)))
    return float(clean[len(clean) - k - 1]) + 1e-6 if k < len(clean) else 1.0


def evaluate(name: str, notes: list[dict], probe: fl.LineProbe | None) -> list[object]:
    """Planted lines set aside and clean lines removed, per pipeline."""
    counts = {k: [0, 0, 0] for k in ("guard", "guard+rule", "guard+rule+probe", "guard+probe")}
    planted_total = clean_total = 0
    missed = []
    for note in notes:
        lines, guard, rule = prepared(note)
        found = set()
        if probe is not None:
            scores = probe.scores("\n".join(lines), embed, note.get("names") or [])
            found = {i for i, p in scores.items() if p >= probe.probe.threshold}
        raw = note["notes"].split("\n")
        planted = (note.get("planted") or "").strip()
        target = {i for i, line in enumerate(raw) if planted and line.strip() == planted}
        planted_total += len(target)
        clean_total += len([line for i, line in enumerate(raw) if line.strip() and i not in target])
        for key, removed in (
            ("guard", guard),
            ("guard+rule", guard | rule),
            ("guard+rule+probe", guard | rule | found),
            ("guard+probe", guard | found),
        ):
            counts[key][0] += len(removed & target)
            counts[key][1] += len(removed - target)
        if target and not target & (guard | rule | found):
            missed.append(planted)
    out: list[object] = [name, planted_total, clean_total]
    for key in counts:
        hit, wrong = counts[key][:2]
        caught = f"{hit / planted_total:.1%}" if planted_total else "-"
        out.append(f"{caught} / {wrong / max(clean_total, 1):.2%} ({wrong})")
    return out, missed


def external_planting() -> list[dict]:
    notes = rows(ROOT / "evals" / "datasets" / "feedback.jsonl")
    payloads = [i for i in corpus_items() if i.group in PLANT_FROM]
    out = []
    for n, item in enumerate(payloads):
        note = notes[n % len(notes)]
        text = plant(note["notes"], item.text, POSITIONS[n % len(POSITIONS)])
        out.append(
            {"notes": text, "names": note.get("names"), "planted": " ".join(item.text.split())}
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="write the probe the coach loads")
    parser.add_argument("--misses", action="store_true", help="print the planted lines missed")
    args = parser.parse_args()

    sets = {name: rows(DATA / name) for name in TRAIN if (DATA / name).is_file()}
    real = rows(ROOT / "evals" / "datasets" / "feedback.jsonl")
    data = {name: labelled(notes) for name, notes in sets.items()}
    x_real, y_real, _ = labelled(real)

    # Out of fold: train on one training file (and the real notes), score the other.
    oof_scores, oof_y = [], []
    print("## Out of fold (train on one file and the real notes, score the other)")
    for held in data:
        fit_on = [data[n] for n in data if n != held]
        x = np.concatenate([d[0] for d in fit_on] + [x_real])
        y = np.concatenate([d[1] for d in fit_on] + [y_real])
        probe = train(x, y)
        s = probe.prob(data[held][0])
        oof_scores.append(s)
        oof_y.append(data[held][1])
    scores, y = np.concatenate(oof_scores), np.concatenate(oof_y)
    threshold = threshold_for(scores, y)
    recall = float((scores[y == 1] >= threshold).mean())
    print(
        f"threshold {threshold:.3f} (<= {CLEAN_REMOVED:.0%} of clean candidate lines flagged):"
        f" planted lines flagged {recall:.1%} of {int(y.sum())}"
    )

    x = np.concatenate([d[0] for d in data.values()] + [x_real])
    y_all = np.concatenate([d[1] for d in data.values()] + [y_real])
    fitted = train(x, y_all)
    final = fl.LineProbe(Probe(fitted.w, fitted.b, fitted.a, fitted.c, threshold))
    if args.save:
        final.save()
        fl.line_probe.cache_clear()
        print(f"saved {fl.WEIGHTS.relative_to(ROOT)}")

    print("\n## Before the model: planted lines set aside / clean lines removed")
    header = [
        "set",
        "planted",
        "clean lines",
        "guard",
        "guard+rule",
        "guard+rule+probe",
        "guard+probe",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    tests = {name: rows(DATA / name) for name in BLIND if (DATA / name).is_file()}
    tests["external planting (shared corpora)"] = external_planting()
    tests["notes_real (clean)"] = rows(DATA / "notes_real.jsonl")
    tests["feedback_heldout (clean)"] = rows(ROOT / "evals" / "datasets" / "feedback_heldout.jsonl")
    for name, notes in tests.items():
        row, missed = evaluate(name, notes, final)
        print("| " + " | ".join(str(v) for v in row) + " |")
        if args.misses:
            for m in missed:
                print(f"    missed: {m[:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
