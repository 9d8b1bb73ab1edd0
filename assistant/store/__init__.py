"""History of saved artifacts, conversations, ratings and eval runs (SQLAlchemy Core).

SQLite by default; DATABASE_URL may point at PostgreSQL, so only portable types are used
(timestamps are ISO-8601 text). On SQLite every connection runs in WAL mode with a busy timeout,
and every write takes the write lock up front (BEGIN IMMEDIATE), so writers from several threads
or processes queue up instead of failing or losing a row.
"""

from __future__ import annotations

from assistant.store.base import StoreBase
from assistant.store.conversations import ConversationStore
from assistant.store.eval_runs import EvalRunStore
from assistant.store.feedback import _UPSERT, FeedbackStore
from assistant.store.rows import (
    ARTIFACT_TYPES,
    RUN_COMPLETE,
    RUN_INTERRUPTED,
    RUN_RUNNING,
    TITLE_CHARS,
    Artifact,
    ConversationRow,
    EvalRunRow,
    Exchange,
    MessageRow,
    StoredArtifact,
    _now,
    _shorten,
    _strings,
    artifact_values,
    default_title,
    load_artifact,
)

__all__ = [
    "ARTIFACT_TYPES",
    "RUN_COMPLETE",
    "RUN_INTERRUPTED",
    "RUN_RUNNING",
    "TITLE_CHARS",
    "_UPSERT",
    "Artifact",
    "ConversationRow",
    "EvalRunRow",
    "Exchange",
    "MessageRow",
    "Store",
    "StoreBase",
    "StoredArtifact",
    "_now",
    "_shorten",
    "_strings",
    "artifact_values",
    "default_title",
    "load_artifact",
]


class Store(ConversationStore, FeedbackStore, EvalRunStore):
    """The history store: artifacts, conversations, ratings and shared items, eval runs.

    `Store(url).acting_as(actor)` checks every read and write for that actor; the parts
    share StoreBase's engine, transactions and access checks."""
