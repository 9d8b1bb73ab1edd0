"""Program health figures for leads across all pairs: numbers, dates, ratings and statuses,
with every text left out."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.access import Permission
from assistant.db import pair_actions, pair_ledger, pair_sessions
from assistant.pair_store.sessions import PairSessionStore
from assistant.pairs import LedgerEntry, PairSession, TrackedAction


class PairHealthStore(PairSessionStore):
    """Built on the session store, whose row decoders it reuses."""

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
