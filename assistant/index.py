"""The Chroma collection that holds the knowledge chunks: sync it with disk, query it densely.

Local by default (a persistent directory under the data dir); `CHROMA_HOST`/`CHROMA_PORT`
switch to a Chroma server. Sync is idempotent: it upserts what is missing, deletes what is
stale, and embeds only new text, so a process killed mid-way is repaired by the next run.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.embeddings import ChromaEmbeddingAdapter, MiniLMEmbedder, get_embedder
from assistant.errors import CoachError
from assistant.knowledge import Chunk, chunk_all, load_knowledge
from assistant.lexical import LexicalIndex, LexicalStore
from assistant.question_keys import QuestionKey, QuestionKeyStore, collection_name, keys_of

INDEX_FORMAT = "chunks-v2"  # bump when chunking or embedding text changes: forces a rebuild
# A query re-reads the collection's metadata and count at most this often (seconds), so another
# instance's sync is seen within that time without paying two store round trips per query.
STATE_MAX_AGE = 1.0
WRITE_BATCH = 128
READ_PAGE = 5000


class IndexUnavailable(CoachError):
    pass


@dataclass
class SyncReport:
    files: int
    chunks: int
    added: int
    updated: int
    removed: int
    unchanged: int
    embedded: int
    seconds: float
    rebuilt: bool = False
    rebuilt_because: str = ""

    def summary(self) -> str:
        rebuilt = f" (rebuilt: {self.rebuilt_because})" if self.rebuilt else ""
        return (
            f"Indexed {self.files} files into {self.chunks} chunks: {self.added} added, "
            f"{self.updated} updated, {self.removed} removed, {self.unchanged} unchanged "
            f"in {self.seconds:.1f} s{rebuilt}."
        )


@dataclass
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]


def make_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.uses_chroma_server:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
            return client
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises many types; all mean "cannot reach the store"
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
            if settings.uses_chroma_server
            else f"the Chroma directory {settings.chroma_dir}"
        )
        raise IndexUnavailable(
            f"Cannot open {where}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
            "Check CHROMA_HOST/CHROMA_PORT (is `chroma run` up?) or COACH_DATA_DIR.",
        ) from exc


class KnowledgeIndex:
    def __init__(
        self,
        settings: Settings,
        embedder: MiniLMEmbedder | None = None,
        client: Any | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder()
        self.client = client if client is not None else make_client(settings)
        self._ef = ChromaEmbeddingAdapter(self.embedder)
        self.collection = self._open()
        self.keys = QuestionKeyStore(self.client, collection_name(settings.collection), self._ef)
        self._state: tuple[dict[str, Any], int] | None = None
        self._state_at = 0.0

    def _open(self) -> Any:
        # The embedding function is passed on every open: without it Chroma rebuilds one from
        # the persisted config on each query (20x slower) or falls back to its downloader.
        return self.client.get_or_create_collection(
            name=self.settings.collection,
            embedding_function=self._ef,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"format": INDEX_FORMAT, "embedder": self.embedder.model_id},
        )

    def count(self) -> int:
        return int(self.collection.count())

    def fresh_metadata(self) -> dict[str, Any]:
        """The collection's metadata as the store has it now. A Collection object caches what
        it read when opened, so another process's sync (a second app instance sharing a Chroma
        server) is only seen through a fresh read."""
        try:
            self.collection = self.client.get_collection(
                self.settings.collection, embedding_function=self._ef
            )
        except Exception:  # deleted under us: recreate it empty, as on first use
            self.collection = self._open()
        return dict(self.collection.metadata or {})

    def state(self, max_age: float = STATE_MAX_AGE) -> tuple[dict[str, Any], int]:
        """(metadata, chunk count) as the store had them at most `max_age` seconds ago."""
        now = time.monotonic()
        if self._state is None or now - self._state_at > max_age:
            self._state = (self.fresh_metadata(), self.count())
            self._state_at = now
        return self._state

    def revision(self, metadata: dict[str, Any] | None = None, count: int | None = None) -> str:
        """Changes whenever any process changes the collection (the key of the BM25 index)."""
        meta = self.fresh_metadata() if metadata is None else metadata
        return f"{meta.get('revision', '0')}:{self.count() if count is None else count}"

    def built_with(self) -> str | None:
        """The embedding model that built the stored vectors (None for an empty index)."""
        meta = self.collection.metadata or {}
        return str(meta.get("embedder") or "an unknown model") if self.count() else None

    def stale_reason(
        self, metadata: dict[str, Any] | None = None, count: int | None = None
    ) -> str | None:
        """Why the stored vectors cannot serve this embedder, or None when they can. Querying
        vectors of another model would fail with a dimension error or, worse, rank nonsense."""
        meta = self.collection.metadata if metadata is None else metadata
        meta = meta or {}
        if not (self.count() if count is None else count):
            return None
        built = meta.get("embedder") or "an unknown model"
        if built != self.embedder.model_id:
            return f"the embedding model changed from {built} to {self.embedder.model_id}"
        if meta.get("format") != INDEX_FORMAT:
            return "the index format changed"
        return None

    def _paged_get(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """Read the whole collection in pages: one huge get() fails past ~32k rows
        ("too many SQL variables")."""
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=READ_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            if len(page["ids"]) < READ_PAGE:
                return
            offset += READ_PAGE

    def existing_ids(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for page in self._paged_get(["metadatas"]):
            found.update(zip(page["ids"], page["metadatas"] or [], strict=False))
        return found

    def all_chunks(self) -> list[StoredChunk]:
        return [
            StoredChunk(i, d or "", m or {})
            for page in self._paged_get(["documents", "metadatas"])
            for i, d, m in zip(page["ids"], page["documents"], page["metadatas"], strict=False)
        ]

    def get(self, ids: list[str]) -> list[StoredChunk]:
        if not ids:
            return []
        result = self.collection.get(ids=ids, include=["documents", "metadatas"])
        found = {
            i: StoredChunk(i, d or "", m or {})
            for i, d, m in zip(
                result["ids"], result["documents"], result["metadatas"], strict=False
            )
        }
        return [found[i] for i in ids if i in found]

    def query(
        self,
        embedding: Any,
        k: int,
        where: dict[str, Any] | None = None,
        count: int | None = None,
    ) -> list[tuple[StoredChunk, float]]:
        """The k nearest chunks with their cosine similarity (1 - cosine distance)."""
        k = max(1, min(k, self.count() if count is None else count))
        result = self.collection.query(
            query_embeddings=[embedding],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for i, d, m, dist in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=False,
        ):
            hits.append((StoredChunk(i, d or "", m or {}), 1.0 - float(dist)))
        return hits

    def sync(
        self,
        chunks: list[Chunk],
        files: int,
        progress: Callable[[str, int, int], None] | None = None,
        notice: Callable[[str], None] | None = None,
        keys: list[QuestionKey] | None = None,
    ) -> SyncReport:
        """Make the collection hold exactly `chunks` (and the keys collection `keys`, when
        given). progress(stage, done, total); notice(line) once when the whole index must be
        rebuilt (another embedding model, a new format)."""
        started = time.perf_counter()
        because = None
        with self._writer_lock():
            because = self.stale_reason(self.fresh_metadata())
            if because:
                if notice:
                    notice(f"Rebuilding the knowledge index: {because}.")
                self.client.delete_collection(self.settings.collection)
                self.collection = self._open()
                self.keys.drop()
            existing = self.existing_ids()
            wanted = {c.id: c for c in chunks}
            new = [c for c in chunks if c.id not in existing]
            stale = [i for i in existing if i not in wanted]
            # An edit in place shows as a new id and a stale id at the same source + heading.
            stale_places = {(existing[i].get("source"), existing[i].get("heading")) for i in stale}
            updated = sum(1 for c in new if (c.source, c.heading) in stale_places)
            total = len(new)
            if progress:
                progress("embed", 0, total)
            for start in range(0, len(new), WRITE_BATCH):
                batch = new[start : start + WRITE_BATCH]
                vectors = self.embedder.embed([c.embedding_text() for c in batch])
                self.collection.upsert(
                    ids=[c.id for c in batch],
                    embeddings=[v.tolist() for v in vectors],
                    documents=[c.text for c in batch],
                    metadatas=[c.metadata() for c in batch],
                )
                if progress:
                    progress("embed", start + len(batch), total)
            for start in range(0, len(stale), 1000):
                self.collection.delete(ids=stale[start : start + 1000])
            keys_changed = self.keys.sync(keys, self.embedder.embed) if keys is not None else (0, 0)
            if new or stale or any(keys_changed):
                meta = dict(self.collection.metadata or {})
                meta.update(
                    format=INDEX_FORMAT,
                    embedder=self.embedder.model_id,
                    revision=str(time.time_ns()),
                )
                self.collection.modify(metadata=meta)
            self._save_lexical(chunks)
            self._state = None
        return SyncReport(
            files=files,
            chunks=len(chunks),
            added=len(new) - updated,
            updated=updated,
            removed=len(stale) - updated,
            unchanged=len(chunks) - len(new),
            embedded=len(new) + keys_changed[0],
            seconds=time.perf_counter() - started,
            rebuilt=because is not None,
            rebuilt_because=because or "",
        )

    def lexical_store(self) -> LexicalStore:
        return LexicalStore(self.settings.data_dir / "bm25", self.settings.collection)

    def _save_lexical(self, chunks: list[Chunk]) -> None:
        """Build BM25 now, from the chunks just written, so no query pays for it."""
        store, revision = self.lexical_store(), self.revision()
        if store.load(revision) is None:
            store.save(LexicalIndex.build([(c.id, c.text, c.metadata()) for c in chunks]), revision)

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """Chroma is not process-safe for writers: one `coach index` per data dir at a time."""
        if self.settings.uses_chroma_server:
            yield
            return
        lock_path = Path(self.settings.data_dir) / "index.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexUnavailable(
                    "Another process is indexing the knowledge base right now.",
                    "Wait for it to finish, then try again.",
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(
    settings: Settings,
    index: KnowledgeIndex | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> SyncReport:
    """Validate every knowledge file first (nothing is written if one is broken), then sync."""
    documents = load_knowledge(settings.knowledge_dir, settings.max_knowledge_file_bytes)
    chunks = chunk_all(documents)
    index = index or KnowledgeIndex(settings)
    return index.sync(
        chunks, files=len(documents), progress=progress, notice=notice, keys=keys_of(documents)
    )
