"""What a pair keeps besides sessions: its saved artifacts (agendas, starters...) and the
coach conversations linked to it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from assistant.db import artifacts, conversations, pair_artifacts, pair_conversations
from assistant.pair_store.base import PairStoreBase
from assistant.store import Artifact, artifact_values


@dataclass(frozen=True)
class PairArtifact:
    """An artifact of a pair, as the timeline lists it (the payload stays in the store)."""

    id: int
    kind: str
    title: str
    created_at: str
    session: int | None


class PairItemStore(PairStoreBase):
    def save_artifact(self, pair_id: int, artifact: Artifact, session: int | None = None) -> int:
        """Save an artifact (agenda, starters...) as the pair's, in one transaction."""
        with self._begin() as conn:
            actor = self._member(conn, pair_id)
            artifact_id = conn.execute(
                artifacts.insert().values(**artifact_values(artifact), owner_id=actor.user_id)
            ).inserted_primary_key[0]
            conn.execute(
                pair_artifacts.insert().values(
                    artifact_id=artifact_id, pair_id=pair_id, session_number=session
                )
            )
            return artifact_id

    def link_conversation(self, pair_id: int, conversation_id: int) -> None:
        with self._begin() as conn:
            actor = self._member(conn, pair_id)
            self.store._visible_conversation(conn, actor, conversation_id)
            conn.execute(
                pair_conversations.delete().where(
                    pair_conversations.c.conversation_id == conversation_id
                )
            )
            conn.execute(
                pair_conversations.insert().values(conversation_id=conversation_id, pair_id=pair_id)
            )

    def artifacts(self, pair_id: int) -> list[PairArtifact]:
        query = (
            sa.select(artifacts, pair_artifacts.c.session_number)
            .select_from(artifacts.join(pair_artifacts))
            .where(pair_artifacts.c.pair_id == pair_id)
            .order_by(artifacts.c.id)
        )
        with self._begin(write=False) as conn:
            actor = self._member(conn, pair_id)
            if not actor.is_personal:
                from assistant.access import artifact_visible

                query = query.where(artifact_visible(actor.user_id))
            return [
                PairArtifact(
                    id=r.id,
                    kind=r.kind,
                    title=r.title,
                    created_at=r.created_at,
                    session=r.session_number,
                )
                for r in conn.execute(query)
            ]

    def conversations(self, pair_id: int) -> list[PairArtifact]:
        """The pair's coach conversations (kind "conversation"), newest activity last."""
        query = (
            sa.select(conversations)
            .select_from(conversations.join(pair_conversations))
            .where(pair_conversations.c.pair_id == pair_id)
            .order_by(conversations.c.updated_at)
        )
        with self._begin(write=False) as conn:
            self._member(conn, pair_id)  # the pair's members (and personal mode) only
            return [
                PairArtifact(r.id, "conversation", r.title, r.updated_at, session=None)
                for r in conn.execute(query)
            ]
