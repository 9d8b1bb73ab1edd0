"""What every part of the history store shares: the engine, one short transaction at a
time, who is acting, and the checks that they may see or change a row."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
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
from assistant.db import _make_engine, artifacts, conversations, database_error, mask_url, users
from assistant.errors import InputError
from assistant.migrations import ensure_schema


class StoreBase:
    """The engine and the acting user; each part of the Store builds on this."""

    def __init__(self, database_url: str) -> None:
        self.url = mask_url(database_url)
        self.engine = _make_engine(database_url)
        self._writer = self.engine.execution_options(coach_write=True)
        # Creates a new database, or upgrades an older one (after a backup, under a lock).
        self.schema_change = ensure_schema(self._writer)
        self.actor: Actor = PERSONAL

    def acting_as(self, actor: Actor) -> Self:
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

    @staticmethod
    def _require(conn: Connection, table: sa.Table, row_id: int, what: str) -> None:
        if conn.execute(sa.select(table.c.id).where(table.c.id == row_id)).first() is None:
            raise InputError(
                f"There is no saved {what} #{row_id}.", f"Pick an existing {what} from the history."
            )
