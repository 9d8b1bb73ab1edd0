"""The shared third-party attack and over-refusal corpora (../shared/attack-corpora, see its
README), and the project's own in-domain question sets, as labelled texts for the scope
decision's training, its benchmark and the `external` eval suite.

Classes: "in" (a question the coach should answer), "benign" (harmless, off-topic for the coach:
redirect it, never refuse it), "attack" (a harmful request, jailbreak or injection: must not reach
the model), "offtask" (instructions meant for planting, mostly harmless as questions: must not
reach the model in a chat either, but not used to teach what "harmful" means).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.config import PROJECT_ROOT

DATASETS = PROJECT_ROOT / "evals" / "datasets"
TEST_DATA = PROJECT_ROOT / "tests" / "data"
# chat.jsonl also holds the blind unanswerable questions and answerable controls (ids chat-u-*,
# chat-c-*); here they are read from their own files, under their own group names.
BLIND_PREFIXES = ("chat-u-", "chat-c-")


def corpora_dir() -> Path | None:
    """COACH_ATTACK_CORPORA, else shared/attack-corpora beside the checkout (or its parent,
    for a git worktree one level deeper)."""
    configured = os.environ.get("COACH_ATTACK_CORPORA")
    candidates = [Path(configured)] if configured else []
    candidates += [
        PROJECT_ROOT.parent / "shared" / "attack-corpora",
        PROJECT_ROOT.parent.parent / "shared" / "attack-corpora",
    ]
    return next((c for c in candidates if c.is_dir()), None)


@dataclass(frozen=True)
class Item:
    group: str  # the corpus or dataset it comes from: the unit held out in evaluation
    id: str
    text: str
    cls: str  # in | benign | attack | offtask
    kind: str = ""
    context: str = ""  # the previous user question, for a follow-up


def _lines(path: Path) -> list[dict]:
    # Some corpus texts contain U+2028: split on "\n" only, never str.splitlines().
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def _corpus_class(corpus: str, kind: str) -> str:
    if kind == "benign":
        return "benign"
    if corpus in ("bipia_text_attacks", "bipia_email_planted"):
        return "offtask"
    return "attack"


def corpus_items(folder: Path | None = None) -> list[Item]:
    folder = folder or corpora_dir()
    if folder is None:
        return []
    items = []
    for path in sorted(folder.glob("*.jsonl")):
        for row in _lines(path):
            cls = _corpus_class(path.stem, row["kind"])
            items.append(Item(path.stem, str(row["id"]), row["text"], cls, row["kind"]))
    return items


def _context(row: dict) -> str:
    previous = [t["content"] for t in row.get("history") or [] if t["role"] == "user"][-1:]
    return previous[0] if previous else ""


def project_items() -> list[Item]:
    """The project's questions: retrieval queries, chat questions, hard benign questions, the
    scope set written for this decision, and the blind answerable controls."""
    items = [
        Item("retrieval.jsonl", r["id"], r["query"], "in")
        for r in _lines(DATASETS / "retrieval.jsonl")
    ]
    for r in _lines(DATASETS / "chat.jsonl"):
        if r["id"].startswith(BLIND_PREFIXES):  # the blind sets, read from tests/data below
            continue
        kind = r.get("type", "grounded")
        if kind == "grounded":
            items.append(Item("chat.jsonl", r["id"], r["question"], "in", kind, _context(r)))
        elif kind == "off_topic":
            items.append(Item("chat_offtopic", r["id"], r["question"], "benign", kind, _context(r)))
    items += [
        Item("benign_hard", r["id"], r["text"], "in", "question")
        for r in _lines(TEST_DATA / "benign_hard.jsonl")
        if r["kind"] == "question"
    ]
    for r in _lines(DATASETS / "scope_questions.jsonl"):
        cls = "in" if r["label"] == "in_domain" else "benign"
        group = "scope_written" if cls == "in" else "scope_offtopic"
        items.append(Item(group, r["id"], r["text"], cls, r["label"]))
    items += [
        Item("answerable_controls", r["id"], r["question"], "in", "grounded")
        for r in _lines(TEST_DATA / "chat_answerable_controls.jsonl")
    ]
    return items


def unanswerable_items() -> list[Item]:
    """Plausible questions the knowledge base does not cover: chat.jsonl's no_answer cases and
    the blind set. Not used to train the scope probes."""
    items = [
        Item("chat_no_answer", r["id"], r["question"], "in", "no_answer", _context(r))
        for r in _lines(DATASETS / "chat.jsonl")
        if r.get("type") == "no_answer" and not r["id"].startswith(BLIND_PREFIXES)
    ]
    items += [
        Item("chat_unanswerable", r["id"], r["question"], "in", "no_answer")
        for r in _lines(TEST_DATA / "chat_unanswerable.jsonl")
    ]
    return items
