"""The audit log (issue 12): who did what and when, never what a note or a chat says.

Entries are written in the transaction of the change they record, so a change and its entry
are kept or lost together. `detail` holds ids, roles and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.db import audit_log

# What the log records (the `action` column).
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
LOCKED_OUT = "locked_out"
SIGN_OUT = "sign_out"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
USER_ADDED = "user_added"
ROLE_CHANGED = "role_changed"
USER_REMOVED = "user_removed"
PERSONAL_CLAIMED = "personal_data_claimed"
PAIR_MEMBERS = "pair_members_changed"
SHARING = "sharing_changed"
EXPORT = "export"
DELETION = "deletion"
RETENTION = "retention_run"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def record(conn: Connection, actor: str, action: str, target: str = "", **detail: Any) -> None:
    """Add one entry inside the caller's transaction."""
    conn.execute(
        audit_log.insert().values(
            at=_now(), actor=actor, action=action, target=target[:200], detail=detail
        )
    )


def entries(conn: Connection, limit: int = 500, action: str | None = None) -> list[AuditEntry]:
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if action:
        query = query.where(audit_log.c.action == action)
    return [
        AuditEntry(
            id=r.id, at=r.at, actor=r.actor, action=r.action, target=r.target, detail=r.detail
        )
        for r in conn.execute(query)
    ]
