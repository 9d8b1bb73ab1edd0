"""Small rules about plain text that several steps share: where a sentence ends, what a
citation mark looks like, and when a question is open. One definition each, so the coach and
its eval metrics cannot drift apart. Only the standard library: pages import this at start-up.
"""

from __future__ import annotations

import re

# A sentence ends at a line break, or at ., ! or ? followed by white space. People's notes
# often go on in lower case ("set max 5. good instinct"), so the next letter's case is not
# required; "e.g." and "i.e." never end a sentence.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)\s+", re.IGNORECASE)
# A citation mark: "[1]", "[2, 3]", "[ 4 ; 5 ]".
CITATION_MARK = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:!?])")
_SPACE_RUN = re.compile(r"[ \t]{2,}")
# Questions that open like these invite a yes or a no ("Do you...", "Could you...").
_CLOSED_START = re.compile(
    r"^(is|are|was|were|do|does|did|can|could|will|would|should|shall|have|has|had|am|"
    r"may|might|must)\b",
    re.IGNORECASE,
)
MIN_QUESTION_WORDS = 4


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, stripped, in order; empty pieces are dropped."""
    return [
        piece.strip()
        for line in text.splitlines()
        for piece in _SENTENCE_BREAK.split(line)
        if piece.strip()
    ]


def citation_numbers(mark: str) -> list[int]:
    """The numbers inside one citation mark's brackets: "2, 3" -> [2, 3]."""
    return [int(n) for n in re.split(r"[,;]", mark)]


def tidy_spacing(text: str) -> str:
    """Collapse runs of spaces and drop the space a removed mark leaves before punctuation."""
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACE_RUN.sub(" ", text))


def starts_closed(text: str) -> bool:
    """Does the question open like a yes/no question ("Do you...", "Could you...")?"""
    return bool(_CLOSED_START.match(text.strip().lstrip("\"'“‘(")))


def is_open_question(text: str) -> bool:
    """The product's bar for a starter: an open question of at least four words."""
    text = text.strip()
    return (
        text.endswith("?") and not starts_closed(text) and len(text.split()) >= MIN_QUESTION_WORDS
    )


ECHO_WORDS = 5  # this many words in a row, as in a source text, is a copy of it


def word_string(text: str) -> str:
    """The text's words (letters only, lower case) between single spaces, padded: what
    `repeats_words` compares."""
    return " " + " ".join(re.findall(r"[a-z]+", text.lower())) + " "


def repeats_words(text: str, source: str, n: int = ECHO_WORDS) -> bool:
    """Does `text` repeat `n` or more words in a row of `source` (a `word_string`)?"""
    words = word_string(text).split()
    return any(f" {' '.join(words[i : i + n])} " in source for i in range(len(words) - n + 1))


def shorten_title(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters; a longer one is cut at the last word
    boundary that fits and ends with an ellipsis, never in the middle of a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def slug(text: str, fallback: str = "coach", limit: int = 60) -> str:
    """A file-name part from `text`: lower-case words joined by '-', cut between words."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    value = ""
    for word in words:
        candidate = f"{value}-{word}" if value else word
        if len(candidate) > limit:
            break
        value = candidate
    return value or (words[0][:limit] if words else fallback)
