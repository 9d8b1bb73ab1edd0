"""Hybrid search over the knowledge index: dense (Chroma) + BM25, fused by reciprocal rank.

Callers get passages plus a relevance verdict ("strong", "weak", "none") so they can tell
"nothing relevant found" from a weak match and refuse to invent advice.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from assistant.errors import IndexNotReady, InputError
from assistant.index import KnowledgeIndex, StoredChunk
from assistant.knowledge import ActivityCard, activity_cards
from assistant.schemas import Relevance

Mode = Literal["hybrid", "dense", "bm25"]

RRF_K = 60  # the usual constant of reciprocal rank fusion
CANDIDATES = 50  # per retriever, before fusion
# Cosine similarity of the best dense hit. Calibrated on evals/datasets/chat.jsonl: every
# grounded question scored >= 0.26 and every off-topic one <= 0.23; 98% of the retrieval.jsonl
# queries score >= 0.32. Mentoring-adjacent questions the knowledge base does not cover can
# still score high: for those the prompt tells the model to say it has no answer.
STRONG_SIMILARITY = 0.40
WEAK_SIMILARITY = 0.25
MAX_QUERY_CHARS = 2000
# What a search's verdict means, in the words the CLI and the Knowledge page both show.
RELEVANCE_VERDICTS: dict[Relevance, str] = {
    "strong": "Relevant guidance found.",
    "weak": "Only weak matches: the knowledge base may not cover this well.",
    "none": "Nothing relevant found: the knowledge base does not seem to cover this.",
}

_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves im ive dont doesnt its get got really thing things like also""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


_STEM = _stemmer()


# The knowledge base mixes British and American spelling; users type either.
_SPELLING = {
    "programme": "program",
    "programmes": "programs",
    "organisation": "organization",
    "organisations": "organizations",
    "organisational": "organizational",
    "behaviour": "behavior",
    "behaviours": "behaviors",
    "practise": "practice",
    "practising": "practicing",
    "judgement": "judgment",
    "recognise": "recognize",
    "prioritise": "prioritize",
    "colour": "color",
    "favourite": "favorite",
    "apologise": "apologize",
    "summarise": "summarize",
    "emphasise": "emphasize",
    "analyse": "analyze",
    "centre": "center",
    "catalogue": "catalog",
    "labour": "labor",
}


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # Stemming each distinct word once makes BM25 builds ~30x faster on large indexes.
    return _STEM.stemWord(_SPELLING.get(word, word))


def tokenize(text: str) -> list[str]:
    words = [w.replace("'", "") for w in _TOKEN.findall(text.lower())]
    return [_stem(w) for w in words if w not in _STOPWORDS and len(w) > 1]


@dataclass
class Passage:
    id: str
    source: str
    title: str
    heading: str
    text: str
    score: float
    audience: str = "all"
    kind: str = "guide"
    topics: list[str] = field(default_factory=list)
    similarity: float | None = None  # dense cosine similarity, when the dense side saw it
    bm25: float | None = None

    @classmethod
    def from_stored(cls, chunk: StoredChunk, score: float) -> Passage:
        m = chunk.metadata
        return cls(
            id=chunk.id,
            source=str(m.get("source", "")),
            title=str(m.get("title", "")),
            heading=str(m.get("heading", "")),
            text=chunk.text,
            score=score,
            audience=str(m.get("audience", "all")),
            kind=str(m.get("kind", "guide")),
            topics=[t for t in str(m.get("topics", "")).split(",") if t],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "heading": self.heading,
            "text": self.text,
            "score": round(self.score, 6),
        }


@dataclass
class SearchResult:
    query: str
    passages: list[Passage]
    relevance: Relevance
    top_similarity: float


@dataclass
class Filters:
    audience: str | None = None
    topics: Sequence[str] = ()
    kinds: Sequence[str] = ()

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.audience and self.audience != "all":
            clauses.append({"audience": {"$in": [self.audience, "all"]}})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.topics:
            options = [{f"topic:{t}": True} for t in self.topics]
            clauses.append(options[0] if len(options) == 1 else {"$or": options})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, meta: dict[str, Any]) -> bool:
        if self.audience and self.audience != "all":
            if meta.get("audience") not in (self.audience, "all"):
                return False
        if self.kinds and meta.get("kind") not in self.kinds:
            return False
        if self.topics and not any(meta.get(f"topic:{t}") for t in self.topics):
            return False
        return True


class _LexicalIndex:
    def __init__(self, chunks: list[StoredChunk]) -> None:
        import bm25s

        self.chunks = chunks
        corpus = [
            tokenize(f"{c.metadata.get('title', '')} {c.metadata.get('heading', '')} {c.text}")
            for c in chunks
        ]
        self.bm25 = bm25s.BM25()
        self.vocab: set[str] = set()
        if chunks:  # bm25s averages over the corpus: an empty index would warn "mean of empty"
            self.bm25.index(corpus, show_progress=False)
            self.vocab = set(self.bm25.vocab_dict)

    def scores(self, query: str) -> np.ndarray:
        tokens = [t for t in tokenize(query) if t in self.vocab]
        if not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)


class Retriever:
    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index
        self._lexical: _LexicalIndex | None = None
        self._lexical_revision: str | None = None
        self._cards: tuple[_LexicalIndex, Mapping[str, ActivityCard]] | None = None
        self._lock = threading.Lock()

    def _lexical_index(self) -> _LexicalIndex:
        revision = self.index.revision()
        with self._lock:
            if self._lexical is None or self._lexical_revision != revision:
                self._lexical = _LexicalIndex(self.index.all_chunks())
                self._lexical_revision = revision
            return self._lexical

    def chunks(self) -> list[StoredChunk]:
        """Every stored chunk, read from the index once per index revision (the same read
        that builds BM25), so callers such as the Knowledge page do not re-read the store."""
        return self._lexical_index().chunks

    def activity_cards(self) -> Mapping[str, ActivityCard]:
        """The activity cards in the index, by source, decoded once per index revision."""
        lexical = self._lexical_index()
        with self._lock:
            if self._cards is None or self._cards[0] is not lexical:
                self._cards = (lexical, MappingProxyType(activity_cards(lexical.chunks)))
            return self._cards[1]

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
    ) -> SearchResult:
        query = " ".join((query or "").split())
        if not query:
            raise InputError("The search query is empty.", "Type a question or a few words.")
        if len(query) > MAX_QUERY_CHARS:
            query = query[:MAX_QUERY_CHARS]
        if not 1 <= k <= 50:
            raise InputError(f"k={k} is out of range.", "Ask for between 1 and 50 results.")
        if self.index.count() == 0:
            raise IndexNotReady()
        filters = filters or Filters()

        dense: list[tuple[StoredChunk, float]] = []
        top_similarity = 0.0
        if mode in ("hybrid", "dense"):
            vector = self.index.embedder.embed_one(query)
            dense = self.index.query(vector.tolist(), CANDIDATES, filters.where())
            top_similarity = max((s for _, s in dense), default=0.0)
        lexical: list[tuple[StoredChunk, float]] = []
        if mode in ("hybrid", "bm25"):
            lex = self._lexical_index()
            scores = lex.scores(query)
            order = np.argsort(-scores)
            for i in order:
                if scores[i] <= 0 or len(lexical) >= CANDIDATES:
                    break
                if filters.accepts(lex.chunks[i].metadata):
                    lexical.append((lex.chunks[i], float(scores[i])))
            if mode == "bm25" and lexical:
                # With no dense side, the similarity signal comes from the top lexical hits.
                vector = self.index.embedder.embed_one(query)
                hit_vectors = self.index.embedder.embed([c.text for c, _ in lexical[:3]])
                top_similarity = float(np.max(hit_vectors @ vector))

        passages = self._fuse(dense, lexical, mode)[:k]
        relevance: Relevance = (
            "strong"
            if top_similarity >= STRONG_SIMILARITY
            else "weak"
            if top_similarity >= WEAK_SIMILARITY
            else "none"
        )
        return SearchResult(query, passages, relevance, round(top_similarity, 4))

    @staticmethod
    def _fuse(
        dense: list[tuple[StoredChunk, float]],
        lexical: list[tuple[StoredChunk, float]],
        mode: Mode,
    ) -> list[Passage]:
        if mode == "dense":
            return [_passage(c, s, similarity=s) for c, s in dense]
        if mode == "bm25":
            return [_passage(c, s, bm25=s) for c, s in lexical]
        fused: dict[str, Passage] = {}
        for rank, (chunk, sim) in enumerate(dense):
            p = fused.setdefault(chunk.id, _passage(chunk, 0.0))
            p.score += 1.0 / (RRF_K + rank + 1)
            p.similarity = sim
        for rank, (chunk, bm) in enumerate(lexical):
            p = fused.setdefault(chunk.id, _passage(chunk, 0.0))
            p.score += 1.0 / (RRF_K + rank + 1)
            p.bm25 = bm
        return sorted(fused.values(), key=lambda p: -p.score)


def _passage(
    chunk: StoredChunk, score: float, similarity: float | None = None, bm25: float | None = None
) -> Passage:
    p = Passage.from_stored(chunk, score)
    p.similarity, p.bm25 = similarity, bm25
    return p
