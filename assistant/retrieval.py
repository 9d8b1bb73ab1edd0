"""Hybrid search over the knowledge index: dense (Chroma) + BM25, fused by reciprocal rank.

Callers get passages plus a relevance verdict ("strong", "weak", "none") so they can tell
"nothing relevant found" from a weak match and refuse to invent advice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from assistant.errors import IndexNotReady, InputError
from assistant.index import KnowledgeIndex, StoredChunk
from assistant.knowledge import ActivityCard, activity_cards
from assistant.lexical import LexicalIndex, tokenize
from assistant.question_keys import KEY_CANDIDATES
from assistant.schemas import Relevance

__all__ = ["Filters", "Passage", "Retriever", "SearchResult", "tokenize"]

Mode = Literal["hybrid", "dense", "bm25"]

RRF_K = 60  # the usual constant of reciprocal rank fusion
CANDIDATES = 50  # per retriever, before fusion
# Hybrid search ranks documents first, by reciprocal rank fusion of four document rankings:
# best dense chunk, best BM25 chunk, best question key, BM25 over the whole document. A small
# constant lets the leaders of each ranking count (chosen on evals/datasets/retrieval.jsonl; the
# benchmark's table (c3) compares it with chunk-level fusion). Passages follow their document's
# rank; CHUNK_SHARE of the chunk-level fused score orders the passages of one document.
DOC_RRF_K = 10
CHUNK_SHARE = 0.01
PER_DOCUMENT = 2  # passages per document before the next document's (the rest come after)
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


class Retriever:
    def __init__(self, index: KnowledgeIndex, document_fusion: bool = True) -> None:
        self.index = index
        self.document_fusion = document_fusion  # False: chunk-level RRF only (the old ranking)
        self._lexical: LexicalIndex | None = None
        self._lexical_revision: str | None = None
        self._chunks: list[StoredChunk] = []
        self._chunks_revision: str | None = None
        self._cards: tuple[list[StoredChunk], Mapping[str, ActivityCard]] | None = None
        self._lock = threading.Lock()
        self._store = index.lexical_store()

    def _lexical_index(self, revision: str) -> LexicalIndex:
        """The BM25 index of this revision: in memory, else saved by `coach index` (or by
        another query), else built from the store once and saved."""
        with self._lock:
            if self._lexical is None or self._lexical_revision != revision:
                lexical = self._store.load(revision)
                if lexical is None:
                    chunks = self.index.all_chunks()
                    lexical = LexicalIndex.build([(c.id, c.text, c.metadata) for c in chunks])
                    self._store.save(lexical, revision)
                    self._chunks, self._chunks_revision = chunks, revision
                self._lexical, self._lexical_revision = lexical, revision
            return self._lexical

    def chunks(self) -> list[StoredChunk]:
        """Every stored chunk, read from the index once per index revision, so callers such as
        the agenda planner do not re-read the store on every request."""
        revision = self.index.revision()
        with self._lock:
            if self._chunks_revision != revision:
                self._chunks, self._chunks_revision = self.index.all_chunks(), revision
            return self._chunks

    def activity_cards(self) -> Mapping[str, ActivityCard]:
        """The activity cards in the index, by source, decoded once per index revision."""
        chunks = self.chunks()
        with self._lock:
            if self._cards is None or self._cards[0] is not chunks:
                self._cards = (chunks, MappingProxyType(activity_cards(chunks)))
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
        metadata, count = self.index.state()
        if count == 0:
            raise IndexNotReady()
        stale = self.index.stale_reason(metadata, count)
        if stale:
            raise IndexNotReady(f"The knowledge index must be rebuilt: {stale}.")
        filters = filters or Filters()
        where = filters.where()

        dense: list[tuple[StoredChunk, float]] = []
        top_similarity = 0.0
        if mode in ("hybrid", "dense"):
            vector = self.index.embedder.embed_one(query)
            dense = self.index.query(vector.tolist(), CANDIDATES, where, count=count)
            top_similarity = max((s for _, s in dense), default=0.0)
        hits: list[tuple[str, float, str]] = []
        if mode in ("hybrid", "bm25"):
            lex = self._lexical_index(self.index.revision(metadata, count))
            hits = lex.top(query, CANDIDATES, filters if where else None)
        if mode == "hybrid" and self.document_fusion:
            passages = self._rank_documents(query, k, vector, dense, hits, lex, filters)
        else:
            found = {c.id: c for c in self.index.get([i for i, _, _ in hits])}
            lexical = [(found[i], s) for i, s, _ in hits if i in found]
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

    def _rank_documents(
        self,
        query: str,
        k: int,
        vector: np.ndarray,
        dense: list[tuple[StoredChunk, float]],
        hits: list[tuple[str, float, str]],
        lex: LexicalIndex,
        filters: Filters,
    ) -> list[Passage]:
        """Documents ranked by fusing four rankings, then their chunks; only the k passages
        returned are read from the store."""
        where = filters.where()
        keys = self.index.keys.query(vector.tolist(), KEY_CANDIDATES, where)
        rankings = [
            [str(c.metadata.get("source", "")) for c, _ in dense],
            [source for _, _, source in hits],
            [source for source, _, _ in keys],
            [s for s, _ in lex.top_documents(query, CANDIDATES, filters if where else None)],
        ]
        doc_score: dict[str, float] = {}
        for ranking in rankings:
            for rank, source in enumerate(dict.fromkeys(ranking)):
                doc_score[source] = doc_score.get(source, 0.0) + 1.0 / (DOC_RRF_K + rank + 1)
        chunk_score: dict[str, float] = {}
        source_of: dict[str, str] = {}
        stored = {c.id: c for c, _ in dense}
        similarity = {c.id: s for c, s in dense}
        bm25 = {i: s for i, s, _ in hits}
        for rank, (chunk, _) in enumerate(dense):
            chunk_score[chunk.id] = 1.0 / (RRF_K + rank + 1)
            source_of[chunk.id] = str(chunk.metadata.get("source", ""))
        for rank, (chunk_id, _, source) in enumerate(hits):
            chunk_score[chunk_id] = chunk_score.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            source_of[chunk_id] = source
        leaders = sorted(doc_score, key=lambda s: -doc_score[s])[:k]
        covered = set(source_of.values())
        missing = [s for s in leaders if s not in covered]
        if missing:  # a document found only by its keys or as a whole: show its best chunk
            for chunk, sim in self._best_chunks(missing, vector, where):
                stored[chunk.id], similarity[chunk.id] = chunk, sim
                source_of[chunk.id], chunk_score[chunk.id] = str(chunk.metadata["source"]), 0.0
        score = {
            i: doc_score.get(source_of[i], 0.0) + CHUNK_SHARE * chunk_score[i] for i in source_of
        }
        ordered = sorted(score, key=lambda i: -score[i])
        shown: dict[str, int] = {}
        first, later = [], []
        for i in ordered:
            shown[source_of[i]] = shown.get(source_of[i], 0) + 1
            (first if shown[source_of[i]] <= PER_DOCUMENT else later).append(i)
        chosen = (first + later)[:k]
        stored.update({c.id: c for c in self.index.get([i for i in chosen if i not in stored])})
        return [
            _passage(stored[i], score[i], similarity.get(i), bm25.get(i))
            for i in chosen
            if i in stored
        ]

    def _best_chunks(
        self, sources: list[str], vector: np.ndarray, where: dict[str, Any] | None
    ) -> list[tuple[StoredChunk, float]]:
        clause: dict[str, Any] = {"source": {"$in": sources}}
        got = self.index.collection.get(
            where={"$and": [clause, where]} if where else clause,
            include=["documents", "metadatas", "embeddings"],
        )
        best: dict[str, tuple[StoredChunk, float]] = {}
        for i, d, m, e in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=False
        ):
            sim = float(np.asarray(e, dtype=np.float32) @ vector)
            source = str((m or {}).get("source", ""))
            if source not in best or sim > best[source][1]:
                best[source] = (StoredChunk(i, d or "", m or {}), sim)
        return list(best.values())


def _passage(
    chunk: StoredChunk, score: float, similarity: float | None = None, bm25: float | None = None
) -> Passage:
    p = Passage.from_stored(chunk, score)
    p.similarity, p.bm25 = similarity, bm25
    return p
