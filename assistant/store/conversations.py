"""Conversations with the coach and their messages, a question and its reply written together."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import Actor, conversation_visible, not_yours
from assistant.db import artifacts, conversations, messages
from assistant.schemas import Answer
from assistant.store.artifacts import ArtifactStore
from assistant.store.rows import ConversationRow, Exchange, MessageRow, _now, _shorten


class ConversationStore(ArtifactStore):
    """Conversations; built on the artifact store because a reply is saved as an Answer."""

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
            return self._add_question(conn, actor, conversation_id, persona, question)

    def record_reply(self, *, conversation_id: int, question: str, answer: Answer) -> int:
        """The reply to a question kept earlier with `record_question`: the Answer artifact
        and the assistant's message linked to it, together. Returns the artifact's id."""
        with self._begin() as conn:
            actor = self._acting(conn)
            self._visible_conversation(conn, actor, conversation_id)
            return self._add_reply(conn, actor, conversation_id, question, answer)

    def record_exchange(
        self, *, conversation_id: int | None, persona: str, question: str, answer: Answer
    ) -> Exchange:
        """A question and its reply, all or nothing: the conversation (created when
        `conversation_id` is None, titled by the question), the user's message, the Answer
        artifact and the assistant's message linked to it, in one transaction."""
        with self._begin() as conn:
            actor = self._acting(conn)
            conversation_id = self._add_question(conn, actor, conversation_id, persona, question)
            artifact_id = self._add_reply(conn, actor, conversation_id, question, answer)
        return Exchange(conversation_id=conversation_id, artifact_id=artifact_id)

    def _add_question(
        self,
        conn: Connection,
        actor: Actor,
        conversation_id: int | None,
        persona: str,
        question: str,
    ) -> int:
        if conversation_id is None:
            conversation_id = self._insert_conversation(
                conn, persona, question, _now(), actor.user_id
            )
        else:
            self._visible_conversation(conn, actor, conversation_id)
        self._insert_message(conn, conversation_id, "user", question, None)
        return conversation_id

    def _add_reply(
        self, conn: Connection, actor: Actor, conversation_id: int, question: str, answer: Answer
    ) -> int:
        artifact_id = self._insert_artifact(conn, answer, question, conversation_id, actor.user_id)
        self._insert_message(conn, conversation_id, "assistant", answer.answer, artifact_id)
        return artifact_id

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
