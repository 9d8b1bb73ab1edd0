"""History of saved artifacts, conversations, ratings and eval runs (SQLAlchemy Core).

SQLite by default; DATABASE_URL may point at PostgreSQL, so only portable types are used
(timestamps are ISO-8601 text). On SQLite every connection runs in WAL mode with a busy timeout,
and every write takes the write lock up front (BEGIN IMMEDIATE), so writers from several threads
or processes queue up instead of failing or losing a row.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import (
    PERSONAL,
    AccessDenied,
    Actor,
    Permission,
    SignInRequired,
    artifact_visible,
    conversation_visible,
    not_yours,
)
from assistant.db import (
    _make_engine,
    artifacts,
    conversations,
    database_error,
    eval_cases,
    eval_runs,
    mask_url,
    messages,
    ratings,
    shared_items,
    users,
)
from assistant.errors import CoachError, InputError
from assistant.migrations import ensure_schema
from assistant.schemas import Agenda, Answer, FeedbackSummary, StarterSet
from assistant.text import shorten_title

Artifact = Answer | Agenda | StarterSet | FeedbackSummary
ARTIFACT_TYPES: dict[str, type[Artifact]] = {
    "answer": Answer,
    "agenda": Agenda,
    "starters": StarterSet,
    "feedback": FeedbackSummary,
}
TITLE_CHARS = 80
RUN_RUNNING, RUN_INTERRUPTED, RUN_COMPLETE = "running", "interrupted", "complete"
_UPSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


@dataclass
class StoredArtifact:
    id: int
    kind: str
    title: str
    created_at: str
    backend: str
    model: str
    prompt_version: str
    payload: dict
    rating: int | None
    conversation_id: int | None


@dataclass(frozen=True)
class Exchange:
    """Where a recorded question and reply went."""

    conversation_id: int
    artifact_id: int


@dataclass
class ConversationRow:
    id: int
    persona: str
    title: str
    created_at: str
    updated_at: str
    messages: int


@dataclass
class MessageRow:
    id: int
    conversation_id: int
    role: str
    content: str
    artifact_id: int | None
    created_at: str


@dataclass
class EvalRunRow:
    id: int
    created_at: str
    suites: list[str]
    backend: str
    model: str
    prompt_versions: dict
    config: dict
    seconds: float
    metrics: dict[str, float]
    cases: list[dict] | None

    @property
    def status(self) -> str:
        """complete, running (or killed), or interrupted; runs stored before statuses existed
        were always complete."""
        return str(self.config.get("status", RUN_COMPLETE))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _shorten(text: str, limit: int = TITLE_CHARS) -> str:
    return shorten_title(text, limit)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def default_title(artifact: Artifact) -> str:
    if isinstance(artifact, Answer):
        return _shorten(artifact.question)
    if isinstance(artifact, Agenda):
        return artifact.title
    if isinstance(artifact, StarterSet):
        return f"Starters: {artifact.topic}"
    return _shorten(artifact.summary)


def artifact_values(artifact: Artifact, title: str | None = None) -> dict[str, Any]:
    """The artifacts row for `artifact` (shared with stores that save one in a larger write)."""
    if not isinstance(artifact, tuple(ARTIFACT_TYPES.values())):
        raise TypeError(f"cannot save {type(artifact).__name__}")
    title = _shorten(title, 200) if title and title.strip() else default_title(artifact)
    payload = artifact.model_dump(mode="json")
    return {
        "kind": artifact.kind,
        "title": title,
        "created_at": artifact.created_at,
        "backend": artifact.backend,
        "model": artifact.model,
        "prompt_version": artifact.prompt_version,
        "payload": payload,
        "search_text": "\n".join([title, *_strings(payload)]).lower(),
    }


class Store:
    def __init__(self, database_url: str) -> None:
        self.url = mask_url(database_url)
        self.engine = _make_engine(database_url)
        self._writer = self.engine.execution_options(coach_write=True)
        # Creates a new database, or upgrades an older one (after a backup, under a lock).
        self.schema_change = ensure_schema(self._writer)
        self.actor: Actor = PERSONAL

    def acting_as(self, actor: Actor) -> Store:
        """This store (same engine), every read and write checked for `actor`."""
        view = copy.copy(self)
        view.actor = actor
        return view

    def _acting(self, conn: Connection) -> Actor:
        """Who acts, checked against the database now: personal mode only while no account
        exists; an account with its current role (a removed account is refused)."""
        actor = self.actor
        if actor.is_personal:
            if conn.execute(sa.select(users.c.id).limit(1)).first() is not None:
                raise SignInRequired()
            return actor
        row = conn.execute(
            sa.select(users.c.role, users.c.email).where(users.c.id == actor.user_id)
        ).first()
        if row is None:
            raise AccessDenied(
                "Your account no longer exists.", "Ask your program lead or an admin."
            )
        return Actor(user_id=actor.user_id, email=row.email, role=row.role)

    def check(self, permission: Permission) -> Actor:
        """The acting user, if they have `permission` (else AccessDenied)."""
        with self._begin(write=False) as conn:
            actor = self._acting(conn)
        actor.require(permission)
        return actor

    def audit(self, action: str, target: str = "", **detail: Any) -> None:
        """Add an audit entry for the acting user (exports and other actions outside a store
        write)."""
        with self._begin() as conn:
            audit.record(conn, self._acting(conn).label, action, target, **detail)

    def whoami(self) -> Actor:
        with self._begin(write=False) as conn:
            return self._acting(conn)

    def _visible(
        self, conn: Connection, actor: Actor, table: sa.Table, row_id: int, what: str, rule: Any
    ) -> None:
        """The row exists and the actor may read it (`rule`: the access SQL for the user)."""
        self._require(conn, table, row_id, what)
        if actor.is_personal:
            return
        query = sa.select(table.c.id).where(table.c.id == row_id, rule(actor.user_id))
        if conn.execute(query).first() is None:
            raise not_yours("saved item" if what == "artifact" else what)

    def _visible_conversation(self, conn: Connection, actor: Actor, conversation_id: int) -> None:
        self._visible(
            conn, actor, conversations, conversation_id, "conversation", conversation_visible
        )

    def _visible_artifact(self, conn: Connection, actor: Actor, artifact_id: int) -> None:
        self._visible(conn, actor, artifacts, artifact_id, "artifact", artifact_visible)

    def _own_artifact(self, conn: Connection, actor: Actor, artifact_id: int) -> None:
        self._visible_artifact(conn, actor, artifact_id)
        if actor.is_personal:
            return
        owner = conn.execute(
            sa.select(artifacts.c.owner_id).where(artifacts.c.id == artifact_id)
        ).scalar()
        if owner != actor.user_id:
            raise AccessDenied(
                "Only the person who made this item may delete or share it.",
                "Ask them to do it.",
            )

    @contextmanager
    def _begin(self, write: bool = True) -> Iterator[Connection]:
        """One short transaction; database failures become a one-line CoachError."""
        try:
            with (self._writer if write else self.engine).begin() as conn:
                yield conn
        except sa_exc.IntegrityError:
            raise
        except sa_exc.DatabaseError as exc:
            raise database_error(self.url, exc) from exc

    # --- artifacts ---------------------------------------------------------------------------
    def save_artifact(
        self, artifact: Artifact, *, title: str | None = None, conversation_id: int | None = None
    ) -> int:
        with self._begin() as conn:
            actor = self._acting(conn)
            if conversation_id is not None:
                self._visible_conversation(conn, actor, conversation_id)
            return self._insert_artifact(conn, artifact, title, conversation_id, actor.user_id)

    @staticmethod
    def _insert_artifact(
        conn: Connection,
        artifact: Artifact,
        title: str | None,
        conversation_id: int | None,
        owner_id: int | None = None,
    ) -> int:
        values = artifact_values(artifact, title)
        return conn.execute(
            artifacts.insert().values(**values, conversation_id=conversation_id, owner_id=owner_id)
        ).inserted_primary_key[0]

    def _artifact_query(self) -> sa.Select:
        return sa.select(artifacts, ratings.c.score).select_from(artifacts.outerjoin(ratings))

    @staticmethod
    def _to_stored(row: Any) -> StoredArtifact:
        return StoredArtifact(
            id=row.id,
            kind=row.kind,
            title=row.title,
            created_at=row.created_at,
            backend=row.backend,
            model=row.model,
            prompt_version=row.prompt_version,
            payload=row.payload,
            rating=row.score,
            conversation_id=row.conversation_id,
        )

    def get_artifact(self, artifact_id: int) -> StoredArtifact | None:
        """The item, None if there is none; AccessDenied if the actor may not read it."""
        with self._begin(write=False) as conn:
            actor = self._acting(conn)
            row = conn.execute(self._artifact_query().where(artifacts.c.id == artifact_id)).first()
            if row is not None:
                self._visible_artifact(conn, actor, artifact_id)
        return self._to_stored(row) if row else None

    def list_artifacts(
        self, kind: str | None = None, search: str | None = None, limit: int = 200
    ) -> list[StoredArtifact]:
        query = self._artifact_query().order_by(artifacts.c.id.desc()).limit(limit)
        if kind:
            query = query.where(artifacts.c.kind == kind)
        if search and search.strip():
            query = query.where(
                artifacts.c.search_text.contains(search.strip().lower(), autoescape=True)
            )
        with self._begin(write=False) as conn:
            actor = self._acting(conn)
            if not actor.is_personal:
                query = query.where(artifact_visible(actor.user_id))
            return [self._to_stored(row) for row in conn.execute(query)]

    def delete_artifact(self, artifact_id: int) -> bool:
        with self._begin() as conn:
            actor = self._acting(conn)
            if conn.execute(sa.select(artifacts.c.id).where(artifacts.c.id == artifact_id)).first():
                self._own_artifact(conn, actor, artifact_id)
                audit.record(conn, actor.label, audit.DELETION, f"artifact #{artifact_id}")
            # Explicit as well as ON DELETE, for databases where foreign keys are not enforced.
            conn.execute(ratings.delete().where(ratings.c.artifact_id == artifact_id))
            conn.execute(shared_items.delete().where(shared_items.c.artifact_id == artifact_id))
            conn.execute(
                messages.update()
                .where(messages.c.artifact_id == artifact_id)
                .values(artifact_id=None)
            )
            return (
                conn.execute(artifacts.delete().where(artifacts.c.id == artifact_id)).rowcount > 0
            )

    # --- conversations -----------------------------------------------------------------------
    def create_conversation(self, persona: str, title: str) -> int:
        with self._begin() as conn:
            owner = self._acting(conn).user_id
            return self._insert_conversation(conn, persona, title, _now(), owner)

    @staticmethod
    def _insert_conversation(
        conn: Connection, persona: str, title: str, now: str, owner_id: int | None = None
    ) -> int:
        return conn.execute(
            conversations.insert().values(
                persona=persona,
                title=_shorten(title, 200) or "Conversation",
                created_at=now,
                updated_at=now,
                owner_id=owner_id,
            )
        ).inserted_primary_key[0]

    def add_message(
        self, conversation_id: int, role: str, content: str, artifact_id: int | None = None
    ) -> int:
        with self._begin() as conn:
            actor = self._acting(conn)
            self._visible_conversation(conn, actor, conversation_id)
            if artifact_id is not None:
                self._visible_artifact(conn, actor, artifact_id)
            return self._insert_message(conn, conversation_id, role, content, artifact_id)

    @staticmethod
    def _insert_message(
        conn: Connection, conversation_id: int, role: str, content: str, artifact_id: int | None
    ) -> int:
        """The message, and the conversation's updated_at moved to it."""
        now = _now()
        message_id = conn.execute(
            messages.insert().values(
                conversation_id=conversation_id,
                role=role,
                content=content,
                artifact_id=artifact_id,
                created_at=now,
            )
        ).inserted_primary_key[0]
        conn.execute(
            conversations.update()
            .where(conversations.c.id == conversation_id)
            .values(updated_at=now)
        )
        return message_id

    def record_question(self, *, conversation_id: int | None, persona: str, question: str) -> int:
        """A question whose reply did not come (the model failed, or the user left the page
        mid-answer), kept so History does not lose it: the conversation (created when
        `conversation_id` is None, titled by the question) and the user's message. Returns the
        conversation's id; a reply asked for again is added with `record_reply`."""
        with self._begin() as conn:
            actor = self._acting(conn)
            if conversation_id is None:
                conversation_id = self._insert_conversation(
                    conn, persona, question, _now(), actor.user_id
                )
            else:
                self._visible_conversation(conn, actor, conversation_id)
            self._insert_message(conn, conversation_id, "user", question, None)
        return conversation_id

    def record_reply(self, *, conversation_id: int, question: str, answer: Answer) -> int:
        """The reply to a question kept earlier with `record_question`: the Answer artifact
        and the assistant's message linked to it, together. Returns the artifact's id."""
        with self._begin() as conn:
            actor = self._acting(conn)
            self._visible_conversation(conn, actor, conversation_id)
            artifact_id = self._insert_artifact(
                conn, answer, question, conversation_id, actor.user_id
            )
            self._insert_message(conn, conversation_id, "assistant", answer.answer, artifact_id)
        return artifact_id

    def record_exchange(
        self, *, conversation_id: int | None, persona: str, question: str, answer: Answer
    ) -> Exchange:
        """A question and its reply, all or nothing: the conversation (created when
        `conversation_id` is None, titled by the question), the user's message, the Answer
        artifact and the assistant's message linked to it, in one transaction."""
        with self._begin() as conn:
            actor = self._acting(conn)
            if conversation_id is None:
                conversation_id = self._insert_conversation(
                    conn, persona, question, _now(), actor.user_id
                )
            else:
                self._visible_conversation(conn, actor, conversation_id)
            self._insert_message(conn, conversation_id, "user", question, None)
            artifact_id = self._insert_artifact(
                conn, answer, question, conversation_id, actor.user_id
            )
            self._insert_message(conn, conversation_id, "assistant", answer.answer, artifact_id)
        return Exchange(conversation_id=conversation_id, artifact_id=artifact_id)

    def list_conversations(
        self, search: str | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        count = (
            sa.select(sa.func.count(messages.c.id))
            .where(messages.c.conversation_id == conversations.c.id)
            .scalar_subquery()
        )
        query = (
            sa.select(conversations, count.label("n_messages"))
            .order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
            .limit(limit)
        )
        if search and search.strip():
            term = search.strip().lower()
            in_messages = sa.exists().where(
                messages.c.conversation_id == conversations.c.id,
                sa.func.lower(messages.c.content).contains(term, autoescape=True),
            )
            query = query.where(
                sa.or_(
                    sa.func.lower(conversations.c.title).contains(term, autoescape=True),
                    in_messages,
                )
            )
        with self._begin(write=False) as conn:
            actor = self._acting(conn)
            if not actor.is_personal:
                query = query.where(conversation_visible(actor.user_id))
            return [
                ConversationRow(
                    id=r.id,
                    persona=r.persona,
                    title=r.title,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                    messages=r.n_messages,
                )
                for r in conn.execute(query)
            ]

    def get_messages(self, conversation_id: int) -> list[MessageRow]:
        query = (
            sa.select(messages)
            .where(messages.c.conversation_id == conversation_id)
            .order_by(messages.c.id)
        )
        with self._begin(write=False) as conn:
            actor = self._acting(conn)
            exists = sa.select(conversations.c.id).where(conversations.c.id == conversation_id)
            if conn.execute(exists).first() is None:
                return []
            self._visible_conversation(conn, actor, conversation_id)
            return [
                MessageRow(
                    id=r.id,
                    conversation_id=r.conversation_id,
                    role=r.role,
                    content=r.content,
                    artifact_id=r.artifact_id,
                    created_at=r.created_at,
                )
                for r in conn.execute(query)
            ]

    def delete_conversation(self, conversation_id: int) -> bool:
        with self._begin() as conn:
            actor = self._acting(conn)
            owner = conn.execute(
                sa.select(conversations.c.owner_id).where(conversations.c.id == conversation_id)
            ).first()
            if owner is not None:
                if not actor.is_personal and owner.owner_id != actor.user_id:
                    raise not_yours("conversation")
                audit.record(conn, actor.label, audit.DELETION, f"conversation #{conversation_id}")
            conn.execute(messages.delete().where(messages.c.conversation_id == conversation_id))
            conn.execute(
                artifacts.update()
                .where(artifacts.c.conversation_id == conversation_id)
                .values(conversation_id=None)
            )
            return (
                conn.execute(
                    conversations.delete().where(conversations.c.id == conversation_id)
                ).rowcount
                > 0
            )

    # --- ratings -----------------------------------------------------------------------------
    def rate(self, artifact_id: int, score: int, comment: str = "") -> None:
        if score not in (1, -1):
            raise InputError(f"A rating must be +1 (helpful) or -1 (not helpful), not {score}.")
        values = {"score": score, "comment": comment, "created_at": _now()}
        with self._begin() as conn:
            self._visible_artifact(conn, self._acting(conn), artifact_id)
            dialect = conn.dialect.name
            if dialect in _UPSERT:
                conn.execute(
                    _UPSERT[dialect](ratings)
                    .values(artifact_id=artifact_id, **values)
                    .on_conflict_do_update(index_elements=[ratings.c.artifact_id], set_=values)
                )
                return
            updated = conn.execute(
                ratings.update().where(ratings.c.artifact_id == artifact_id).values(values)
            )
            if updated.rowcount == 0:
                conn.execute(ratings.insert().values(artifact_id=artifact_id, **values))

    def ratings_summary(self) -> list[dict]:
        up = sa.func.sum(sa.case((ratings.c.score > 0, 1), else_=0))
        down = sa.func.sum(sa.case((ratings.c.score < 0, 1), else_=0))
        query = (
            sa.select(
                artifacts.c.kind,
                artifacts.c.model,
                up.label("up"),
                down.label("down"),
                sa.func.count().label("total"),
            )
            .select_from(ratings.join(artifacts))
            .group_by(artifacts.c.kind, artifacts.c.model)
            .order_by(artifacts.c.kind, artifacts.c.model)
        )
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            return [
                {
                    "kind": r.kind,
                    "model": r.model,
                    "up": int(r.up),
                    "down": int(r.down),
                    "total": int(r.total),
                }
                for r in conn.execute(query)
            ]

    def ratings_series(self) -> list[dict]:
        """Thumbs per day (of the rating), artifact kind and model, oldest first."""
        day = sa.func.substr(ratings.c.created_at, 1, 10)
        up = sa.func.sum(sa.case((ratings.c.score > 0, 1), else_=0))
        down = sa.func.sum(sa.case((ratings.c.score < 0, 1), else_=0))
        query = (
            sa.select(
                day.label("day"),
                artifacts.c.kind,
                artifacts.c.model,
                up.label("up"),
                down.label("down"),
            )
            .select_from(ratings.join(artifacts))
            .group_by(day, artifacts.c.kind, artifacts.c.model)
            .order_by(day, artifacts.c.kind, artifacts.c.model)
        )
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            return [
                {
                    "day": r.day,
                    "kind": r.kind,
                    "model": r.model,
                    "up": int(r.up),
                    "down": int(r.down),
                }
                for r in conn.execute(query)
            ]

    # --- items shared with the program team --------------------------------------------------
    def share_item(self, artifact_id: int, *, text: str, redactions: int) -> int:
        """Store an already redacted thumbs-down item its user chose to share."""
        with self._begin() as conn:
            actor = self._acting(conn)
            if conn.execute(sa.select(artifacts.c.id).where(artifacts.c.id == artifact_id)).first():
                self._own_artifact(conn, actor, artifact_id)
            row = conn.execute(
                sa.select(artifacts.c.kind, artifacts.c.model, ratings.c.score)
                .select_from(artifacts.outerjoin(ratings))
                .where(artifacts.c.id == artifact_id)
            ).first()
            if row is None:
                raise InputError(
                    f"There is no saved artifact #{artifact_id}.",
                    "Pick an existing item from the history.",
                )
            if row.score != -1:
                raise InputError(
                    "Only an item rated 👎 can be shared with the program team.",
                    "Rate it 👎 first, then share it.",
                )
            existing = conn.execute(
                sa.select(shared_items.c.id).where(shared_items.c.artifact_id == artifact_id)
            ).first()
            if existing is not None:
                return int(existing.id)
            audit.record(conn, actor.label, audit.SHARING, f"artifact #{artifact_id}")
            return conn.execute(
                shared_items.insert().values(
                    artifact_id=artifact_id,
                    kind=row.kind,
                    model=row.model,
                    text=text,
                    redactions=redactions,
                    shared_at=_now(),
                )
            ).inserted_primary_key[0]

    def is_shared(self, artifact_id: int) -> bool:
        with self._begin(write=False) as conn:
            self._visible_artifact(conn, self._acting(conn), artifact_id)
            query = sa.select(shared_items.c.id).where(shared_items.c.artifact_id == artifact_id)
            return conn.execute(query).first() is not None

    def list_shared(self, limit: int = 200) -> list[dict]:
        query = sa.select(shared_items).order_by(shared_items.c.id.desc()).limit(limit)
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            return [dict(row._mapping) for row in conn.execute(query)]

    def promote_shared(self, shared_id: int, case: dict) -> None:
        """Record the eval case a lead made from a shared item."""
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            self._require(conn, shared_items, shared_id, "shared item")
            conn.execute(
                shared_items.update()
                .where(shared_items.c.id == shared_id)
                .values(eval_case=case, promoted_at=_now())
            )

    # --- eval runs ---------------------------------------------------------------------------
    def save_eval_run(
        self,
        *,
        suites: list[str],
        backend: str,
        model: str,
        prompt_versions: dict,
        config: dict,
        seconds: float,
        metrics: dict[str, float],
        cases: list[dict],
    ) -> int:
        """A finished run in one go (runs made case by case use start/add/finish)."""
        run_id = self.start_eval_run(
            suites=suites,
            backend=backend,
            model=model,
            prompt_versions=prompt_versions,
            config=config,
        )
        self.add_eval_cases(run_id, cases)
        self.finish_eval_run(run_id, seconds=seconds, metrics=metrics, config=config)
        return run_id

    def start_eval_run(
        self, *, suites: list[str], backend: str, model: str, prompt_versions: dict, config: dict
    ) -> int:
        """A run that has not finished yet: its cases are added as they complete, so an
        interrupted run keeps them and can be resumed."""
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            return conn.execute(
                eval_runs.insert().values(
                    created_at=_now(),
                    suites=list(suites),
                    backend=backend,
                    model=model,
                    prompt_versions=prompt_versions,
                    config=config | {"status": RUN_RUNNING},
                    seconds=0.0,
                    metrics={},
                )
            ).inserted_primary_key[0]

    def add_eval_cases(self, run_id: int, cases: list[dict]) -> None:
        if not cases:
            return
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            self._require(conn, eval_runs, run_id, "eval run")
            conn.execute(
                eval_cases.insert(),
                [
                    {
                        "run_id": run_id,
                        "suite": c["suite"],
                        "case_id": str(c["case_id"]),
                        "input": c.get("input", {}),
                        "output": c.get("output"),
                        "scores": c.get("scores", {}),
                        "reasons": c.get("reasons", {}),
                        "seconds": float(c.get("seconds", 0.0)),
                        "error": c.get("error"),
                    }
                    for c in cases
                ],
            )

    def finish_eval_run(
        self,
        run_id: int,
        *,
        seconds: float,
        metrics: dict[str, float],
        config: dict,
        status: str = RUN_COMPLETE,
    ) -> None:
        """Record the run's scores and time; `status="interrupted"` keeps it resumable."""
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            self._require(conn, eval_runs, run_id, "eval run")
            conn.execute(
                eval_runs.update()
                .where(eval_runs.c.id == run_id)
                .values(seconds=float(seconds), metrics=metrics, config=config | {"status": status})
            )

    @staticmethod
    def _to_run(row: Any, cases: list[dict] | None) -> EvalRunRow:
        return EvalRunRow(
            id=row.id,
            created_at=row.created_at,
            suites=row.suites,
            backend=row.backend,
            model=row.model,
            prompt_versions=row.prompt_versions,
            config=row.config,
            seconds=row.seconds,
            metrics=row.metrics,
            cases=cases,
        )

    def list_eval_runs(self, limit: int = 50) -> list[EvalRunRow]:
        query = sa.select(eval_runs).order_by(eval_runs.c.id.desc()).limit(limit)
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            return [self._to_run(row, None) for row in conn.execute(query)]

    def count_eval_cases(self, run_ids: list[int]) -> dict[int, int]:
        """Cases stored so far per run (how far an unfinished run got)."""
        query = (
            sa.select(eval_cases.c.run_id, sa.func.count().label("n"))
            .where(eval_cases.c.run_id.in_(run_ids))
            .group_by(eval_cases.c.run_id)
        )
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            counts = {row.run_id: int(row.n) for row in conn.execute(query)}
        return {run_id: counts.get(run_id, 0) for run_id in run_ids}

    def get_eval_run(self, run_id: int, *, with_cases: bool = True) -> EvalRunRow | None:
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            row = conn.execute(sa.select(eval_runs).where(eval_runs.c.id == run_id)).first()
            if row is None:
                return None
            if not with_cases:
                return self._to_run(row, None)
            case_rows = conn.execute(
                sa.select(eval_cases).where(eval_cases.c.run_id == run_id).order_by(eval_cases.c.id)
            )
            cases = [
                {
                    "suite": c.suite,
                    "case_id": c.case_id,
                    "input": c.input,
                    "output": c.output,
                    "scores": c.scores,
                    "reasons": c.reasons,
                    "seconds": c.seconds,
                    "error": c.error,
                }
                for c in case_rows
            ]
        return self._to_run(row, cases)

    @staticmethod
    def _require(conn: Connection, table: sa.Table, row_id: int, what: str) -> None:
        if conn.execute(sa.select(table.c.id).where(table.c.id == row_id)).first() is None:
            raise InputError(
                f"There is no saved {what} #{row_id}.", f"Pick an existing {what} from the history."
            )


def load_artifact(stored: StoredArtifact) -> Artifact:
    """The typed artifact back from its stored payload."""
    cls = ARTIFACT_TYPES.get(stored.kind)
    if cls is None:
        raise CoachError(
            f"Saved item #{stored.id} has an unknown kind {stored.kind!r}.",
            "Delete it from the history; this version cannot show it.",
        )
    try:
        return cls.model_validate(stored.payload)
    except ValidationError as exc:
        raise CoachError(
            f"Saved {stored.kind} #{stored.id} no longer matches the current format "
            f"({exc.error_count()} problem(s)).",
            "Delete it from the history or open it with the version that saved it.",
        ) from exc
