"""The program's roster: cohorts, pairs with their goals, and the accounts matched to a
pair's two sides (deleting a pair takes everything of it along)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import Permission, member_of_pair
from assistant.db import (
    artifacts,
    cohorts,
    conversations,
    pair_actions,
    pair_artifacts,
    pair_conversations,
    pair_goals,
    pair_ledger,
    pair_sessions,
    pairs,
    ratings,
    users,
)
from assistant.errors import InputError
from assistant.pair_store.base import PairStoreBase, UnknownPair, _now
from assistant.pairs import Cohort, Goal, Pair


class PairRosterStore(PairStoreBase):
    def set_members(self, pair_id: int, mentor_email: str | None, mentee_email: str | None) -> Pair:
        """A lead matches accounts to the pair (None leaves a side as it is)."""
        from assistant.accounts import normalise_email

        with self._begin() as conn:
            actor = self._manager(conn)
            self._require_pair(conn, pair_id)
            values: dict[str, Any] = {}
            for side, email in (("mentor", mentor_email), ("mentee", mentee_email)):
                if email is None:
                    continue
                value = normalise_email(email)
                row = conn.execute(sa.select(users.c.id).where(users.c.email == value)).first()
                if row is None:
                    raise InputError(
                        f"There is no account for {value}.", "Add it first with `coach user add`."
                    )
                values[f"{side}_user_id"] = row.id
            if values.get("mentor_user_id") and values.get("mentor_user_id") == values.get(
                "mentee_user_id"
            ):
                raise InputError(
                    "The mentor and the mentee must be two accounts.", "Give two emails."
                )
            if values:
                conn.execute(pairs.update().where(pairs.c.id == pair_id).values(**values))
                audit.record(
                    conn,
                    actor.label,
                    audit.PAIR_MEMBERS,
                    f"pair #{pair_id}",
                    mentor=mentor_email,
                    mentee=mentee_email,
                )
            return self._load_pair(conn, pair_id)

    def members(self, pair_id: int) -> dict[str, str | None]:
        """The emails of the pair's two accounts (None: not matched yet)."""
        with self._begin(write=False) as conn:
            self._member(conn, pair_id, metadata_ok=True)
            row = conn.execute(
                sa.select(pairs.c.mentor_user_id, pairs.c.mentee_user_id).where(
                    pairs.c.id == pair_id
                )
            ).one()
            out: dict[str, str | None] = {}
            for side, user_id in (("mentor", row.mentor_user_id), ("mentee", row.mentee_user_id)):
                email = None
                if user_id is not None:
                    email = conn.execute(
                        sa.select(users.c.email).where(users.c.id == user_id)
                    ).scalar()
                out[side] = email
            return out

    # --- cohorts -------------------------------------------------------------------------------
    def add_cohort(self, cohort: Cohort) -> Cohort:
        with self._begin() as conn:
            self._manager(conn)
            new_id = conn.execute(
                cohorts.insert().values(
                    name=cohort.name,
                    start_date=cohort.start_date.isoformat(),
                    end_date=cohort.end_date.isoformat(),
                    created_at=_now(),
                )
            ).inserted_primary_key[0]
        return cohort.model_copy(update={"id": new_id})

    def list_cohorts(self) -> list[Cohort]:
        with self._begin(write=False) as conn:
            self._acting(conn)
            rows = conn.execute(sa.select(cohorts).order_by(cohorts.c.start_date, cohorts.c.id))
            return [
                Cohort(id=r.id, name=r.name, start_date=r.start_date, end_date=r.end_date)
                for r in rows
            ]

    def _require_cohort(self, conn: Connection, cohort_id: int | None) -> None:
        if cohort_id is None:
            return
        if conn.execute(sa.select(cohorts.c.id).where(cohorts.c.id == cohort_id)).first() is None:
            raise InputError(
                f"There is no cohort #{cohort_id}.", "Run `coach cohort list` to see the cohorts."
            )

    # --- pairs ---------------------------------------------------------------------------------
    @staticmethod
    def _pair_values(pair: Pair) -> dict[str, Any]:
        return {
            "mentor": pair.mentor,
            "mentee": pair.mentee,
            "mentor_role": pair.mentor_role,
            "mentee_role": pair.mentee_role,
            "start_date": pair.start_date.isoformat(),
            "cadence_days": pair.cadence_days,
            "sessions_planned": pair.sessions_planned,
            "status": pair.status,
            "cohort_id": pair.cohort_id,
        }

    @staticmethod
    def _write_goals(conn: Connection, pair_id: int, goals: list[Goal]) -> None:
        keep = [g.id for g in goals if g.id is not None]
        conn.execute(
            pair_goals.delete().where(pair_goals.c.pair_id == pair_id, pair_goals.c.id.not_in(keep))
        )
        for position, goal in enumerate(goals):
            values = {"side": goal.side, "text": goal.text, "progress": goal.progress}
            if goal.id is None:
                conn.execute(
                    pair_goals.insert().values(pair_id=pair_id, position=position, **values)
                )
            else:
                conn.execute(
                    pair_goals.update()
                    .where(pair_goals.c.id == goal.id, pair_goals.c.pair_id == pair_id)
                    .values(position=position, **values)
                )

    def add_pair(self, pair: Pair) -> Pair:
        now = _now()
        with self._begin() as conn:
            self._manager(conn)
            self._require_cohort(conn, pair.cohort_id)
            pair_id = conn.execute(
                pairs.insert().values(**self._pair_values(pair), created_at=now, updated_at=now)
            ).inserted_primary_key[0]
            self._write_goals(
                conn, pair_id, [g.model_copy(update={"id": None}) for g in pair.goals]
            )
            return self._load_pair(conn, pair_id)

    def update_pair(self, pair: Pair) -> Pair:
        """Save an edited pair (its goals too: goals without an id are added, missing ones go)."""
        assert pair.id is not None
        with self._begin() as conn:
            self._member(conn, pair.id, metadata_ok=True)
            self._require_cohort(conn, pair.cohort_id)
            conn.execute(
                pairs.update()
                .where(pairs.c.id == pair.id)
                .values(**self._pair_values(pair), updated_at=_now())
            )
            self._write_goals(conn, pair.id, pair.goals)
            return self._load_pair(conn, pair.id)

    def set_goal_progress(self, pair_id: int, goal_id: int, progress: int) -> None:
        if not 1 <= progress <= 5:
            raise InputError(f"Progress {progress} is out of range.", "Rate progress from 1 to 5.")
        with self._begin() as conn:
            self._member(conn, pair_id, metadata_ok=True)
            updated = conn.execute(
                pair_goals.update()
                .where(pair_goals.c.id == goal_id, pair_goals.c.pair_id == pair_id)
                .values(progress=progress)
            )
            if updated.rowcount == 0:
                raise InputError(
                    f"Pair #{pair_id} has no goal #{goal_id}.",
                    "Run `coach pair show ID` to see the goals and their ids.",
                )

    @staticmethod
    def _load_pair(conn: Connection, pair_id: int) -> Pair:
        row = conn.execute(sa.select(pairs).where(pairs.c.id == pair_id)).first()
        if row is None:
            raise UnknownPair(pair_id)
        goal_rows = conn.execute(
            sa.select(pair_goals)
            .where(pair_goals.c.pair_id == pair_id)
            .order_by(pair_goals.c.position, pair_goals.c.id)
        )
        return Pair(
            id=row.id,
            mentor=row.mentor,
            mentee=row.mentee,
            mentor_role=row.mentor_role,
            mentee_role=row.mentee_role,
            start_date=row.start_date,
            cadence_days=row.cadence_days,
            sessions_planned=row.sessions_planned,
            status=row.status,
            cohort_id=row.cohort_id,
            goals=[Goal(id=g.id, side=g.side, text=g.text, progress=g.progress) for g in goal_rows],
        )

    def get_pair(self, pair_id: int) -> Pair:
        """The pair, or UnknownPair (exit 2 on the command line)."""
        with self._begin(write=False) as conn:
            self._member(conn, pair_id, metadata_ok=True)
            return self._load_pair(conn, pair_id)

    def list_pairs(self, cohort_id: int | None = None) -> list[Pair]:
        query = sa.select(pairs.c.id).order_by(pairs.c.id)
        if cohort_id is not None:
            query = query.where(pairs.c.cohort_id == cohort_id)
        with self._begin(write=False) as conn:
            actor = self._acting(conn)
            sees_all = actor.can(Permission.MANAGE_PAIRS) or actor.can(Permission.PROGRAM_HEALTH)
            if not sees_all:
                query = query.where(member_of_pair(actor.user_id))
            return [self._load_pair(conn, r.id) for r in conn.execute(query)]

    def delete_pair(self, pair_id: int) -> None:
        """The pair and everything of it: goals, sessions, actions, ledger, and its saved
        artifacts and conversations (their text goes too)."""
        with self._begin() as conn:
            actor = self._manager(conn)
            self._require_pair(conn, pair_id)
            audit.record(conn, actor.label, audit.DELETION, f"pair #{pair_id}")
            artifact_ids = sa.select(pair_artifacts.c.artifact_id).where(
                pair_artifacts.c.pair_id == pair_id
            )
            ids = [r[0] for r in conn.execute(artifact_ids)]
            conversation_ids = [
                r[0]
                for r in conn.execute(
                    sa.select(pair_conversations.c.conversation_id).where(
                        pair_conversations.c.pair_id == pair_id
                    )
                )
            ]
            # Explicit as well as ON DELETE, for databases where foreign keys are not enforced.
            for table in (pair_goals, pair_sessions, pair_actions, pair_ledger):
                conn.execute(table.delete().where(table.c.pair_id == pair_id))
            conn.execute(pair_artifacts.delete().where(pair_artifacts.c.pair_id == pair_id))
            conn.execute(pair_conversations.delete().where(pair_conversations.c.pair_id == pair_id))
            if ids:
                conn.execute(ratings.delete().where(ratings.c.artifact_id.in_(ids)))
                conn.execute(artifacts.delete().where(artifacts.c.id.in_(ids)))
            if conversation_ids:
                from assistant.db import messages

                conn.execute(
                    messages.delete().where(messages.c.conversation_id.in_(conversation_ids))
                )
                conn.execute(conversations.delete().where(conversations.c.id.in_(conversation_ids)))
            conn.execute(pairs.delete().where(pairs.c.id == pair_id))
