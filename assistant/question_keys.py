"""Question keys: the questions each knowledge document answers, embedded beside its chunks.

Each document may list, in its front matter, a few questions in users' words. They live in a
second Chroma collection (`<collection>-keys`) so they never show up as passages; a query that
matches a key votes for the key's document in the retriever's document-level fusion. Like the
chunks, a key's id is a hash of its content, so an unchanged knowledge base embeds nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.knowledge import Document, question_keys

KEY_CANDIDATES = 50


@dataclass(frozen=True)
class QuestionKey:
    id: str
    source: str
    text: str
    metadata: dict[str, str | bool]


def keys_of(documents: Iterable[Document]) -> list[QuestionKey]:
    keys: list[QuestionKey] = []
    for doc in documents:
        meta: dict[str, str | bool] = {
            "source": doc.source,
            "title": doc.title,
            "audience": doc.audience,
            "kind": doc.kind,
            "topics": ",".join(doc.topics),
            **{f"topic:{t}": True for t in doc.topics},
        }
        for question in dict.fromkeys(question_keys(doc)):
            digest = hashlib.sha256(
                "\x00".join([doc.source, question, *map(str, meta.values())]).encode("utf-8")
            ).hexdigest()[:24]
            keys.append(QuestionKey(digest, doc.source, question, meta))
    return keys


def collection_name(chunks_collection: str) -> str:
    return f"{chunks_collection}-keys"


class QuestionKeyStore:
    """The keys collection: synced with the documents' keys, queried with the query vector."""

    def __init__(self, client: Any, name: str, embedding_function: Any) -> None:
        self.client = client
        self.name = name
        self._ef = embedding_function
        self.collection = self._open()
        self._count: tuple[float, int] | None = None

    def _open(self) -> Any:
        return self.client.get_or_create_collection(
            name=self.name,
            embedding_function=self._ef,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def drop(self) -> None:
        try:
            self.client.delete_collection(self.name)
        except Exception:  # already gone: nothing to drop
            pass
        self.collection = self._open()

    def count(self, max_age: float = 0.0) -> int:
        """The number of keys, re-read when the last read is older than max_age seconds."""
        now = time.monotonic()
        if self._count is None or now - self._count[0] > max_age:
            self._count = (now, int(self.collection.count()))
        return self._count[1]

    def sync(self, keys: list[QuestionKey], embed: Any) -> tuple[int, int]:
        """Make the collection hold exactly `keys`; returns (embedded, removed)."""
        existing = set(self.collection.get(include=[])["ids"])
        wanted = {k.id for k in keys}
        new = [k for k in keys if k.id not in existing]
        stale = [i for i in existing if i not in wanted]
        for start in range(0, len(new), 256):
            batch = new[start : start + 256]
            vectors = embed([k.text for k in batch])
            self.collection.upsert(
                ids=[k.id for k in batch],
                embeddings=[v.tolist() for v in vectors],
                documents=[k.text for k in batch],
                metadatas=[k.metadata for k in batch],
            )
        for start in range(0, len(stale), 1000):
            self.collection.delete(ids=stale[start : start + 1000])
        return len(new), len(stale)

    def query(
        self, embedding: Any, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float, str]]:
        """The k nearest keys as (source, cosine similarity, question)."""
        count = self.count(max_age=1.0)
        if not count:
            return []
        result = self.collection.query(
            query_embeddings=[embedding],
            n_results=max(1, min(k, count)),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (str((m or {}).get("source", "")), 1.0 - float(dist), d or "")
            for d, m, dist in zip(
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=False,
            )
        ]
