"""The knowledge base is written in our own words: no long run of words copied from a seed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures import KNOWLEDGE

SEEDS = KNOWLEDGE.parent.parent / "shared" / "seeds"
RUN = 8  # words in a row that would count as copying


def shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not beside this checkout")
def test_no_knowledge_document_copies_a_seed_sentence() -> None:
    seed_runs: set[tuple[str, ...]] = set()
    for seed in SEEDS.glob("*.txt"):
        seed_runs |= shingles(seed.read_text(encoding="utf-8", errors="replace"))
    assert seed_runs, "the seeds were not read"
    copied = {}
    for path in sorted(KNOWLEDGE.rglob("*.md")):
        overlap = shingles(path.read_text(encoding="utf-8")) & seed_runs
        if overlap:
            copied[str(path.relative_to(KNOWLEDGE))] = [" ".join(r) for r in list(overlap)[:2]]
    assert not copied, f"runs of {RUN}+ words copied from the seeds: {copied}"


def test_the_check_catches_a_copied_sentence(tmp_path: Path) -> None:
    sentence = "reverse mentoring is a program where younger employees mentor senior professionals"
    assert shingles(sentence) & shingles(f"Intro. {sentence.upper()}, sharing knowledge.")
