"""The knowledge base on disk: find documents, validate front matter, split into chunks.

A chunk id is a hash of its source, heading path and text, so an unchanged chunk keeps its id
across runs and re-indexing an unchanged knowledge base embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import yaml
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from assistant.errors import KnowledgeError

AUDIENCES = ("mentor", "mentee", "lead", "all")
KINDS = ("guide", "playbook", "activity", "starters")
STAGES = ("first", "middle", "closing")
SLOTS = ("opening", "core", "wrap-up")
REQUIRED = ("title", "audience", "topics", "kind", "summary")
SUFFIXES = (".md", ".txt")
MIN_BODY_CHARS = 40
MAX_QUESTION_KEY_CHARS = 300
CHUNK_CHARS = 1100
CHUNK_OVERLAP = 120
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)\Z", re.DOTALL)
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the knowledge folder, POSIX separators
    title: str
    audience: str
    topics: tuple[str, ...]
    kind: str
    summary: str
    body: str
    extra: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class ActivityCard:
    """An activity a session plan can use. Its fields travel in every chunk of the card's
    document as flat Chroma metadata: `to_metadata` writes them and `from_metadata` reads
    them back, so the storage format has one owner."""

    source: str
    title: str
    summary: str
    minutes_min: int
    minutes_max: int
    minutes_default: int
    stages: tuple[str, ...]
    slot: str
    provides: tuple[str, ...]
    # What the pair does in it, said once for any session: "{Focus}: the mentor shows it once,
    # then..." ({Focus}: the item's goals or the topic; {topic}: the topic; {today}: the
    # session's goals or the topic). Written in code into an item's details when the model
    # gives none that is usable (agendas.card_detail).
    does: str = ""
    how_to: str = ""
    chunk_id: str = ""  # the chunk to cite (its "How to run it" section when there is one)

    def suits(self, stage: str) -> bool:
        return stage in self.stages

    @classmethod
    def from_document(cls, doc: Document) -> ActivityCard | None:
        if doc.kind != "activity":
            return None
        return cls(
            source=doc.source,
            title=doc.title,
            summary=doc.summary,
            minutes_min=int(doc.extra["minutes_min"]),  # type: ignore[call-overload]
            minutes_max=int(doc.extra["minutes_max"]),  # type: ignore[call-overload]
            minutes_default=int(doc.extra["minutes_default"]),  # type: ignore[call-overload]
            stages=tuple(doc.extra["stages"]),  # type: ignore[arg-type]
            slot=str(doc.extra["slot"]),
            provides=tuple(doc.extra.get("provides", [])),  # type: ignore[arg-type]
            does=str(doc.extra.get("does", "")),
        )

    def to_metadata(self) -> dict[str, str | int]:
        """The card's own fields as Chroma scalars (lists become comma strings). Source, title
        and summary are not repeated: every chunk already stores them."""
        return {
            "minutes_min": self.minutes_min,
            "minutes_max": self.minutes_max,
            "minutes_default": self.minutes_default,
            "stages": ",".join(self.stages),
            "slot": self.slot,
            "provides": ",".join(self.provides),
            "does": self.does,
        }

    @classmethod
    def from_metadata(
        cls, meta: Mapping[str, Any], how_to: str = "", chunk_id: str = ""
    ) -> ActivityCard | None:
        """The card a chunk's metadata describes, or None when the chunk is not from a card."""
        if meta.get("kind") != "activity" or "minutes_default" not in meta:
            return None
        source = str(meta.get("source", ""))
        return cls(
            source=source,
            title=str(meta.get("title", source)),
            summary=str(meta.get("summary", "")),
            minutes_min=int(meta["minutes_min"]),
            minutes_max=int(meta["minutes_max"]),
            minutes_default=int(meta["minutes_default"]),
            stages=_split_list(meta.get("stages")),
            slot=str(meta.get("slot", "core")),
            provides=_split_list(meta.get("provides")),
            does=str(meta.get("does", "")),
            how_to=how_to,
            chunk_id=chunk_id,
        )


def _split_list(value: object) -> tuple[str, ...]:
    return tuple(part for part in str(value or "").split(",") if part)


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    title: str
    heading: str  # "Section > Subsection", empty for text before the first heading
    text: str
    audience: str
    kind: str
    topics: tuple[str, ...]
    ordinal: int  # position within its document
    summary: str = ""
    card: ActivityCard | None = field(default=None, hash=False, compare=False)

    def embedding_text(self) -> str:
        """What gets embedded: the title and heading give a short section its context."""
        head = f"{self.title} — {self.heading}" if self.heading else self.title
        return f"{head}\n{self.text}"

    def metadata(self) -> dict[str, str | int | bool]:
        meta: dict[str, str | int | bool] = {
            "source": self.source,
            "title": self.title,
            "heading": self.heading,
            "audience": self.audience,
            "kind": self.kind,
            "topics": ",".join(self.topics),
            "ordinal": self.ordinal,
            "summary": self.summary,
            **(self.card.to_metadata() if self.card else {}),
        }
        # One boolean per topic makes topic filters plain equality filters in Chroma.
        for topic in self.topics:
            meta[f"topic:{topic}"] = True
        return meta


def _problem(source: str, what: str) -> KnowledgeError:
    return KnowledgeError(
        f"{source}: {what}",
        "Fix the file (see knowledge/README.md for the format) and run `coach index` again; "
        "the existing index was left untouched.",
    )


def _as_topics(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not value:
        return None
    topics = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            return None
        topics.append(re.sub(r"[^a-z0-9]+", "-", item.strip().lower()).strip("-"))
    return tuple(dict.fromkeys(t for t in topics if t))


def parse_document(raw: bytes, source: str, max_bytes: int) -> Document:
    """Validate one file's bytes and return the Document, or raise KnowledgeError."""
    if len(raw) > max_bytes:
        raise _problem(source, f"is {len(raw):,} bytes; the limit is {max_bytes:,} bytes")
    if b"\x00" in raw:
        raise _problem(source, "looks binary (it contains NUL bytes); only text is accepted")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(source, f"is not valid UTF-8 (byte {exc.start})") from exc
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise _problem(source, "has no YAML front matter (it must start with a '---' block)")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        detail = str(exc).splitlines()[0]
        raise _problem(source, f"has invalid YAML front matter ({detail})") from exc
    if not isinstance(meta, dict):
        raise _problem(source, "front matter must be a mapping of fields")
    missing = [k for k in REQUIRED if meta.get(k) in (None, "", [])]
    if missing:
        raise _problem(source, f"front matter is missing: {', '.join(missing)}")
    for key in ("title", "summary"):
        if not isinstance(meta[key], str):
            raise _problem(source, f"front matter field '{key}' must be text")
    audience = str(meta["audience"]).strip().lower()
    if audience not in AUDIENCES:
        raise _problem(source, f"audience '{audience}' is not one of {', '.join(AUDIENCES)}")
    kind = str(meta["kind"]).strip().lower()
    if kind not in KINDS:
        raise _problem(source, f"kind '{kind}' is not one of {', '.join(KINDS)}")
    topics = _as_topics(meta["topics"])
    if not topics:
        raise _problem(source, "topics must be a non-empty list of words")
    body = match.group(2).strip()
    if len(body) < MIN_BODY_CHARS:
        raise _problem(source, "has an empty body (write the guidance below the front matter)")
    extra = {k: v for k, v in meta.items() if k not in REQUIRED}
    questions = extra.get("questions", [])
    if not isinstance(questions, list) or not all(
        isinstance(q, str) and 0 < len(q.strip()) <= MAX_QUESTION_KEY_CHARS for q in questions
    ):
        raise _problem(source, "'questions' must be a list of short questions (one per line)")
    if kind == "activity":
        extra = _validate_activity(source, extra)
    return Document(
        source=source,
        title=meta["title"].strip(),
        audience=audience,
        topics=topics,
        kind=kind,
        summary=" ".join(meta["summary"].split()),
        body=body,
        extra=extra,
    )


MAX_DOES_CHARS = 300


def _validate_activity(source: str, extra: dict[str, object]) -> dict[str, object]:
    try:
        lo, hi, default = (int(extra[k]) for k in ("minutes_min", "minutes_max", "minutes_default"))  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError) as exc:
        raise _problem(
            source, "activity cards need whole-number minutes_min, minutes_max, minutes_default"
        ) from exc
    if not 1 <= lo <= default <= hi <= 240:
        raise _problem(source, "activity minutes must satisfy 1 <= min <= default <= max <= 240")
    stages = extra.get("stages") or list(STAGES)
    if isinstance(stages, str):
        stages = [s.strip() for s in stages.split(",")]
    if not isinstance(stages, list) or not set(stages) <= set(STAGES):
        raise _problem(source, f"activity stages must be a list drawn from {', '.join(STAGES)}")
    slot = str(extra.get("slot") or "core")
    if slot not in SLOTS:
        raise _problem(source, f"activity slot '{slot}' is not one of {', '.join(SLOTS)}")
    provides = extra.get("provides") or []
    if isinstance(provides, str):
        provides = [provides]
    if not isinstance(provides, list) or not all(isinstance(p, str) for p in provides):
        raise _problem(source, "activity 'provides' must be a list of words")
    does = " ".join(str(extra.get("does") or "").split())
    if len(does) > MAX_DOES_CHARS:
        raise _problem(source, f"activity 'does' must be one sentence or two (≤{MAX_DOES_CHARS})")
    try:
        does.format(Focus="", topic="", today="")
    except (KeyError, IndexError, ValueError) as exc:
        raise _problem(
            source, "activity 'does' may use only {Focus}, {topic} and {today} as placeholders"
        ) from exc
    return {
        **extra,
        "minutes_min": lo,
        "minutes_max": hi,
        "minutes_default": default,
        "stages": list(stages),
        "slot": slot,
        "provides": list(provides),
        "does": does,
    }


class StoredText(Protocol):
    """A chunk as the index hands it back: its id, text and flat metadata."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...


HOW_TO_HEADING = "how to run"
HOW_TO_CHARS = 1200


def activity_cards(chunks: Iterable[StoredText]) -> dict[str, ActivityCard]:
    """Every activity card among stored chunks, by source. A card cites its "How to run it"
    section (or its first chunk) and carries that section's text for the plan's wording."""
    by_source: dict[str, list[StoredText]] = {}
    for chunk in chunks:
        if ActivityCard.from_metadata(chunk.metadata) is not None:
            by_source.setdefault(str(chunk.metadata["source"]), []).append(chunk)
    cards: dict[str, ActivityCard] = {}
    for source, parts in by_source.items():
        parts.sort(key=lambda c: int(c.metadata.get("ordinal", 0)))
        how = [c for c in parts if HOW_TO_HEADING in str(c.metadata.get("heading", "")).lower()]
        cite = how[0] if how else parts[0]
        card = ActivityCard.from_metadata(
            parts[0].metadata,
            how_to=" ".join(c.text for c in how)[:HOW_TO_CHARS],
            chunk_id=cite.id,
        )
        if card is not None:
            cards[source] = card
    return cards


def question_keys(doc: Document) -> tuple[str, ...]:
    """The questions a document answers, in users' words, from its front matter. They are
    indexed beside the text, so a question phrased unlike the prose still finds it."""
    return tuple(" ".join(q.split()) for q in doc.extra.get("questions", []))  # type: ignore[union-attr]


def find_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise KnowledgeError(
            f"The knowledge folder {root} does not exist.",
            "Set COACH_KNOWLEDGE_DIR to a folder of Markdown documents.",
        )
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and p.name.lower() != "readme.md"
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files)


def load_knowledge(root: Path, max_bytes: int) -> list[Document]:
    """Every document under root. Raises one KnowledgeError listing every broken file."""
    documents: list[Document] = []
    problems: list[KnowledgeError] = []
    for path in find_files(root):
        source = path.relative_to(root).as_posix()
        try:
            documents.append(parse_document(path.read_bytes(), source, max_bytes))
        except KnowledgeError as exc:
            problems.append(exc)
    if problems:
        listed = "; ".join(p.message for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise KnowledgeError(
            f"{len(problems)} knowledge file(s) cannot be indexed: {listed}{more}.",
            problems[0].hint,
        )
    if not documents:
        raise KnowledgeError(
            f"No knowledge documents (*.md, *.txt) were found in {root}.",
            "Add documents with front matter, then run `coach index`.",
        )
    return documents


_header_splitter = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
_size_splitter = RecursiveCharacterTextSplitter(
    chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP, separators=["\n\n", "\n", ". ", " ", ""]
)


def chunk_document(doc: Document) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    card = ActivityCard.from_document(doc)
    card_fields = repr(sorted(card.to_metadata().items())) if card else "[]"
    for section in _header_splitter.split_text(doc.body):
        path = [section.metadata[k] for k in ("h2", "h3") if section.metadata.get(k)]
        heading = " > ".join(path)
        for piece in _size_splitter.split_text(section.page_content):
            text = piece.strip()
            if len(text) < 20:
                continue
            key = "\x00".join(
                [
                    doc.source,
                    heading,
                    text,
                    doc.title,
                    doc.audience,
                    doc.kind,
                    ",".join(doc.topics),
                    doc.summary,
                    card_fields,
                ]
            )
            digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
            seen[digest] = seen.get(digest, 0) + 1
            chunk_id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
            chunks.append(
                Chunk(
                    id=chunk_id,
                    source=doc.source,
                    title=doc.title,
                    heading=heading,
                    text=text,
                    audience=doc.audience,
                    kind=doc.kind,
                    topics=doc.topics,
                    ordinal=len(chunks),
                    summary=doc.summary,
                    card=card,
                )
            )
    return chunks


def chunk_all(documents: Iterable[Document]) -> list[Chunk]:
    return [chunk for doc in documents for chunk in chunk_document(doc)]


# --- adding a document (the Knowledge page's upload and `coach knowledge add`) ---------------
UPLOAD_FOLDER = "uploads"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,100}\.(md|txt)$", re.IGNORECASE)
NAME, EXISTS, CONTENT = "name", "exists", "content"


class DocumentRejected(KnowledgeError):
    """`add_document` refused a file. `problem` says which rule it broke (NAME, EXISTS or
    CONTENT), so the page and the CLI can each say what to do in their own words."""

    def __init__(self, message: str, problem: str, hint: str) -> None:
        super().__init__(message, hint)
        self.problem = problem


@dataclass(frozen=True)
class AddedDocument:
    document: Document
    path: Path
    replaced: bool


def safe_upload_name(name: str) -> str:
    """The file name without any folders (so nothing lands outside the knowledge folder), or
    DocumentRejected when it is not a plain .md/.txt name."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if not _SAFE_NAME.match(base) or base.lower() == "readme.md":
        raise DocumentRejected(
            f"{name}: is not an accepted file name",
            NAME,
            "Use letters, digits, dashes or dots, ending in .md or .txt (not README.md).",
        )
    return base


def add_document(
    root: Path, name: str, raw: bytes, *, max_bytes: int, replace: bool = False
) -> AddedDocument:
    """Check one document exactly as `coach index` would (size, binary, UTF-8, front matter)
    and write it atomically as root/uploads/<name>. An existing file of that name is only
    overwritten with `replace`. Raises DocumentRejected, or OSError when the write fails."""
    base = safe_upload_name(name)
    source = f"{UPLOAD_FOLDER}/{base}"
    if not raw.strip():
        raise DocumentRejected(
            f"{base}: is empty", CONTENT, "Write the guidance, with front matter."
        )
    try:
        # Problems are named with the file's own name; the document knows where it will live.
        document = replace_fields(parse_document(raw, base, max_bytes), source=source)
    except KnowledgeError as err:
        raise DocumentRejected(
            err.message, CONTENT, "Fix the file (see knowledge/README.md) and add it again."
        ) from err
    target = root / source
    exists = DocumentRejected(
        f"{source}: a document with that name exists", EXISTS, "Replace it or rename the file."
    )
    if target.exists() and not replace:
        raise exists
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a crash never leaves half a file for the next `coach index`.
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        replaced = target.exists()
        if replace:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # fails if the name was taken meanwhile: no overwrite
            except FileExistsError:
                raise exists from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return AddedDocument(document=document, path=target, replaced=replaced)
