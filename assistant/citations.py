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


# An opening sentence that only frames the question before the advice: "Handling your team's
# reaction can be challenging.", "It's natural to feel awkward about this.", "When it comes to
# your first session, preparation matters.", "Great question!". The local model opened answers
# so; they are dropped when advice follows. Narrow on purpose: on two sets written blind by
# helpers (tests/data/openings_blind*.jsonl) no advice-first opening of 90 is dropped; of the
# framing ones, 15/40 with the rule as first written, 33/40 after reading its misses (31/40
# with _POINTS_BACK), and 9/50 on the second set, held out (most framing shapes are still
# missed). The eval's own opening
# metric (evals/wording.py) is a different rule and stays the judge.
_FRAME_OPENING = re.compile(
    r"^\s*((great|good|excellent|interesting|important|thoughtful)\s+question\b|"
    r"when\s+it\s+comes\s+to\b|"
    r"(it'?s|it\s+is|this\s+is|that'?s|that\s+is)\s+(completely\s+|totally\s+|quite\s+|very\s+|"
    r"perfectly\s+|entirely\s+)?(understandable|natural|normal|common|okay|ok|fine|great|"
    r"good|an?\s+(common|great|good|natural|normal|valid|real|tricky|difficult|challenging|"
    r"sensitive|delicate|important|excellent|understandable)\b)|"
    r"(thank\s+you|thanks)\s+for\s+(asking|the\s+question|your\s+question))",
    re.IGNORECASE,
)
# ...or a sentence about the question's topic that only says it is hard or matters.
_VERDICT_ONLY = re.compile(
    r"\b((can|may|might|could|will|often)\s+(be|feel|seem)\s+(quite\s+|very\s+|a\s+bit\s+|"
    r"really\s+|somewhat\s+)?(challenging|difficult|tricky|daunting|hard|awkward|"
    r"uncomfortable|intimidating|overwhelming|frustrating|sensitive|delicate|rewarding|"
    r"a\s+(challenge|delicate|sensitive|tricky|difficult|common|unique|valuable|great))|"
    r"(is|are)\s+(an?\s+)?(very\s+|really\s+|quite\s+)?(important|common|natural|normal|crucial|"
    r"key|essential|vital|valuable|tricky|delicate|sensitive|challenging|difficult|"
    r"understandable|great)\b|"
    r"\b(requires|takes|needs)\s+(careful|some|patience|time|effort|a\s+(thoughtful|careful|"
    r"balanced))\b|"
    r"\bit'?s\s+(important|essential|crucial|key|helpful|useful)\s+to\s+(consider|"
    r"understand|think\s+about|remember|keep\s+in\s+mind|approach)\b|"
    # Added after reading the misses on openings_blind.jsonl (so that set is no longer blind;
    # openings_blind2.jsonl, written later by another helper, is the held-out one):
    r"\bis\s+(something|a\s+(question|topic|concern|worry|challenge|situation|hurdle|"
    r"decision|dynamic))\s+(that\s+)?(many|most|a\s+lot|lots|plenty|every|all|often|people|"
    r"program|leaders|mentors|mentees)\b|"
    r"\bis\s+one\s+of\s+the\s+(first|most|biggest|hardest|key|main|trickiest)\b|"
    r"\b(is|are)\s+an?\s+(very\s+|really\s+)?(real|common|frequent|big|increasingly\s+"
    r"important|important|key|core)\s+(challenge|issue|topic|concern|dynamic|part|question|"
    r"hurdle|worry|element|aspect)\b|"
    r"\b(is|are)\s+(not|never)\s+(unusual|uncommon|rare|unheard\s+of)\b|"
    r"\bis\s+an?\s+(great\s+|good\s+|real\s+)?(opportunity|chance)\s+to\b|"
    r"\b(put|puts|leave|leaves)\s+you\s+in\s+an?\s+(tricky|difficult|awkward|tough|hard)\s+"
    r"(position|spot|place)\b|"
    r"\bfaces?\s+(some\s+)?(unique|particular|specific|real|common|extra)\s+challenges\b|"
    r"\byou'?re\s+(definitely\s+|certainly\s+|really\s+)?not\s+alone\b|"
    r"\bit'?s\s+(great|good|wonderful)\s+that\s+you\b|"
    r"\bit'?s\s+(natural|normal|understandable|common)\s+to\s+(feel|be|wonder|worry)\b|"
    r"^\s*(there\s+are|here\s+are)\s+(a\s+few|several|some|many|a\s+number\s+of)\s+"
    r"(things|factors|ways|points|aspects|considerations)\s+to\s+(consider|keep\s+in\s+mind|"
    r"think\s+about|weigh)\b|"
    r"^\s*(you'?re|you\s+are)\s+asking\s+(about|how|whether|what)\b)",
    re.IGNORECASE,
)
# Advice inside the sentence keeps it: "...can be hard, but start by naming it."
_ADVICE_IN_IT = re.compile(
    r"\b(but|by\s+\w+ing|try|start|ask|tell|share|agree|set|name|use|offer|invite|suggest|"
    r"should|could\s+(try|start|ask)|recommend|instead)\b",
    re.IGNORECASE,
)
_FIRST_SENTENCE = re.compile(r"[.!?](?=\s|$)")
# A next sentence that leans on the first ("Feeling awkward is natural. It does not mean...",
# local chat eval run #11, chat-001) keeps it: without it, "It" would point at nothing.
_POINTS_BACK = re.compile(r"^\W*(it|this|that|these|those|they|such|so|but|and)\b", re.I)
_FRAME_STARTERS = re.compile(
    r"^\s*(great|good|excellent|interesting|important|thoughtful|thank|thanks|when|it'?s|it|"
    r"this|that'?s|that|feeling|being|\w+ing)\b",
    re.IGNORECASE,
)


def _content(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z']{4,}", text.lower())}


def framing_sentence(sentence: str, question: str) -> bool:
    """Does `sentence` (an answer's first) only frame the question, with no advice in it?"""
    words = CITATION_MARK.sub("", sentence).strip()
    if words.endswith(":") or _ADVICE_IN_IT.search(words):
        return False
    if _FRAME_OPENING.match(words):
        return True
    asked = _content(question)
    shared = len(_content(words) & asked) / len(asked) if asked else 0.0
    return shared >= 0.2 and bool(_VERDICT_ONLY.search(words))


def _split_first(text: str) -> tuple[str, str]:
    """The first sentence and the rest, without the rest's leading marks (the first's own)."""
    end = _FIRST_SENTENCE.search(text)
    if end is None:
        return text, ""
    rest = _LEADING_MARKS.sub("", text[end.end() :]).lstrip()  # a streamed chunk keeps its end
    return text[: end.end()], rest


def drop_framing_opening(text: str, question: str) -> str:
    """The reply without a first sentence that only frames the question, when advice
    follows it (at least one more sentence of four words or more)."""
    first, rest = _split_first(text)
    if len(rest.split()) < 4 or _POINTS_BACK.match(rest) or not framing_sentence(first, question):
        return text
    return rest[:1].upper() + rest[1:]


def lead_with_advice(chunks: Iterator[str], question: str = "") -> Iterator[str]:
    """Streams text as it comes, except a first sentence that may need changing: a reply that
    opens with a citation marker, or with a word a framing sentence opens with ("Handling...",
    "It's natural...", "Great question"), is held until its first sentence is in, and a
    framing one until four words of the next are in too (or LEAD_HOLD_CHARS). Then the marker
    moves to the sentence's end, as `marks_after_first_sentence` does, and a sentence that only
    frames `question` is dropped (`drop_framing_opening`). Any other reply streams from its
    first word."""

    def settled(text: str) -> str:
        return drop_framing_opening(marks_after_first_sentence(text), question)

    held = ""
    source = iter(chunks)
    for chunk in source:
        held += chunk
        text = held.lstrip()
        if not text:
            continue
        if not text.startswith("["):
            if " " not in text and len(text) < 20:
                continue  # the first word is not complete yet
            if not _FRAME_STARTERS.match(text):
                yield held
                yield from source
                return
        if text.startswith("[") and not _LEADING_MARKS.match(held):
            continue  # the marker is not closed yet
        moved = marks_after_first_sentence(held)
        first, after = _split_first(moved)
        ended = bool(_FIRST_SENTENCE.search(moved)) and bool(after)
        # Once the first sentence is complete, only a framing one waits for the advice after it.
        if (
            (ended and not framing_sentence(first, question))
            or len(after.split()) >= 5
            or len(held) > LEAD_HOLD_CHARS
        ):
            yield settled(held)
            yield from source
            return
    if held:
        yield settled(held)


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
