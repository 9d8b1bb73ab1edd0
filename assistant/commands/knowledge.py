"""`coach index`, `coach search` and `coach knowledge add`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from assistant.config import Settings
from assistant.errors import CoachError, InputError
from assistant.index import KnowledgeIndex, SyncReport, build_index
from assistant.knowledge import AUDIENCES, CONTENT, EXISTS, KINDS, DocumentRejected, add_document
from assistant.retrieval import RELEVANCE_VERDICTS, Filters, Retriever


class ProgressBar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, label: str, stream=None) -> None:  # noqa: ANN001
        self.label = label
        self.stream = stream or sys.stderr  # looked up now: sys.stderr may have been swapped
        self.tty = self.stream.isatty()
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


# What to do about a rejected document, said for someone at the command line.
CLI_HINTS = {
    CONTENT: "Fix the file (see knowledge/README.md for the format) and run "
    "`coach knowledge add FILE` again.",
    EXISTS: "Add --replace to overwrite it, or rename the file.",
}


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """Validate one file, write it into the knowledge folder, then update the index."""
    from assistant.access import Permission
    from assistant.services import build_services

    # Documents shape every user's answers: leads and admins only (anyone in personal mode).
    build_services(settings).store.check(Permission.KNOWLEDGE_UPLOAD)
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"Cannot read {args.file} ({exc.strerror}).", "Give the path of a .md or .txt file."
        ) from exc
    try:
        added = add_document(
            settings.knowledge_dir,
            path.name,
            raw,
            max_bytes=settings.max_knowledge_file_bytes,
            replace=args.replace,
        )
    except DocumentRejected as err:
        hint = CLI_HINTS.get(err.problem, err.hint)
        raise DocumentRejected(f"{err.message}.", err.problem, hint) from None
    except OSError as exc:
        raise CoachError(
            f"Cannot write into the knowledge folder {settings.knowledge_dir} ({exc.strerror}).",
            "Make it writable, or set COACH_KNOWLEDGE_DIR to a folder you can write to.",
        ) from exc
    doc = added.document
    verb = "Replaced" if added.replaced else "Added"
    line = f"{verb} “{doc.title}” as knowledge/{doc.source}."
    try:
        report = build_index(settings, progress=ProgressBar("Embedding"))
    except CoachError as err:
        raise type(err)(f"{line} The index was not updated: {err.message}", err.hint) from err
    if args.json:
        print(
            json.dumps(
                {
                    "source": doc.source,
                    "title": doc.title,
                    "replaced": added.replaced,
                    "index": report.__dict__,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(line)
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
    verdict = RELEVANCE_VERDICTS[result.relevance]
    print(f"{len(result.passages)} results in {elapsed:.0f} ms. {verdict}\n")
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

    k = sub.add_parser("knowledge", help="add documents to the knowledge base")
    actions = k.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser(
        "add", help="check a .md or .txt document, add it to the knowledge folder, re-index"
    )
    a.add_argument("file", metavar="FILE", help="the document (YAML front matter, then text)")
    a.add_argument("--replace", action="store_true", help="overwrite a document of that name")
    a.add_argument("--json", action="store_true", help="print the result as JSON")
    a.set_defaults(func=run_add)

    s = sub.add_parser("search", help="search the knowledge base")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=5, help="number of results (1-50, default 5)")
    s.add_argument("--audience", choices=AUDIENCES, help="keep passages for this audience")
    s.add_argument("--topic", action="append", help="keep passages with this topic (repeatable)")
    s.add_argument("--kind", action="append", choices=KINDS, help="keep this kind (repeatable)")
    s.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    s.add_argument("--json", action="store_true", help="print results as JSON")
    s.set_defaults(func=run_search)
