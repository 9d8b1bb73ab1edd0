"""Crisis recognition: does a question say someone may be at risk (suicide, self-harm, a medical
emergency now, violence)? Compares, on a blind held-out set, the word rule alone
(`scope._CRISIS`), a calibrated logistic probe over the MiniLM embedding, both together, and
the rule with the probe gated by the scope decision's domain probe (what ships: the probe counts
for in-domain questions, and for any question only at a stricter threshold that flags 2% of the
validation negatives).

    python benchmarks/crisis.py [--save]

Training data: assistant/data/crisis/train.jsonl (written by a helper who never saw the held-out
set), plus the project's in-domain questions as ordinary negatives. The probe is fitted on 80%
of it; the threshold is chosen on the other 20% (the highest that still recognises 80% of the
validation crisis texts). Held out: tests/data/crisis_heldout.jsonl (60, written blind before any
rule), never used to fit or choose anything. False flags are also counted on the in-domain
question sets and the shared over-refusal corpora. `--save` writes the probe the app uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import scope  # noqa: E402
from assistant.config import PROJECT_ROOT  # noqa: E402
from assistant.embeddings import get_embedder  # noqa: E402
from benchmarks.scope import fit_logistic, platt  # noqa: E402
from evals.corpora import corpus_items, project_items  # noqa: E402

TRAIN = PROJECT_ROOT / "assistant" / "data" / "crisis" / "train.jsonl"
HELDOUT = PROJECT_ROOT / "tests" / "data" / "crisis_heldout.jsonl"
VALIDATION_RECALL = 0.8
STRICT_NEGATIVES = 0.02
SEED = 11


def rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"write {scope.CRISIS_WEIGHTS}")
    args = parser.parse_args()
    embed = get_embedder().embed
    train = rows(TRAIN)
    ordinary = [i.text for i in project_items() if i.group in ("retrieval.jsonl", "chat.jsonl")]
    texts = [r["text"] for r in train] + ordinary
    y = np.array([int(r["label"]) for r in train] + [0] * len(ordinary))
    x = embed([scope.words_only(t) for t in texts])
    rng = np.random.default_rng(SEED)
    val = np.zeros(len(y), dtype=bool)
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        val[rng.choice(idx, size=max(1, len(idx) // 5), replace=False)] = True
    w, b = fit_logistic(x[~val], y[~val])
    a, c = platt(x[val] @ w + b, y[val])
    probe = scope.Probe(w.astype(np.float32), b, a, c, 0.5)
    p_val = probe.prob(x[val])
    # The highest threshold that keeps VALIDATION_RECALL of the validation crisis texts: a
    # missed crisis costs more than a stressed question answered with where to get help.
    positives = np.sort(p_val[y[val] == 1])
    threshold = float(positives[int(np.floor((1 - VALIDATION_RECALL) * len(positives)))])
    threshold = min(max(threshold, 0.05), 0.95)
    probe = scope.Probe(probe.w, b, a, c, threshold)
    val_recall = float((p_val[y[val] == 1] >= threshold).mean())
    print(
        f"Trained on {int((~val).sum())} ({int(y[~val].sum())} crisis), validated on "
        f"{int(val.sum())} ({int(y[val].sum())} crisis): threshold {threshold:.3f} "
        f"(the highest keeping {VALIDATION_RECALL:.0%} of validation crisis texts), validation "
        f"recall {val_recall:.2f}, validation negatives flagged "
        f"{(p_val[y[val] == 0] >= threshold).mean():.3f}"
    )

    probes = scope.default_probes()
    strict = float(np.quantile(p_val[y[val] == 0], 1 - STRICT_NEGATIVES))

    crisis = scope.CrisisProbe(probe, max(strict, threshold))

    def gated(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        return crisis.flags(vectors, probes.domain, texts)

    held = rows(HELDOUT)
    hx = embed([scope.words_only(r["text"]) for r in held])
    hy = np.array([r["label"] == "crisis" for r in held])
    by_rule = np.array([bool(scope._CRISIS.search(r["text"])) for r in held])
    by_probe = probe.prob(hx) >= threshold
    print(f"\nHeld out: {len(held)} ({int(hy.sum())} crisis), written blind")
    print("  approach        crisis recognised   non-crisis flagged")
    either = by_rule | by_probe
    by_gated = by_rule | gated(hx, [r["text"] for r in held])
    for name, got in (("rule", by_rule), ("probe", by_probe), ("rule or probe", either),
                      ("rule or gated", by_gated)):  # fmt: skip
        print(
            f"  {name:<14}  {int(got[hy].sum()):>3}/{int(hy.sum())} ({got[hy].mean():.0%})"
            f"          {int(got[~hy].sum()):>3}/{int((~hy).sum())} ({got[~hy].mean():.0%})"
        )

    print("\nFalse flags (rule or gated probe) on text that is no crisis:")
    groups: dict[str, list[str]] = {}
    for item in project_items():
        groups.setdefault(item.group, []).append(item.text)
    for item in corpus_items():
        if item.cls == "benign":
            groups.setdefault(item.group, []).append(item.text)
    for name, group in sorted(groups.items()):
        gx = embed([scope.words_only(t) for t in group])
        flagged = gated(gx, group) | np.array([bool(scope._CRISIS.search(t)) for t in group])
        shown = [t[:90] for t, f in zip(group, flagged, strict=True) if f][:3]
        print(f"  {name:<28} {int(flagged.sum()):>3}/{len(group):<4} {shown}")
    if args.save:
        crisis.save()
        print(f"\nSaved {scope.CRISIS_WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
