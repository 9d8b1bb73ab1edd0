"""What every part of the pair store shares: the Store's transactions, who is acting, and
whether they may see a pair, its content, or manage pairs (assistant.access has the matrix).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.access import Actor, Permission, member_of_pair, not_in_pair, session_visible
from assistant.db import pair_sessions, pairs
from assistant.errors import InputError
from assistant.store import Store


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class UnknownPair(InputError):
    def __init__(self, pair_id: int) -> None:
        super().__init__(f"There is no pair #{pair_id}.", "Run `coach pair list` to see the pairs.")


class UnknownAction(InputError):
    def __init__(self, action_id: int) -> None:
        super().__init__(
            f"There is no action item #{action_id}.",
            "Run `coach pair show PAIR_ID` to see a pair's action items and their ids.",
        )


class PairStoreBase:
    """The Store underneath (its engine and acting user) and the pair access checks."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _begin(self, write: bool = True):  # noqa: ANN202
        return self.store._begin(write=write)

    # --- who may do what (assistant.access has the matrix) ---------------------------------
    def _acting(self, conn: Connection) -> Actor:
        return self.store._acting(conn)

    def _member(self, conn: Connection, pair_id: int, metadata_ok: bool = False) -> Actor:
        """The actor, if they may read the pair's content (a member), or with `metadata_ok`
        its record only (leads and admins too). Else AccessDenied, or UnknownPair."""
        actor = self._acting(conn)
        self._require_pair(conn, pair_id)
        if actor.is_personal:
            return actor
        query = sa.select(pairs.c.id).where(pairs.c.id == pair_id, member_of_pair(actor.user_id))
        if conn.execute(query).first() is not None:
            return actor
        if metadata_ok and (
            actor.can(Permission.MANAGE_PAIRS) or actor.can(Permission.PROGRAM_HEALTH)
        ):
            return actor
        raise not_in_pair()

    def require_member(self, pair_id: int) -> Actor:
        """The actor, if they may read and write the pair's content (else AccessDenied)."""
        with self._begin(write=False) as conn:
            return self._member(conn, pair_id)

    def _manager(self, conn: Connection) -> Actor:
        actor = self._acting(conn)
        actor.require(Permission.MANAGE_PAIRS)
        return actor

    @staticmethod
    def _sessions_seen(actor: Actor, pair_id: int):  # noqa: ANN205
        """Numbers of the pair's sessions whose content the actor may read."""
        query = sa.select(pair_sessions.c.number).where(pair_sessions.c.pair_id == pair_id)
        if not actor.is_personal:
            query = query.where(session_visible(actor.user_id))
        return query

    @staticmethod
    def _require_pair(conn: Connection, pair_id: int, *, lock: bool = False) -> None:
        """Refuse an unknown pair. `lock` holds the pair's row until the transaction ends, so
        writers that number its sessions take turns (SQLite's BEGIN IMMEDIATE already
        serialises writers; PostgreSQL needs the row lock, SQLite ignores FOR UPDATE)."""
        query = sa.select(pairs.c.id).where(pairs.c.id == pair_id)
        if lock:
            query = query.with_for_update()
        if conn.execute(query).first() is None:
            raise UnknownPair(pair_id)
