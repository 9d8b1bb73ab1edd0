"""`coach index` and `coach search`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from assistant.config import Settings
from assistant.index import KnowledgeIndex, SyncReport, build_index
from assistant.knowledge import AUDIENCES, KINDS
from assistant.retrieval import Filters, Retriever


class ProgressBar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, label: str, stream=sys.stderr) -> None:  # noqa: ANN001
        self.label = label
        self.stream = stream
        self.tty = stream.isatty()
        self._last = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total == 0:
            return
        pct = int(100 * done / total)
        if self.tty:
            filled = pct * 30 // 100
            bar = "#" * filled + "-" * (30 - filled)
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total} chunks{end}")
            self.stream.flush()
        elif pct // 25 != self._last // 25 or done >= total:
            self.stream.write(f"{self.label}: {done}/{total} chunks\n")
        self._last = pct


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    report: SyncReport = build_index(settings, progress=ProgressBar("Embedding"), notice=_notice)
    if args.json:
        print(json.dumps(report.__dict__))
    else:
        print(report.summary())
    return 0


def _notice(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ensure_index(settings: Settings, index: KnowledgeIndex) -> None:
    """Build the index on first use, so `coach search` works right after install, and rebuild
    it when it was built with another embedding model (the sync prints a one-line notice)."""
    if index.count() == 0:
        print("The knowledge index is empty; building it now (about 10 s)...", file=sys.stderr)
    elif not index.stale_reason(index.fresh_metadata()):
        return
    report = build_index(settings, index=index, progress=ProgressBar("Embedding"), notice=_notice)
    print(report.summary(), file=sys.stderr)


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    index = KnowledgeIndex(settings)
    ensure_index(settings, index)
    started = time.perf_counter()
    result = Retriever(index).search(
        args.query,
        k=args.k,
        filters=Filters(audience=args.audience, topics=args.topic or (), kinds=args.kind or ()),
        mode=args.mode,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if args.json:
        print(
            json.dumps(
                {
                    "results": [p.to_json() for p in result.passages],
                    "relevance": result.relevance,
                    "top_similarity": result.top_similarity,
                },
                ensure_ascii=False,
            )
        )
        return 0
    if not result.passages:
        print("No passages match those filters.")
        return 0
    verdict = {
        "strong": "relevant guidance found",
        "weak": "only weak matches: the knowledge base may not cover this well",
        "none": "nothing relevant found: the knowledge base does not seem to cover this",
    }[result.relevance]
    print(f"{len(result.passages)} results in {elapsed:.0f} ms ({verdict})\n")
    for n, p in enumerate(result.passages, 1):
        where = f"{p.title} › {p.heading}" if p.heading else p.title
        snippet = " ".join(p.text.split())
        snippet = snippet if len(snippet) <= 240 else snippet[:237] + "..."
        print(f"[{n}] {where}\n    {p.source}  (score {p.score:.4f})\n    {snippet}\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or update the knowledge index")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run_index)

    s = sub.add_parser("search", help="search the knowledge base")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=5, help="number of results (1-50, default 5)")
    s.add_argument("--audience", choices=AUDIENCES, help="keep passages for this audience")
    s.add_argument("--topic", action="append", help="keep passages with this topic (repeatable)")
    s.add_argument("--kind", action="append", choices=KINDS, help="keep this kind (repeatable)")
    s.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    s.add_argument("--json", action="store_true", help="print results as JSON")
    s.set_defaults(func=run_search)
