"""What users say about saved items: thumbs up or down, and the thumbs-down items they
share with the program team (which leads may turn into eval cases)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assistant import audit
from assistant.access import Permission
from assistant.db import artifacts, ratings, shared_items
from assistant.errors import InputError
from assistant.store.base import StoreBase
from assistant.store.rows import _now

_UPSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class FeedbackStore(StoreBase):
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
