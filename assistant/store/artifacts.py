"""Saved artifacts (answers, agendas, starters, feedback summaries): save, read, list, delete."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import artifact_visible
from assistant.db import artifacts, messages, ratings, shared_items
from assistant.store.base import StoreBase
from assistant.store.rows import Artifact, StoredArtifact, artifact_values


class ArtifactStore(StoreBase):
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
