"""Accounts (issue 12): users, their roles and passwords, sign-in with lock-out, and what
happens to their data when the first admin arrives or an account is removed.

A coach with no account is in personal mode (one person, no sign-in). Creating the first
account, which must be an admin, turns sign-in on and gives that admin everything made in
personal mode, in the same transaction. Passwords are hashed with Argon2id (argon2-cffi);
a password is never logged, stored in clear or accepted as a command-line argument.

The small API other modules use: `Role`, `Actor`, `find_user_by_email(store, email)`,
`Accounts(store).actor_for(email)`, `accounts_on(store)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from assistant import audit
from assistant.access import PERSONAL, AccessDenied, Actor, Permission, Role
from assistant.db import (
    artifacts,
    conversations,
    messages,
    pair_actions,
    pair_artifacts,
    pair_conversations,
    pair_ledger,
    pair_sessions,
    pairs,
    ratings,
    shared_items,
    users,
)
from assistant.errors import InputError

__all__ = ["Accounts", "Actor", "Role", "User", "accounts_on", "find_user_by_email"]

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 200
LOCKOUT_ATTEMPTS = 5  # failed sign-ins in a row that lock an account
LOCKOUT_MINUTES = 15  # how long it stays locked
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: Role
    created_at: str
    has_password: bool
    locked_until: str | None
    session_version: int
    consented_at: str | None

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, email=self.email, role=self.role)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role.value,
            "created_at": self.created_at,
            "has_password": self.has_password,
            "locked_until": self.locked_until,
        }


class SignInFailed(InputError):
    """Wrong email or password, or a locked account: one line, the same for unknown emails."""


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise InputError(f"{email!r} is not an email address.", "Use the form name@example.org.")
    return value


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(
            f"The password is too short ({len(password)} characters).",
            f"Use at least {MIN_PASSWORD_CHARS} characters.",
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputError("The password is too long.", f"Use at most {MAX_PASSWORD_CHARS}.")
    return password


def parse_role(value: str) -> Role:
    try:
        return Role((value or "").strip().lower())
    except ValueError as exc:
        raise InputError(
            f"{value!r} is not a role.", f"Use one of: {', '.join(r.value for r in Role)}."
        ) from exc


def _to_user(row: sa.Row) -> User:
    return User(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        created_at=row.created_at,
        has_password=row.password_hash is not None,
        locked_until=row.locked_until,
        session_version=row.session_version,
        consented_at=row.consented_at,
    )


def _any_user(conn: Connection) -> bool:
    return conn.execute(sa.select(users.c.id).limit(1)).first() is not None


def accounts_on(store: object) -> bool:
    """True once any account exists (sign-in is on for everyone)."""
    with store._begin(write=False) as conn:  # type: ignore[attr-defined]
        return _any_user(conn)


def find_user_by_email(store: object, email: str) -> User | None:
    """The account with this email (any case), or None."""
    try:
        value = normalise_email(email)
    except InputError:
        return None
    with store._begin(write=False) as conn:  # type: ignore[attr-defined]
        row = conn.execute(sa.select(users).where(users.c.email == value)).first()
    return _to_user(row) if row else None


class Accounts:
    """Users of one history database. `by` is who is acting (for the checks and the audit)."""

    def __init__(self, store: object) -> None:
        self.store = store

    def _begin(self, write: bool = True):  # noqa: ANN202
        return self.store._begin(write=write)  # type: ignore[attr-defined]

    # --- reading ---------------------------------------------------------------------------
    def accounts_on(self) -> bool:
        return accounts_on(self.store)

    def find(self, email: str) -> User | None:
        return find_user_by_email(self.store, email)

    def get(self, user_id: int) -> User | None:
        with self._begin(write=False) as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        return _to_user(row) if row else None

    def actor_for(self, email: str) -> Actor:
        """The actor for a command run `--as EMAIL`; an unknown email is refused."""
        user = self.find(email)
        if user is None:
            raise AccessDenied(
                f"There is no account for {email.strip()!r}.",
                "Check the email, or ask an admin to add it (`coach user add`).",
            )
        return user.actor

    def _require_admin(self, conn: Connection, by: Actor) -> None:
        if by.is_personal:
            if _any_user(conn):
                from assistant.access import SignInRequired

                raise SignInRequired()
            return
        by.require(Permission.USERS_ADMIN)

    def list_users(self, by: Actor = PERSONAL) -> list[User]:
        with self._begin(write=False) as conn:
            self._require_admin(conn, by)
            return [_to_user(r) for r in conn.execute(sa.select(users).order_by(users.c.email))]

    # --- changing ------------------------------------------------------------------------
    def add_user(
        self, email: str, role: Role | str, password: str | None, by: Actor = PERSONAL
    ) -> User:
        """Add an account (password None: single sign-on only). The first one must be an admin;
        it turns sign-in on and takes over everything made in personal mode."""
        value, role = normalise_email(email), parse_role(str(role))
        digest = _hasher.hash(check_password(password)) if password is not None else None
        with self._begin() as conn:
            first = not _any_user(conn)
            if first and role is not Role.ADMIN:
                raise InputError(
                    "The first account must be an admin: it turns sign-in on for everyone.",
                    "Run `coach user add --email E --role admin` first.",
                )
            if not first:
                self._require_admin(conn, by)
            if conn.execute(sa.select(users.c.id).where(users.c.email == value)).first():
                raise InputError(
                    f"There is already an account for {value}.",
                    "Change its role with `coach user role` instead.",
                )
            user_id = conn.execute(
                users.insert().values(
                    email=value,
                    role=role.value,
                    password_hash=digest,
                    created_at=_now().isoformat(timespec="seconds"),
                    failed_signins=0,
                    session_version=1,
                )
            ).inserted_primary_key[0]
            audit.record(conn, by.label, audit.USER_ADDED, value, role=role.value)
            if first:
                claimed = self._claim_personal_data(conn, user_id)
                audit.record(conn, value, audit.PERSONAL_CLAIMED, value, **claimed)
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).one()
        return _to_user(row)

    @staticmethod
    def _claim_personal_data(conn: Connection, user_id: int) -> dict[str, int]:
        """Everything made before any account becomes the first admin's (counts returned)."""
        counts = {}
        for name, table in (("conversations", conversations), ("artifacts", artifacts)):
            counts[name] = conn.execute(
                table.update().where(table.c.owner_id.is_(None)).values(owner_id=user_id)
            ).rowcount
        counts["pairs"] = conn.execute(
            pairs.update()
            .where(
                pairs.c.keeper_id.is_(None),
                pairs.c.mentor_user_id.is_(None),
                pairs.c.mentee_user_id.is_(None),
            )
            .values(keeper_id=user_id)
        ).rowcount
        conn.execute(
            pair_sessions.update()
            .where(pair_sessions.c.author_id.is_(None))
            .values(author_id=user_id)
        )
        return counts

    def _load(self, conn: Connection, email: str) -> sa.Row:
        value = normalise_email(email)
        row = conn.execute(sa.select(users).where(users.c.email == value)).first()
        if row is None:
            raise InputError(f"There is no account for {value}.", "Run `coach user list`.")
        return row

    def _other_admins(self, conn: Connection, user_id: int) -> int:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(users)
            .where(users.c.role == Role.ADMIN.value, users.c.id != user_id)
        ).scalar_one()

    def set_role(self, email: str, role: Role | str, by: Actor) -> User:
        role = parse_role(str(role))
        with self._begin() as conn:
            self._require_admin(conn, by)
            row = self._load(conn, email)
            if row.role == Role.ADMIN.value and role is not Role.ADMIN:
                if not self._other_admins(conn, row.id):
                    raise InputError(
                        f"{row.email} is the last admin.", "Make another account admin first."
                    )
            conn.execute(users.update().where(users.c.id == row.id).values(role=role.value))
            audit.record(conn, by.label, audit.ROLE_CHANGED, row.email, old=row.role, new=role)
            return _to_user(conn.execute(sa.select(users).where(users.c.id == row.id)).one())

    def reset_password(self, email: str, password: str, by: Actor) -> None:
        """An admin sets a new password; the account is unlocked and signed out everywhere."""
        digest = _hasher.hash(check_password(password))
        with self._begin() as conn:
            self._require_admin(conn, by)
            row = self._load(conn, email)
            conn.execute(
                users.update()
                .where(users.c.id == row.id)
                .values(
                    password_hash=digest,
                    failed_signins=0,
                    locked_until=None,
                    session_version=row.session_version + 1,
                )
            )
            audit.record(conn, by.label, audit.PASSWORD_RESET, row.email)

    def change_password(self, user_id: int, old: str, new: str) -> User:
        """The user changes their own password (the old one is checked first)."""
        digest = _hasher.hash(check_password(new))
        with self._begin() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
            if row is None or not _verify(row.password_hash, old):
                raise InputError("The current password is not right.", "Type it again.")
            conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(password_hash=digest, session_version=row.session_version + 1)
            )
            audit.record(conn, row.email, audit.PASSWORD_CHANGED, row.email)
            return _to_user(conn.execute(sa.select(users).where(users.c.id == user_id)).one())

    def record_consent(self, user_id: int) -> None:
        with self._begin() as conn:
            conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(consented_at=_now().isoformat(timespec="seconds"))
            )

    # --- signing in ------------------------------------------------------------------------
    def sign_in(self, email: str, password: str, now: datetime | None = None) -> User:
        """The user, or SignInFailed: the same line for an unknown email and a wrong password;
        after LOCKOUT_ATTEMPTS failures in a row the account is locked for LOCKOUT_MINUTES."""
        now = now or _now()
        wrong = SignInFailed("The email or the password is not right.", "Try again.")
        try:
            value = normalise_email(email)
        except InputError:
            raise wrong from None
        with self._begin() as conn:
            row = conn.execute(sa.select(users).where(users.c.email == value)).first()
            if row is None:
                _hasher.hash("timing: as slow as a real check")
                audit.record(conn, "unknown", audit.SIGN_IN_FAILED, "unknown account")
                failure = wrong
            elif row.locked_until and datetime.fromisoformat(row.locked_until) > now:
                audit.record(conn, row.email, audit.SIGN_IN_FAILED, row.email, locked=True)
                failure = _locked(row.locked_until, now)
            elif not _verify(row.password_hash, password):
                failed = row.failed_signins + 1
                values: dict = {"failed_signins": failed}
                audit.record(conn, row.email, audit.SIGN_IN_FAILED, row.email, attempt=failed)
                failure = wrong
                if failed >= LOCKOUT_ATTEMPTS:
                    until = (now + timedelta(minutes=LOCKOUT_MINUTES)).isoformat()
                    values = {"failed_signins": 0, "locked_until": until}
                    audit.record(conn, row.email, audit.LOCKED_OUT, row.email, minutes=15)
                    failure = _locked(until, now)
                conn.execute(users.update().where(users.c.id == row.id).values(**values))
            else:
                conn.execute(
                    users.update()
                    .where(users.c.id == row.id)
                    .values(failed_signins=0, locked_until=None)
                )
                audit.record(conn, row.email, audit.SIGN_IN, row.email)
                return _to_user(row)
        raise failure

    # --- removing --------------------------------------------------------------------------
    def remove_user(self, email: str, by: Actor) -> dict[str, int]:
        """Remove an account (an admin, or the user themself) and their own data. A pair they
        were in stays with the other member: its shared records are kept, the leaver's private
        notes and summaries go, and the pair has no account on that side until a lead matches
        a new one. Returns what was deleted (counts)."""
        with self._begin() as conn:
            row = self._load(conn, email)
            if by.user_id != row.id:
                self._require_admin(conn, by)
            if row.role == Role.ADMIN.value and not self._other_admins(conn, row.id):
                raise InputError(
                    f"{row.email} is the last admin.",
                    "Make another account admin before removing this one.",
                )
            counts = _delete_own_data(conn, row.id)
            conn.execute(users.delete().where(users.c.id == row.id))
            audit.record(conn, by.label, audit.USER_REMOVED, row.email, **counts)
            return counts


def _locked(until: str, now: datetime) -> SignInFailed:
    minutes = max(1, round((datetime.fromisoformat(until) - now).total_seconds() / 60))
    return SignInFailed(
        f"This account is locked after {LOCKOUT_ATTEMPTS} failed sign-ins.",
        f"Try again in {minutes} minute(s), or ask an admin to reset the password.",
    )


def _verify(digest: str | None, password: str) -> bool:
    if not digest:
        return False
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def _delete_artifacts(conn: Connection, ids: list[int]) -> int:
    if not ids:
        return 0
    conn.execute(ratings.delete().where(ratings.c.artifact_id.in_(ids)))
    conn.execute(shared_items.delete().where(shared_items.c.artifact_id.in_(ids)))
    conn.execute(pair_artifacts.delete().where(pair_artifacts.c.artifact_id.in_(ids)))
    conn.execute(messages.update().where(messages.c.artifact_id.in_(ids)).values(artifact_id=None))
    conn.execute(
        pair_sessions.update().where(pair_sessions.c.summary_id.in_(ids)).values(summary_id=None)
    )
    return conn.execute(artifacts.delete().where(artifacts.c.id.in_(ids))).rowcount


def _delete_own_data(conn: Connection, user_id: int) -> dict[str, int]:
    in_pair = sa.select(pair_artifacts.c.artifact_id)
    own_artifacts = [
        r.id
        for r in conn.execute(
            sa.select(artifacts.c.id).where(
                artifacts.c.owner_id == user_id,
                sa.or_(artifacts.c.id.not_in(in_pair), artifacts.c.visibility == "private"),
            )
        )
    ]
    # Their private sessions keep only the figures program health counts.
    private = conn.execute(
        sa.select(pair_sessions).where(
            pair_sessions.c.author_id == user_id, pair_sessions.c.visibility == "private"
        )
    ).all()
    for s in private:
        for table in (pair_actions, pair_ledger):
            conn.execute(
                table.delete().where(
                    table.c.pair_id == s.pair_id, table.c.session_number == s.number
                )
            )
        if s.summary_id is not None:
            own_artifacts.append(s.summary_id)
        conn.execute(pair_sessions.update().where(pair_sessions.c.id == s.id).values(next_focus=""))
    n_artifacts = _delete_artifacts(conn, sorted(set(own_artifacts)))
    # Shared pair records stay with the pair, no longer attributed to anyone.
    conn.execute(artifacts.update().where(artifacts.c.owner_id == user_id).values(owner_id=None))
    conn.execute(
        pair_sessions.update().where(pair_sessions.c.author_id == user_id).values(author_id=None)
    )
    chat_ids = [
        r.id
        for r in conn.execute(
            sa.select(conversations.c.id).where(conversations.c.owner_id == user_id)
        )
    ]
    if chat_ids:
        conn.execute(messages.delete().where(messages.c.conversation_id.in_(chat_ids)))
        conn.execute(
            pair_conversations.delete().where(pair_conversations.c.conversation_id.in_(chat_ids))
        )
        conn.execute(
            artifacts.update()
            .where(artifacts.c.conversation_id.in_(chat_ids))
            .values(conversation_id=None)
        )
        conn.execute(conversations.delete().where(conversations.c.id.in_(chat_ids)))
    for column in ("mentor_user_id", "mentee_user_id", "keeper_id"):
        conn.execute(pairs.update().where(pairs.c[column] == user_id).values({column: None}))
    return {
        "conversations": len(chat_ids),
        "artifacts": n_artifacts,
        "private_sessions": len(private),
    }
