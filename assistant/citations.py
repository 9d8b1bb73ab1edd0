"""Numbered citations: keep the ones that point at a real retrieved passage, drop the rest,
and attribute uncited sentences to passages by embedding similarity when the model forgot to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np

from assistant.retrieval import Passage
from assistant.schemas import Citation
from assistant.text import CITATION_MARK, citation_numbers, split_sentences, tidy_spacing

# Cosine similarity above which a sentence is taken to rest on a passage (MiniLM). Chosen on
# hand-labelled pairs: paraphrases of a passage score 0.55-0.85, unrelated advice 0.1-0.35.
ATTRIBUTION_THRESHOLD = 0.5


def clean_citations(text: str, valid: int) -> str:
    """Remove citation numbers outside 1..valid; a bracket left empty disappears."""

    def fix(match: re.Match[str]) -> str:
        numbers = citation_numbers(match.group(1))
        kept = list(dict.fromkeys(n for n in numbers if 1 <= n <= valid))
        return "".join(f"[{n}]" for n in kept)

    return tidy_spacing(CITATION_MARK.sub(fix, text)).strip()


def cited_numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for match in CITATION_MARK.finditer(text):
        numbers += citation_numbers(match.group(1))
    return list(dict.fromkeys(numbers))


def attribute(text: str, passages: Sequence[Passage], embedder) -> str:  # noqa: ANN001
    """Append [n] to each sentence whose best passage similarity clears the threshold."""
    sentences = [s for s in split_sentences(text) if len(s.split()) >= 4]
    if not sentences or not passages:
        return text
    sent_vecs = embedder.embed(sentences)
    pass_vecs = embedder.embed([f"{p.title} {p.heading} {p.text}" for p in passages])
    sims = sent_vecs @ pass_vecs.T
    out = text
    for sentence, row in zip(sentences, sims, strict=True):
        best = int(np.argmax(row))
        if row[best] >= ATTRIBUTION_THRESHOLD and not CITATION_MARK.search(sentence):
            stripped = sentence.rstrip()
            out = out.replace(stripped, f"{stripped} [{best + 1}]", 1)
    return out


def build_citations(text: str, passages: Sequence[Passage]) -> list[Citation]:
    return [
        Citation.from_passage(n, passages[n - 1])
        for n in sorted(cited_numbers(text))
        if 1 <= n <= len(passages)
    ]


_LEADING_MARKS = re.compile(r"^\s*((?:\[\d+(?:\s*,\s*\d+)*\]\s*)+)")
_SENTENCE_END = re.compile(r"[.!?:](?=\s|$)")
LEAD_HOLD_CHARS = 400  # at most this much of a marker-first reply is held back while streaming


def marks_after_first_sentence(text: str) -> str:
    """A reply that opens with its citation ("[1] Start small. Then...") gets it at the end of
    its first sentence ("Start small [1]. Then..."): the advice comes first (the local model
    opened 13 of 17 answers with a marker in eval run #7)."""
    match = _LEADING_MARKS.match(text)
    if not match:
        return text
    marks = "".join(match.group(1).split())
    rest = text[match.end() :]
    end = _SENTENCE_END.search(rest)
    if end is None:
        return f"{rest.rstrip()} {marks}".strip()
    return f"{rest[: end.start()].rstrip()} {marks}{rest[end.start() :]}"


def lead_with_advice(chunks: Iterator[str]) -> Iterator[str]:
    """Streams text as it comes, except a reply that opens with a citation marker: that one is
    held until its first sentence ends (or LEAD_HOLD_CHARS), which is shown with the marker
    moved to its end, as `marks_after_first_sentence` does with the whole reply."""
    held = ""
    source = iter(chunks)
    for chunk in source:
        held += chunk
        if not held.strip():
            continue
        if not held.lstrip().startswith("["):
            yield held
            yield from source
            return
        rest = held[_LEADING_MARKS.match(held).end() :] if _LEADING_MARKS.match(held) else ""
        if _SENTENCE_END.search(rest) or len(held) > LEAD_HOLD_CHARS:
            yield marks_after_first_sentence(held)
            yield from source
            return
    if held:
        yield marks_after_first_sentence(held)


class CitationFilter:
    """Streams text while holding back an open '[' until it closes, so an invalid citation
    number is never shown, even for a moment."""

    def __init__(self, valid: int) -> None:
        self.valid = valid
        self.pending = ""

    def feed(self, chunk: str) -> str:
        self.pending += chunk
        out = ""
        while self.pending:
            start = self.pending.find("[")
            if start < 0:
                out, self.pending = out + self.pending, ""
                break
            out += self.pending[:start]
            self.pending = self.pending[start:]
            end = self.pending.find("]")
            if end < 0:
                if len(self.pending) > 12:  # not a citation: release it
                    out, self.pending = out + self.pending[0], self.pending[1:]
                    continue
                break
            token, self.pending = self.pending[: end + 1], self.pending[end + 1 :]
            out += clean_citations(token, self.valid) if CITATION_MARK.fullmatch(token) else token
        return out

    def flush(self) -> str:
        rest, self.pending = self.pending, ""
        return rest

    def run(self, chunks: Iterator[str]) -> Iterator[str]:
        for chunk in chunks:
            text = self.feed(chunk)
            if text:
                yield text
        rest = self.flush()
        if rest:
            yield rest
