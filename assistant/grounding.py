"""How much of an answer rests on the passages it cites: one measure for the coach (which
warns the reader when most of an answer is unsupported) and for the eval's groundedness score.

A claim is a sentence of at least MIN_CLAIM_WORDS words, with citation marks and Markdown
removed. It is supported when its best cosine similarity (MiniLM) to a cited passage, or to
one of that passage's sentences, reaches SUPPORTED_SIMILARITY. The threshold was calibrated on
20 labelled claim/passage pairs kept in tests/unit/test_eval_groundedness.py: supported claims
scored 0.575-0.917, unsupported ones 0.177-0.627 (one on-topic claim above the line, the next
0.539); at 0.55, 19 of 20 are classified correctly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.text import CITATION_MARK, split_sentences, tidy_spacing

if TYPE_CHECKING:  # numpy is not imported here: the chat page reads CAUTION_BELOW at start-up
    import numpy as np

Embed = Callable[[Sequence[str]], "np.ndarray"]

SUPPORTED_SIMILARITY = 0.55
MIN_CLAIM_WORDS = 4  # "Good luck!" is not a claim that needs support
# The coach warns when fewer than this share of an answer's claims are supported.
CAUTION_BELOW = 0.5

_MARKUP = re.compile(r"[#*>`_|]+")


def claims(text: str, min_words: int = MIN_CLAIM_WORDS) -> list[str]:
    """Claims in a text: its sentences, with citation marks and markup removed."""
    text = tidy_spacing(_MARKUP.sub(" ", CITATION_MARK.sub("", text)))
    parts = (" ".join(p.split()).lstrip("-0123456789. ") for p in split_sentences(text))
    return [p for p in parts if len(p.split()) >= min_words]


@dataclass(frozen=True)
class Support:
    claims: list[str]
    best: list[float]  # each claim's best similarity to the evidence
    threshold: float

    @property
    def supported(self) -> int:
        return sum(b >= self.threshold for b in self.best)

    @property
    def share(self) -> float:
        """Share of claims supported; 1.0 when the text makes no claim."""
        return self.supported / len(self.claims) if self.claims else 1.0


def support(
    text: str, passages: Sequence[str], embed: Embed, threshold: float = SUPPORTED_SIMILARITY
) -> Support:
    found = claims(text)
    evidence = [s for p in passages for s in claims(p)] + [p for p in passages if p.strip()]
    if not found or not evidence:
        return Support(found, [0.0] * len(found), threshold)
    vectors = embed([*found, *evidence])
    best = (vectors[: len(found)] @ vectors[len(found) :].T).max(axis=1)
    return Support(found, [float(b) for b in best], threshold)
