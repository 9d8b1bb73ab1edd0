"""Retention of closed pairs' notes and summaries (issue 12).

A pair closed for longer than COACH_RETENTION_MONTHS (default 12) loses the text of its
records: its summaries and other saved items, its conversations, the wording of its action
items and learnings, and its sessions' next focus are deleted. What program health counts stays:
the pair, its sessions (number, date, rating), how many action items were open, done or
dropped, and how many learnings each side recorded. `coach retention --apply` runs it on
demand (admins); the app runs it once a day. Each run is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from assistant import audit
from assistant.access import Permission
from assistant.db import (
    app_state,
    artifacts,
    conversations,
    messages,
    pair_actions,
    pair_artifacts,
    pair_conversations,
    pair_ledger,
    pair_sessions,
    pairs,
    ratings,
    shared_items,
)

LAST_RUN = "retention_last_run"
PURGED = "-"  # the text left in a purged action item or learning


@dataclass(frozen=True)
class RetentionReport:
    cutoff: str
    pairs: int
    items: int
    conversations: int
    texts: int

    def as_json(self) -> dict:
        return self.__dict__.copy()


def cutoff_for(today: date, months: int) -> date:
    return today - timedelta(days=round(months * 30.44))


def due_pairs(conn: sa.Connection, cutoff: date) -> list[int]:
    """Closed pairs whose last change (closing them) is older than the cutoff."""
    query = sa.select(pairs.c.id).where(
        pairs.c.status == "closed", pairs.c.updated_at < cutoff.isoformat()
    )
    return [r.id for r in conn.execute(query)]


def apply_retention(
    store: object, months: int, today: date | None = None, *, who: str | None = None
) -> RetentionReport:
    """Purge the text of every closed pair past the period. `store` acts for an admin (the
    CLI), or `who="system"` for the app's daily run on the unbound store."""
    today = today or datetime.now(UTC).date()
    cutoff = cutoff_for(today, months)
    with store._begin() as conn:  # type: ignore[attr-defined]
        if who is None:
            actor = store._acting(conn)  # type: ignore[attr-defined]
            actor.require(Permission.USERS_ADMIN)
            who = actor.label
        ids = due_pairs(conn, cutoff)
        items = chats = texts = 0
        if ids:
            item_ids = [
                r.artifact_id
                for r in conn.execute(
                    sa.select(pair_artifacts.c.artifact_id).where(pair_artifacts.c.pair_id.in_(ids))
                )
            ]
            chat_ids = [
                r.conversation_id
                for r in conn.execute(
                    sa.select(pair_conversations.c.conversation_id).where(
                        pair_conversations.c.pair_id.in_(ids)
                    )
                )
            ]
            conn.execute(
                pair_sessions.update()
                .where(pair_sessions.c.pair_id.in_(ids))
                .values(next_focus="", summary_id=None)
            )
            for table in (pair_actions, pair_ledger):
                texts += conn.execute(
                    table.update()
                    .where(table.c.pair_id.in_(ids), table.c.text != PURGED)
                    .values(text=PURGED)
                ).rowcount
            conn.execute(
                pair_actions.update().where(pair_actions.c.pair_id.in_(ids)).values(due=None)
            )
            if item_ids:
                conn.execute(pair_artifacts.delete().where(pair_artifacts.c.pair_id.in_(ids)))
                conn.execute(ratings.delete().where(ratings.c.artifact_id.in_(item_ids)))
                conn.execute(shared_items.delete().where(shared_items.c.artifact_id.in_(item_ids)))
                conn.execute(
                    messages.update()
                    .where(messages.c.artifact_id.in_(item_ids))
                    .values(artifact_id=None)
                )
                items = conn.execute(
                    artifacts.delete().where(artifacts.c.id.in_(item_ids))
                ).rowcount
            if chat_ids:
                conn.execute(
                    pair_conversations.delete().where(pair_conversations.c.pair_id.in_(ids))
                )
                conn.execute(messages.delete().where(messages.c.conversation_id.in_(chat_ids)))
                conn.execute(
                    artifacts.update()
                    .where(artifacts.c.conversation_id.in_(chat_ids))
                    .values(conversation_id=None)
                )
                chats = conn.execute(
                    conversations.delete().where(conversations.c.id.in_(chat_ids))
                ).rowcount
        report = RetentionReport(cutoff.isoformat(), len(ids), items, chats, texts)
        audit.record(conn, who, audit.RETENTION, f"closed before {cutoff}", **report.as_json())
        _remember_run(conn, today)
    return report


def _remember_run(conn: sa.Connection, today: date) -> None:
    updated = conn.execute(
        app_state.update().where(app_state.c.key == LAST_RUN).values(value=today.isoformat())
    )
    if updated.rowcount == 0:
        conn.execute(app_state.insert().values(key=LAST_RUN, value=today.isoformat()))


def apply_daily(store: object, months: int, today: date | None = None) -> RetentionReport | None:
    """The app's daily run: once per day whichever instance gets there first."""
    today = today or datetime.now(UTC).date()
    with store._begin(write=False) as conn:  # type: ignore[attr-defined]
        last = conn.execute(
            sa.select(app_state.c.value).where(app_state.c.key == LAST_RUN)
        ).scalar()
    if last == today.isoformat():
        return None
    return apply_retention(store, months, today, who="system")
