"""Knowledge base: browse documents and their chunks, search, upload, re-index, stats.

An upload goes through knowledge.add_document (the same checks as `coach index` and
`coach knowledge add`) and is written into the knowledge folder only when it passes; a
rejected file is named with its reason, and the index is left as it was. Re-indexing shows
its progress in `st.status`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.access import Permission
from assistant.errors import CoachError, KnowledgeError
from assistant.knowledge import (
    AUDIENCES,
    CONTENT,
    EXISTS,
    KINDS,
    Document,
    DocumentRejected,
    add_document,
    find_files,
    parse_document,
)
from assistant.ui.resources import services, settings
from assistant.ui.widgets import show_error

# The largest file the browser sends (MB); .streamlit/config.toml's server.maxUploadSize must
# be at least this. The coach's own limit (COACH_MAX_KNOWLEDGE_FILE_BYTES) is far lower.
UPLOAD_TRANSPORT_MB = 50
# What to do about a rejected upload, said for someone on this page.
PAGE_HINTS = {
    CONTENT: "Fix the file (see knowledge/README.md for the format) and upload it again.",
    EXISTS: "Tick “Replace documents with the same name”, or rename the file.",
}
SEARCH_RESULT = "kb_search_result"
FLASH = "kb_flash"


def _documents(root: Path, max_bytes: int) -> tuple[list[Document], list[str]]:
    """Every document and every file's problem. Parsing all files costs ~30 ms, stat-ing them
    ~1 ms, so the parse is cached on the files' names, sizes and modification times: any
    change on disk (an upload, an edit, `coach index` elsewhere) is picked up at once."""
    fingerprint = []
    for path in find_files(root):
        try:
            stat = path.stat()
        except OSError:  # removed while we looked: it is simply not there any more
            continue
        fingerprint.append((path.relative_to(root).as_posix(), stat.st_mtime_ns, stat.st_size))
    return _parse_all(str(root), max_bytes, tuple(fingerprint))


@st.cache_data(show_spinner=False, max_entries=4)
def _parse_all(
    root_name: str, max_bytes: int, fingerprint: tuple[tuple[str, int, int], ...]
) -> tuple[list[Document], list[str]]:
    root = Path(root_name)
    documents, problems = [], []
    for name, _, _ in fingerprint:
        try:
            documents.append(parse_document((root / name).read_bytes(), name, max_bytes))
        except KnowledgeError as err:
            problems.append(err.message)
        except OSError as err:
            problems.append(f"{name}: could not be read ({err.strerror})")
    return documents, problems


def _stats(documents: list[Document], problems: list[str]) -> int | None:
    try:
        chunks: int | None = services().index.count()
    except CoachError as err:
        show_error(err)
        chunks = None
    first, second, third = st.columns(3)
    first.metric("Documents", len(documents))
    second.metric("Chunks in the index", "—" if chunks is None else f"{chunks:,}")
    third.metric("Files with problems", len(problems))
    if chunks == 0:
        st.warning(
            "The index is not built yet: press **Re-index now** below.", icon=":material/warning:"
        )
    for problem in problems:
        st.error(problem, icon=":material/description:")
    return chunks


def _browse(documents: list[Document]) -> None:
    if not documents:
        st.info("No documents yet: upload one below.", icon=":material/folder_open:")
        return
    kinds = Counter(doc.kind for doc in documents)
    st.caption(" · ".join(f"{count} {kind}(s)" for kind, count in sorted(kinds.items())))
    st.dataframe(
        [
            {
                "Title": d.title,
                "Audience": d.audience,
                "Kind": d.kind,
                "Topics": ", ".join(d.topics),
                "File": d.source,
            }
            for d in documents
        ],
        hide_index=True,
    )
    by_source = {doc.source: doc for doc in documents}
    source = st.selectbox(
        "Open a document",
        list(by_source),
        key="kb_open",
        format_func=lambda s: f"{by_source[s].title} ({s})",
    )
    if not source:
        return
    doc = by_source[source]
    with st.container(border=True):
        st.caption(f"knowledge/{doc.source} · for {doc.audience} · {doc.kind}")
        st.markdown(f"_{doc.summary}_")
        st.markdown(doc.body)
    try:
        chunks = [c for c in services().retriever.chunks() if c.metadata.get("source") == source]
    except CoachError as err:
        show_error(err)
        return
    chunks.sort(key=lambda c: int(c.metadata.get("ordinal", 0)))
    st.caption(f"{len(chunks)} chunk(s) of this document are in the index.")
    for chunk in chunks:
        heading = chunk.metadata.get("heading") or "(introduction)"
        with st.expander(f"Chunk {int(chunk.metadata.get('ordinal', 0)) + 1}: {heading}"):
            st.caption(f"id {chunk.id}")
            st.markdown(chunk.text)


def _search() -> None:
    from assistant.retrieval import RELEVANCE_VERDICTS, Filters

    with st.form("kb_search_form", clear_on_submit=False):
        query = st.text_input("Search the knowledge base", key="kb_query")
        first, second, third = st.columns(3)
        audience = first.selectbox("For", ["any", *AUDIENCES[:-1]], key="kb_audience")
        kinds = second.multiselect("Kinds", list(KINDS), key="kb_kinds")
        mode = third.radio("Method", ["hybrid", "dense", "bm25"], horizontal=True, key="kb_mode")
        submitted = st.form_submit_button("Search", icon=":material/search:")
    if submitted:
        filters = Filters(audience=None if audience == "any" else audience, kinds=kinds or ())
        try:
            result = services().retriever.search(
                query or "", k=8, filters=filters, mode=mode or "hybrid"
            )
        except CoachError as err:
            show_error(err)
            st.session_state.pop(SEARCH_RESULT, None)
            return
        st.session_state[SEARCH_RESULT] = {
            "query": result.query,
            "relevance": result.relevance,
            "passages": [p.to_json() for p in result.passages],
        }
    found: dict[str, Any] | None = st.session_state.get(SEARCH_RESULT)
    if not found:
        return
    verdict = RELEVANCE_VERDICTS[found["relevance"]]
    st.caption(f"{len(found['passages'])} passage(s) for “{found['query']}”. {verdict}")
    for n, passage in enumerate(found["passages"], start=1):
        heading = f" — {passage['heading']}" if passage["heading"] else ""
        with st.expander(f"{n}. {passage['title']}{heading}"):
            st.caption(f"knowledge/{passage['source']} · score {passage['score']:.4f}")
            st.markdown(passage["text"])


def _upload() -> tuple[list[str], int]:
    """Validate and save uploads; return what was added and how many files were rejected."""
    cfg = settings()
    generation = st.session_state.setdefault("kb_upload_generation", 0)
    files = st.file_uploader(
        "Add .md or .txt documents (with front matter)",
        type=["md", "txt"],
        accept_multiple_files=True,
        key=f"kb_upload_{generation}",
        # Far above the coach's own limit, so an oversized document reaches add_document and
        # is refused with its size; a file over this the browser drops, marked in red.
        max_upload_size=UPLOAD_TRANSPORT_MB,
    )
    replace = st.checkbox("Replace documents with the same name", key="kb_replace")
    if not st.button("Validate and add", key="kb_add", icon=":material/upload_file:"):
        return [], 0
    if not files:
        st.error(
            "Choose at least one .md or .txt file first. (A file the uploader marks in red "
            f"was not sent: files over {UPLOAD_TRANSPORT_MB} MB are not accepted.)",
            icon=":material/upload_file:",
        )
        return [], 0
    added, rejected = [], 0
    for upload in files:
        try:
            result = add_document(
                cfg.knowledge_dir,
                upload.name,
                upload.getvalue(),
                max_bytes=cfg.max_knowledge_file_bytes,
                replace=replace,
            )
        except DocumentRejected as err:
            hint = PAGE_HINTS.get(err.problem, err.hint)
            st.error(f"Rejected {err.message}. {hint}", icon=":material/block:")
            rejected += 1
            continue
        except OSError as err:
            st.error(
                f"Could not save {upload.name}: {err.strerror}. Check that "
                f"{cfg.knowledge_dir} is writable.",
                icon=":material/block:",
            )
            rejected += 1
            continue
        doc = result.document
        added.append(f"Added “{doc.title}” as knowledge/{doc.source}.")
    if added:
        st.session_state["kb_upload_generation"] = generation + 1  # empties the uploader
    return added, rejected


def _flash_and_rerun(messages: list[str]) -> None:
    """Show these after a rerun, so the stats and the document list include the change."""
    st.session_state[FLASH] = messages
    st.rerun()


def _reindex() -> str | None:
    """Sync the index with the folder; the report's summary, or None on failure."""
    from assistant.index import build_index

    svc = services()
    with st.status("Re-indexing the knowledge base…", expanded=True) as status:
        bar = st.progress(0.0, text="Checking every document…")

        def progress(stage: str, done: int, total: int) -> None:
            if total:
                bar.progress(
                    min(done / total, 1.0), text=f"Embedding new or changed chunks: {done}/{total}"
                )
            else:
                bar.progress(1.0, text="Nothing new to embed.")

        try:
            report = build_index(svc.settings, index=svc.index, progress=progress)
        except CoachError as err:
            status.update(
                label="Re-indexing failed: the index was left as it was.",
                state="error",
                expanded=True,
            )
            show_error(err)
            return None
        status.update(label=report.summary(), state="complete", expanded=False)
    return report.summary()


def render() -> None:
    st.title("Knowledge base")
    cfg = settings()
    st.caption(
        f"Documents live in {cfg.knowledge_dir}. The coach only answers from what is indexed here."
    )
    try:
        documents, problems = _documents(cfg.knowledge_dir, cfg.max_knowledge_file_bytes)
    except KnowledgeError as err:
        show_error(err)
        documents, problems = [], []
    for message in st.session_state.pop(FLASH, []):
        st.success(message, icon=":material/check_circle:")
    _stats(documents, problems)
    browse, search, upload, reindex = st.tabs(["Browse", "Search", "Upload", "Re-index"])
    with search:
        _search()
    may_upload = services().actor.can(Permission.KNOWLEDGE_UPLOAD)
    with upload:
        if not may_upload:
            # Documents shape every user's answers: leads and admins add them.
            st.info(
                "Only program leads and admins add documents. Ask your program lead to add one.",
                icon=":material/lock:",
            )
        st.caption(
            "Each file needs YAML front matter: title, audience, topics, kind, summary "
            "(see knowledge/README.md). Valid files are indexed right away."
        )
        added, rejected = _upload() if may_upload else ([], 0)
        for message in added:
            st.success(message, icon=":material/check:")
        summary = _reindex() if added else None
        if summary and not rejected:
            _flash_and_rerun([*added, summary])
        elif summary:
            st.success(summary, icon=":material/check_circle:")
    with reindex:
        st.caption("Re-indexing embeds only new or changed text; unchanged chunks are kept.")
        if may_upload and st.button(
            "Re-index now", key="kb_reindex", type="primary", icon=":material/sync:"
        ):
            summary = _reindex()
            if summary:
                _flash_and_rerun([summary])
    with browse:
        _browse(documents)
