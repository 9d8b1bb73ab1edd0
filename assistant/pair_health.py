"""Program health for leads: each pair's figures (counts, dates and ratings only, never the
text of notes, summaries or chats), sessions per week, the CSV export and a nudge message for
a stalled pair."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from assistant.pairs import LedgerEntry, Pair, PairSession, TrackedAction


@dataclass(frozen=True)
class PairHealth:
    """A pair's figures for leads: counts, dates and ratings, never any text from the pair."""

    id: int
    mentor: str
    mentee: str
    status: str
    cohort_id: int | None
    sessions_held: int
    sessions_planned: int
    last_session: str | None
    days_since_last: int | None
    stalled: bool
    actions_open: int
    actions_done: int
    actions_dropped: int
    action_completion: float | None
    goal_progress: float | None
    learned_by_senior: int
    learned_by_junior: int
    average_rating: float | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def pair_health(
    pair: Pair,
    sessions: Sequence[PairSession],
    actions: Sequence[TrackedAction],
    ledger: Sequence[LedgerEntry],
    today: date,
    stalled_days: int,
) -> PairHealth:
    assert pair.id is not None
    last = max((s.held_on for s in sessions), default=None)
    since = (today - last).days if last else None
    quiet_for = (today - (last or pair.start_date)).days
    status = Counter(a.status for a in actions)
    decided = status["done"] + status["open"]
    ratings = [s.rating for s in sessions if s.rating is not None]
    return PairHealth(
        id=pair.id,
        mentor=pair.mentor,
        mentee=pair.mentee,
        status=pair.status,
        cohort_id=pair.cohort_id,
        sessions_held=len(sessions),
        sessions_planned=pair.sessions_planned,
        last_session=last.isoformat() if last else None,
        days_since_last=since,
        stalled=pair.status == "active" and quiet_for > stalled_days,
        actions_open=status["open"],
        actions_done=status["done"],
        actions_dropped=status["dropped"],
        action_completion=round(status["done"] / decided, 3) if decided else None,
        goal_progress=(
            round(sum(g.progress for g in pair.goals) / len(pair.goals), 2) if pair.goals else None
        ),
        learned_by_senior=sum(1 for e in ledger if e.side == "senior"),
        learned_by_junior=sum(1 for e in ledger if e.side == "junior"),
        average_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


def sessions_per_week(held_on: Sequence[date]) -> list[tuple[date, int]]:
    """Sessions held per ISO week (keyed by the week's Monday), every week in the range."""
    if not held_on:
        return []
    weeks = Counter(d - timedelta(days=d.weekday()) for d in held_on)
    first, last = min(weeks), max(weeks)
    out = []
    week = first
    while week <= last:
        out.append((week, weeks.get(week, 0)))
        week += timedelta(days=7)
    return out


HEALTH_FIELDS = (
    "id",
    "mentor",
    "mentee",
    "status",
    "cohort_id",
    "sessions_held",
    "sessions_planned",
    "last_session",
    "days_since_last",
    "stalled",
    "actions_open",
    "actions_done",
    "actions_dropped",
    "action_completion",
    "goal_progress",
    "learned_by_senior",
    "learned_by_junior",
    "average_rating",
)


def health_csv(rows: list[dict[str, Any]]) -> str:
    """The health figures as CSV (the same columns as `coach pairs health --json`)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEALTH_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def nudge_message(health: PairHealth) -> str:
    """A friendly message a lead can send a stalled pair (no notes are quoted)."""
    if health.days_since_last is None:
        when = "you have not held your first session yet"
    else:
        when = f"it has been {health.days_since_last} days since your last session"
    done = f"{health.sessions_held} of {health.sessions_planned} sessions"
    return (
        f"Hi {health.mentor} and {health.mentee}, {when} ({done} so far). Could you book "
        "the next one in the coming two weeks? If something is in the way, reply and we can "
        "adjust the cadence or pause the pair."
    )


def program_health(
    store: Any, today: date, stalled_days: int, cohort_id: int | None = None
) -> list[PairHealth]:
    sessions, actions, ledger = store.all_sessions(), store.all_actions(), store.all_ledger_sides()
    return [
        pair_health(
            pair,
            sessions.get(pair.id, []),
            actions.get(pair.id, []),
            ledger.get(pair.id, []),
            today,
            stalled_days,
        )
        for pair in store.list_pairs(cohort_id)
    ]
