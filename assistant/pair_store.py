"""Pairs in the history database: the one module that encodes and decodes pairs, cohorts,
sessions, tracked actions, ledger entries and a pair's links to artifacts and conversations.

It shares the Store's engine and transactions (BEGIN IMMEDIATE on SQLite), so two processes
recording sessions for the same pair queue up: each gets its own session number and nothing
is lost. A session's summary, its actions and its ledger entries are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import (
    PRIVATE,
    SHARED,
    VISIBILITIES,
    AccessDenied,
    Actor,
    Permission,
    member_of_pair,
    not_in_pair,
    session_visible,
)
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
from assistant.errors import CoachError, InputError
from assistant.pairs import (
    ActionStatus,
    Cohort,
    Goal,
    LedgerEntry,
    Pair,
    PairSession,
    SessionRecord,
    TrackedAction,
)
from assistant.store import Artifact, Store, artifact_values


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


@dataclass(frozen=True)
class PairArtifact:
    """An artifact of a pair, as the timeline lists it (the payload stays in the store)."""

    id: int
    kind: str
    title: str
    created_at: str
    session: int | None


class PairStore:
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
    def _require_pair(conn: Connection, pair_id: int, *, lock: bool = False) -> None:
        """Refuse an unknown pair. `lock` holds the pair's row until the transaction ends, so
        writers that number its sessions take turns (SQLite's BEGIN IMMEDIATE already
        serialises writers; PostgreSQL needs the row lock, SQLite ignores FOR UPDATE)."""
        query = sa.select(pairs.c.id).where(pairs.c.id == pair_id)
        if lock:
            query = query.with_for_update()
        if conn.execute(query).first() is None:
            raise UnknownPair(pair_id)

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

    # --- sessions ------------------------------------------------------------------------------
    def record_session(
        self,
        pair_id: int,
        build: Any,
        summary: Artifact | None = None,
        title: str | None = None,
        visibility: str = SHARED,
    ) -> SessionRecord:
        """Record the pair's next session in one transaction. `build(number) -> SessionRecord`
        is called inside it, once the number is known, so concurrent writers never share one.
        `visibility` "private" keeps its summary, actions and learnings to the writer."""
        if visibility not in VISIBILITIES:
            raise InputError(
                f"Unknown sharing {visibility!r}.", "Use pair (shared) or private (only me)."
            )
        try:
            return self._record_session(pair_id, build, summary, title, visibility)
        except sa_exc.IntegrityError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise CoachError(
                f"The session was not recorded ({reason}); nothing of it was kept.",
                "Try again in a moment.",
            ) from exc

    def _record_session(
        self,
        pair_id: int,
        build: Any,
        summary: Artifact | None,
        title: str | None,
        visibility: str,
    ) -> SessionRecord:
        with self._begin() as conn:
            # Held until the commit: concurrent writers number the pair's sessions in turn.
            self._require_pair(conn, pair_id, lock=True)
            actor = self._member(conn, pair_id)
            if visibility == PRIVATE:
                audit.record(conn, actor.label, audit.SHARING, f"pair #{pair_id}", private=True)
            last = conn.execute(
                sa.select(sa.func.max(pair_sessions.c.number)).where(
                    pair_sessions.c.pair_id == pair_id
                )
            ).scalar()
            record: SessionRecord = build(int(last or 0) + 1)
            number = record.session.number
            summary_id = None
            if summary is not None:
                summary_id = conn.execute(
                    artifacts.insert().values(
                        **artifact_values(summary, title),
                        owner_id=actor.user_id,
                        visibility=visibility,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    pair_artifacts.insert().values(
                        artifact_id=summary_id, pair_id=pair_id, session_number=number
                    )
                )
            s = record.session
            conn.execute(
                pair_sessions.insert().values(
                    pair_id=pair_id,
                    number=number,
                    held_on=s.held_on.isoformat(),
                    next_focus=s.next_focus,
                    rating=s.rating,
                    summary_id=summary_id,
                    created_at=_now(),
                    author_id=actor.user_id,
                    visibility=visibility,
                )
            )
            now = _now()
            if record.actions:
                conn.execute(
                    pair_actions.insert(),
                    [
                        {
                            "pair_id": pair_id,
                            "session_number": number,
                            "owner": a.owner,
                            "text": a.action,
                            "due": a.due,
                            "status": a.status,
                            "updated_at": now,
                        }
                        for a in record.actions
                    ],
                )
            if record.ledger:
                conn.execute(
                    pair_ledger.insert(),
                    [
                        {
                            "pair_id": pair_id,
                            "session_number": number,
                            "side": e.side,
                            "text": e.text,
                        }
                        for e in record.ledger
                    ],
                )
        return SessionRecord(
            session=record.session.model_copy(update={"summary_id": summary_id}),
            actions=record.actions,
            ledger=record.ledger,
        )

    def sessions(self, pair_id: int) -> list[PairSession]:
        """The pair's sessions; one another member keeps private shows its number and date
        only (no next focus, no summary)."""
        with self._begin(write=False) as conn:
            actor = self._member(conn, pair_id)
            seen = {r.number for r in conn.execute(self._sessions_seen(actor, pair_id))}
            rows = conn.execute(
                sa.select(pair_sessions)
                .where(pair_sessions.c.pair_id == pair_id)
                .order_by(pair_sessions.c.number)
            )
            out = []
            for r in rows:
                session = self._to_session(r)
                if r.number not in seen:
                    session = session.model_copy(update={"next_focus": "", "summary_id": None})
                out.append(session)
            return out

    @staticmethod
    def _to_session(r: Any) -> PairSession:
        return PairSession(
            number=r.number,
            held_on=r.held_on,
            next_focus=r.next_focus,
            rating=r.rating,
            summary_id=r.summary_id,
        )

    def rate_session(self, pair_id: int, number: int, rating: int) -> None:
        if not 1 <= rating <= 5:
            raise InputError(f"Rating {rating} is out of range.", "Rate a session from 1 to 5.")
        with self._begin() as conn:
            self._member(conn, pair_id)
            updated = conn.execute(
                pair_sessions.update()
                .where(pair_sessions.c.pair_id == pair_id, pair_sessions.c.number == number)
                .values(rating=rating)
            )
            if updated.rowcount == 0:
                raise InputError(
                    f"Pair #{pair_id} has no session {number}.", "Pick a held session."
                )

    # --- actions and ledger -------------------------------------------------------------------
    @staticmethod
    def _to_action(r: Any) -> TrackedAction:
        return TrackedAction(
            id=r.id,
            session=r.session_number,
            owner=r.owner,
            action=r.text,
            due=r.due,
            status=r.status,
        )

    def actions(self, pair_id: int, status: ActionStatus | None = None) -> list[TrackedAction]:
        query = (
            sa.select(pair_actions)
            .where(pair_actions.c.pair_id == pair_id)
            .order_by(pair_actions.c.session_number, pair_actions.c.id)
        )
        if status:
            query = query.where(pair_actions.c.status == status)
        with self._begin(write=False) as conn:
            actor = self._member(conn, pair_id)
            query = query.where(
                pair_actions.c.session_number.in_(self._sessions_seen(actor, pair_id))
            )
            return [self._to_action(r) for r in conn.execute(query)]

    def set_action_status(self, action_id: int, status: ActionStatus) -> TrackedAction:
        if status not in ("open", "done", "dropped"):
            raise InputError(f"Unknown status {status!r}.", "Use open, done or dropped.")
        with self._begin() as conn:
            self._action_member(conn, action_id)
            updated = conn.execute(
                pair_actions.update()
                .where(pair_actions.c.id == action_id)
                .values(status=status, updated_at=_now())
            )
            if updated.rowcount == 0:
                raise UnknownAction(action_id)
            row = conn.execute(sa.select(pair_actions).where(pair_actions.c.id == action_id)).one()
            return self._to_action(row)

    def _action_member(self, conn: Connection, action_id: int) -> int:
        row = conn.execute(
            sa.select(pair_actions.c.pair_id, pair_actions.c.session_number).where(
                pair_actions.c.id == action_id
            )
        ).first()
        if row is None:
            raise UnknownAction(action_id)
        actor = self._member(conn, row.pair_id)
        seen = conn.execute(
            self._sessions_seen(actor, row.pair_id).where(
                pair_sessions.c.number == row.session_number
            )
        ).first()
        if seen is None:
            raise AccessDenied("This action item is private to the member who recorded it.")
        return int(row.pair_id)

    def action_pair(self, action_id: int) -> int:
        with self._begin(write=False) as conn:
            return self._action_member(conn, action_id)

    def ledger(self, pair_id: int) -> list[LedgerEntry]:
        with self._begin(write=False) as conn:
            actor = self._member(conn, pair_id)
            rows = conn.execute(
                sa.select(pair_ledger)
                .where(
                    pair_ledger.c.pair_id == pair_id,
                    pair_ledger.c.session_number.in_(self._sessions_seen(actor, pair_id)),
                )
                .order_by(pair_ledger.c.session_number, pair_ledger.c.id)
            )
            return [LedgerEntry(side=r.side, text=r.text, session=r.session_number) for r in rows]

    # --- artifacts and conversations of a pair ----------------------------------------------
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

    # --- program health -------------------------------------------------------------------
    # Figures for leads: numbers, dates, ratings and statuses; every text is left out.
    def all_sessions(self) -> dict[int, list[PairSession]]:
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.PROGRAM_HEALTH)
            out: dict[int, list[PairSession]] = {}
            rows = conn.execute(
                sa.select(pair_sessions).order_by(pair_sessions.c.pair_id, pair_sessions.c.number)
            )
            for r in rows:
                session = self._to_session(r).model_copy(
                    update={"next_focus": "", "summary_id": None}
                )
                out.setdefault(r.pair_id, []).append(session)
            return out

    def all_actions(self) -> dict[int, list[TrackedAction]]:
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.PROGRAM_HEALTH)
            out: dict[int, list[TrackedAction]] = {}
            for r in conn.execute(sa.select(pair_actions).order_by(pair_actions.c.id)):
                action = self._to_action(r).model_copy(update={"action": "-", "due": None})
                out.setdefault(r.pair_id, []).append(action)
            return out

    def all_ledger_sides(self) -> dict[int, list[LedgerEntry]]:
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.PROGRAM_HEALTH)
            out: dict[int, list[LedgerEntry]] = {}
            # Counts are all the health view needs: the text is not even read.
            query = sa.select(
                pair_ledger.c.pair_id, pair_ledger.c.side, pair_ledger.c.session_number
            )
            for r in conn.execute(query):
                out.setdefault(r.pair_id, []).append(
                    LedgerEntry(side=r.side, text="", session=r.session_number)
                )
            return out
