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


# --- the matrix as SQL: what a user may read (personal mode reads everything) -------------
# Imported late by the stores; kept here so the whole policy is in one module.
def member_of_pair(user_id: int):  # noqa: ANN201
    """Pairs the user is a member of: matched as mentor or mentee, or keeping a pair made in
    personal mode that has no account matched yet."""
    import sqlalchemy as sa

    from assistant.db import pairs

    return sa.or_(
        pairs.c.mentor_user_id == user_id,
        pairs.c.mentee_user_id == user_id,
        sa.and_(
            pairs.c.keeper_id == user_id,
            pairs.c.mentor_user_id.is_(None),
            pairs.c.mentee_user_id.is_(None),
        ),
    )


def my_pair_ids(user_id: int):  # noqa: ANN201
    import sqlalchemy as sa

    from assistant.db import pairs

    return sa.select(pairs.c.id).where(member_of_pair(user_id))


def conversation_visible(user_id: int):  # noqa: ANN201
    """Own chats, and the conversations of the user's pairs."""
    import sqlalchemy as sa

    from assistant.db import conversations, pair_conversations

    in_my_pairs = sa.select(pair_conversations.c.conversation_id).where(
        pair_conversations.c.pair_id.in_(my_pair_ids(user_id))
    )
    return sa.or_(conversations.c.owner_id == user_id, conversations.c.id.in_(in_my_pairs))


def artifact_visible(user_id: int):  # noqa: ANN201
    """Own items outside pairs; items of the user's pairs unless another member made them
    "only me"; answers in a conversation the user may read."""
    import sqlalchemy as sa

    from assistant.db import artifacts, conversations, pair_artifacts

    in_pairs = sa.select(pair_artifacts.c.artifact_id)
    in_my_pairs = sa.select(pair_artifacts.c.artifact_id).where(
        pair_artifacts.c.pair_id.in_(my_pair_ids(user_id))
    )
    readable_chats = sa.select(conversations.c.id).where(conversation_visible(user_id))
    return sa.or_(
        sa.and_(artifacts.c.owner_id == user_id, artifacts.c.id.not_in(in_pairs)),
        sa.and_(
            artifacts.c.id.in_(in_my_pairs),
            sa.or_(
                artifacts.c.visibility.is_(None),
                artifacts.c.visibility != PRIVATE,
                artifacts.c.owner_id == user_id,
            ),
        ),
        sa.and_(artifacts.c.id.not_in(in_pairs), artifacts.c.conversation_id.in_(readable_chats)),
    )


def session_visible(user_id: int):  # noqa: ANN201
    """A pair session whose summary, actions and learnings the user may read."""
    import sqlalchemy as sa

    from assistant.db import pair_sessions

    return sa.or_(
        pair_sessions.c.visibility.is_(None),
        pair_sessions.c.visibility != PRIVATE,
        pair_sessions.c.author_id == user_id,
    )


SHARED, PRIVATE = "pair", "private"  # who reads a pair's notes or summary
VISIBILITIES: tuple[str, ...] = (SHARED, PRIVATE)


def not_in_pair() -> AccessDenied:
    return AccessDenied(
        "You are not a member of this pair: its agendas, notes, summaries, actions and "
        "learnings are private to its two members.",
        "Program leads see its figures on Program health.",
    )


def not_yours(what: str) -> AccessDenied:
    return AccessDenied(f"This {what} is not yours to open.", "Open your own from History.")
