"""The BM25 side of hybrid search: built once per index revision and kept on disk.

`coach index` builds it from the chunks it has just written and saves it next to the Chroma
data, keyed to the collection's revision; a query loads it (memory-mapped) instead of reading
the whole collection and re-tokenising it. A process that sees a revision it has no saved index
for (another app instance sharing a Chroma server uploaded documents) builds it from the store
once and saves it for the next query and the next process.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

LEXICAL_FORMAT = "bm25-v2"  # bump when tokenize() or lexical_text() changes
FILTER_FIELDS = ("source", "audience", "kind", "topics")

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


def lexical_text(metadata: dict[str, Any], text: str) -> str:
    """What BM25 indexes for a chunk: its document's title, its section heading and the
    document's summary, then its text (the summary names what the whole document is about)."""
    return (
        f"{metadata.get('title', '')} {metadata.get('heading', '')} "
        f"{metadata.get('summary', '')} {text}"
    )


def _bm25(corpus: list[list[str]]) -> Any:
    import bm25s

    model = bm25s.BM25()
    model.index(corpus, show_progress=False)
    return model


def _best(
    scores: np.ndarray, n: int, accept: Callable[[int], bool] | None
) -> list[tuple[int, float]]:
    """The n best positions with a positive score that `accept` lets through."""
    positive = np.flatnonzero(scores > 0)
    if accept is None and len(positive) > n:
        # Only the n best matter: a partial sort is linear in the number of matches.
        positive = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    hits: list[tuple[int, float]] = []
    for i in positive[np.argsort(-scores[positive], kind="stable")]:
        if len(hits) >= n:
            break
        if accept is None or accept(int(i)):
            hits.append((int(i), float(scores[i])))
    return hits


class LexicalIndex:
    """BM25 over chunks and over whole documents, with the few fields that filters need."""

    def __init__(
        self,
        ids: list[str],
        fields: dict[str, list[str]],
        bm25: Any,
        sources: list[str] | None = None,
        doc_bm25: Any = None,
    ) -> None:
        self.ids = ids
        self.fields = fields
        self.bm25 = bm25
        self.sources = sources or []  # one per document, in the order of doc_bm25's rows
        self.doc_bm25 = doc_bm25
        self._doc_position = {s: i for i, s in enumerate(self.sources)}
        self._first_chunk = {}
        for i, source in enumerate(fields.get("source", [])):
            self._first_chunk.setdefault(source, i)

    @classmethod
    def build(cls, rows: Sequence[tuple[str, str, dict[str, Any]]]) -> LexicalIndex:
        """rows: (chunk id, text, metadata) for every chunk of the collection."""
        ids = [r[0] for r in rows]
        fields = {f: [str(r[2].get(f, "")) for r in rows] for f in FILTER_FIELDS}
        if not rows:  # bm25s averages over the corpus: an empty index would warn "mean of empty"
            return cls(ids, fields, None)
        documents: dict[str, list[str]] = {}
        for _, text, meta in rows:
            source = str(meta.get("source", ""))
            if source not in documents:
                documents[source] = [str(meta.get("title", "")), str(meta.get("summary", ""))]
            documents[source].append(f"{meta.get('heading', '')} {text}")
        return cls(
            ids,
            fields,
            _bm25([tokenize(lexical_text(m, t)) for _, t, m in rows]),
            list(documents),
            _bm25([tokenize(" ".join(parts)) for parts in documents.values()]),
        )

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def _scores(model: Any, query: str, size: int) -> np.ndarray:
        if model is None:
            return np.zeros(size, dtype=np.float32)
        vocab = model.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return np.zeros(size, dtype=np.float32)
        return np.asarray(model.get_scores(tokens), dtype=np.float32)

    def scores(self, query: str) -> np.ndarray:
        return self._scores(self.bm25, query, len(self.ids))

    def _accepts(self, position: int, filters: Any) -> bool:
        meta: dict[str, Any] = {f: self.fields[f][position] for f in FILTER_FIELDS}
        for topic in meta["topics"].split(","):
            if topic:
                meta[f"topic:{topic}"] = True
        return bool(filters.accepts(meta))

    def top(self, query: str, n: int, filters: Any | None = None) -> list[tuple[str, float, str]]:
        """The n best chunks as (chunk id, BM25 score, source), positive scores only."""
        accept = None if filters is None else (lambda i: self._accepts(i, filters))
        best = _best(self.scores(query), n, accept)
        return [(self.ids[i], s, self.fields["source"][i]) for i, s in best]

    def top_documents(
        self, query: str, n: int, filters: Any | None = None
    ) -> list[tuple[str, float]]:
        """The n best whole documents as (source, BM25 score), positive scores only."""
        scores = self._scores(self.doc_bm25, query, len(self.sources))
        accept = (
            None
            if filters is None
            else (lambda i: self._accepts(self._first_chunk[self.sources[i]], filters))
        )
        return [(self.sources[i], s) for i, s in _best(scores, n, accept)]


class LexicalStore:
    """Saved BM25 indexes under <data dir>/bm25/, one folder per collection and revision."""

    def __init__(self, root: Path, collection: str) -> None:
        self.root = Path(root)
        self.collection = collection

    def _folder(self, revision: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.collection}--{LEXICAL_FORMAT}--{revision}")
        return self.root / safe

    def load(self, revision: str) -> LexicalIndex | None:
        folder = self._folder(revision)
        if not (folder / "ids.json").is_file():
            return None
        try:
            meta = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            if not meta["ids"]:
                return LexicalIndex(meta["ids"], meta["fields"], None)
            import bm25s

            return LexicalIndex(
                meta["ids"],
                meta["fields"],
                bm25s.BM25.load(str(folder / "chunks"), mmap=True, show_progress=False),
                meta["sources"],
                bm25s.BM25.load(str(folder / "documents"), mmap=True, show_progress=False),
            )
        except (OSError, ValueError, KeyError):  # a half-written or foreign folder: rebuild it
            return None

    def save(self, index: LexicalIndex, revision: str) -> None:
        """Write atomically (a temporary folder renamed into place), then drop older revisions
        of this collection. Failing to save only costs a rebuild later, so it never raises."""
        folder = self._folder(revision)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".saving-", dir=self.root))
            if index.bm25 is not None:
                index.bm25.save(str(tmp / "chunks"), show_progress=False)
                index.doc_bm25.save(str(tmp / "documents"), show_progress=False)
            listing = {"ids": index.ids, "fields": index.fields, "sources": index.sources}
            (tmp / "ids.json").write_text(json.dumps(listing), encoding="utf-8")
            if folder.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                os.replace(tmp, folder)
            prefix = self._folder("").name
            for old in self.root.glob(f"{prefix}*"):
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            return
