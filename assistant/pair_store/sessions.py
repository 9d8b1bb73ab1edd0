"""A pair's sessions and what each records: the summary, tracked actions and ledger
entries, written in one transaction and numbered in turn; each read keeps private sessions
to their writer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import PRIVATE, SHARED, VISIBILITIES, AccessDenied
from assistant.db import artifacts, pair_actions, pair_artifacts, pair_ledger, pair_sessions
from assistant.errors import CoachError, InputError
from assistant.pair_store.base import PairStoreBase, UnknownAction, _now
from assistant.pairs import ActionStatus, LedgerEntry, PairSession, SessionRecord, TrackedAction
from assistant.store import Artifact, artifact_values


class PairSessionStore(PairStoreBase):
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
