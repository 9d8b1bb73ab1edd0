"""Sign-in sessions for local accounts: a signed, timestamped token kept in a browser cookie.

The token holds the account id and its session version, signed with itsdangerous (Pallets'
HMAC signing, also used by Flask) and checked for age on every read: a changed byte, a token
older than `COACH_SESSION_HOURS`, a password changed or reset since (the version moves on), a
removed account or a sign-out each make it worthless, with one line saying which. The signing
key is COACH_AUTH_SECRET, or a random key made once and kept in the history database, so every
app instance on one database accepts the same cookies.

No password, email or name is ever in the token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exc as sa_exc

from assistant.accounts import User
from assistant.db import app_state, users
from assistant.errors import InputError

COOKIE = "coach_session"
_SALT = "coach-sign-in"
_SECRET_KEY = "auth_secret"


class SessionInvalid(InputError):
    """The sign-in cannot be used any more; the user signs in again."""


@dataclass(frozen=True)
class Session:
    user: User
    token: str


def signing_secret(store: object, configured: str | None = None) -> str:
    """COACH_AUTH_SECRET, else the key kept in the database (made on first use)."""
    if configured:
        return configured
    with store._begin(write=False) as conn:  # type: ignore[attr-defined]
        row = conn.execute(sa.select(app_state.c.value).where(app_state.c.key == _SECRET_KEY))
        value = row.scalar()
    if value:
        return value
    try:
        with store._begin() as conn:  # type: ignore[attr-defined]
            conn.execute(app_state.insert().values(key=_SECRET_KEY, value=secrets.token_hex(32)))
    except sa_exc.IntegrityError:
        pass  # another instance made it first: use theirs
    return signing_secret(store)


class Sessions:
    def __init__(self, store: object, secret: str, hours: int) -> None:
        self.store = store
        self.max_age = hours * 3600
        self.hours = hours
        self._signer = URLSafeTimedSerializer(secret, salt=_SALT)

    def issue(self, user: User) -> str:
        return self._signer.dumps({"u": user.id, "v": user.session_version})

    def read(self, token: str) -> User:
        """The signed-in user, or SessionInvalid saying why not."""
        try:
            data = self._signer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise SessionInvalid(
                f"Your session expired (sign-ins last {self.hours} hours).", "Sign in again."
            ) from None
        except BadSignature:
            raise SessionInvalid(
                "Your sign-in could not be verified (the cookie was changed or is from another "
                "server).",
                "Sign in again.",
            ) from None
        if not isinstance(data, dict) or not {"u", "v"} <= set(data):
            raise SessionInvalid("Your sign-in could not be read.", "Sign in again.")
        return self.current(int(data["u"]), int(data["v"]))

    def current(self, user_id: int, version: int) -> User:
        """The account as it is now, if this sign-in still stands."""
        from assistant.accounts import _to_user

        with self.store._begin(write=False) as conn:  # type: ignore[attr-defined]
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise SessionInvalid(
                "Your account was removed.", "Ask your program lead if you need access."
            )
        if row.session_version != version:
            raise SessionInvalid(
                "You were signed out (a sign-out, or a password change or reset).",
                "Sign in again.",
            )
        return _to_user(row)

    def end(self, user: User) -> None:
        """Sign out everywhere: every token issued so far stops working."""
        from assistant import audit

        with self.store._begin() as conn:  # type: ignore[attr-defined]
            conn.execute(
                users.update()
                .where(users.c.id == user.id)
                .values(session_version=users.c.session_version + 1)
            )
            audit.record(conn, user.email, audit.SIGN_OUT, user.email)
