"""Who may do what (issue 12): roles, the acting user, and the access matrix as code.

Every read and write of the history goes through a store bound to an `Actor`
(`Store.acting_as`). The personal actor is the one person using a coach that has no accounts:
it may do everything, but only while no account exists; once the first admin is created, every
call must name a signed-in user. The matrix (README, "Accounts"):

| | own chats | own pairs' content | other pairs' content | pairs admin | program health |
|---|---|---|---|---|---|
| mentor, mentee | yes | yes | no | no | no |
| lead | yes | if in the pair | no | yes | counts only |
| admin | yes | if in the pair | no | yes | counts only |

plus evals and knowledge upload (lead, admin), users admin and the audit log (admin only).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from assistant.errors import InputError


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    LEAD = "lead"
    ADMIN = "admin"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)


class Permission(StrEnum):
    MANAGE_PAIRS = "create pairs and match accounts"
    PROGRAM_HEALTH = "see program health"
    EVALS = "see the eval dashboard and run evals"
    KNOWLEDGE_UPLOAD = "add documents to the knowledge base"
    USERS_ADMIN = "manage accounts"
    AUDIT_LOG = "read the audit log"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.MENTOR: frozenset(),
    Role.MENTEE: frozenset(),
    Role.LEAD: frozenset(
        {
            Permission.MANAGE_PAIRS,
            Permission.PROGRAM_HEALTH,
            Permission.EVALS,
            Permission.KNOWLEDGE_UPLOAD,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


class AccessDenied(InputError):
    """The acting user may not read or change this. Exit 2; the message names no content."""


class SignInRequired(AccessDenied):
    def __init__(self) -> None:
        super().__init__(
            "Sign-in is on (this coach has accounts): say who is acting.",
            "On the command line add --as EMAIL (or set COACH_USER); in the app, sign in.",
        )


@dataclass(frozen=True)
class Actor:
    """The person a store call acts for: personal mode (no accounts), or one account."""

    user_id: int | None = None
    email: str | None = None
    role: Role | None = None

    @property
    def is_personal(self) -> bool:
        return self.user_id is None

    @property
    def label(self) -> str:
        """How the audit log names them."""
        return self.email or "personal"

    def can(self, permission: Permission) -> bool:
        """Personal mode may do everything (the caller checks that no account exists)."""
        return self.is_personal or (self.role is not None and permission in GRANTS[Role(self.role)])

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise AccessDenied(
                f"Your role ({self.role}) may not {permission.value}.",
                "Ask your program lead or an admin if you need it.",
            )


PERSONAL = Actor()
