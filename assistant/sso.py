"""Single sign-on (OpenID Connect): an identity the provider vouched for, matched to an account.

The provider (Entra ID, Okta, Google, ...) proves who the person is; the coach's own accounts
say what they may do. An identity is matched to an account by its email (any case); an email
with no account, or one the provider marks as not verified, gets no access, and the attempt is
in the audit log. Streamlit's `st.login` runs the OpenID Connect flow (`assistant/ui/sso.py`);
this module only decides (and is tested without a browser too).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from assistant import audit
from assistant.accounts import SignInFailed, User, _to_user, normalise_email
from assistant.db import users
from assistant.errors import InputError

ASK_FOR_ACCESS = "Ask your program lead for access"


class NoAccount(InputError):
    """A signed-in identity that matches no account here (or no usable email)."""

    def __init__(self, email: str | None, why: str) -> None:
        self.email = email
        super().__init__(why, f"{ASK_FOR_ACCESS}: they add your email to the coach.")


def identity_email(claims: Mapping[str, Any]) -> str:
    """The identity's email, normalised; NoAccount when there is none or it is unverified."""
    raw = claims.get("email")
    if not isinstance(raw, str) or not raw.strip():
        raise NoAccount(None, "Your sign-in did not tell the coach your email address.")
    try:
        email = normalise_email(raw)
    except InputError:
        raise NoAccount(None, "Your sign-in gave no valid email address.") from None
    if claims.get("email_verified") is False:  # absent is fine: Entra ID does not send it
        raise NoAccount(email, f"Your provider has not verified the email {email}.")
    return email


def sign_in(
    store: object, claims: Mapping[str, Any], provider: str, now: datetime | None = None
) -> User:
    """The account for a signed-in identity, with the sign-in in the audit log; NoAccount or
    SignInFailed (a locked account stays locked whichever way one signs in)."""
    now = now or datetime.now(UTC)
    label = f"single sign-on ({provider})"
    try:
        email = identity_email(claims)
    except NoAccount as err:
        with store._begin() as conn:  # type: ignore[attr-defined]
            audit.record(conn, err.email or "unknown", audit.SIGN_IN_FAILED, label, sso=True)
        raise
    with store._begin() as conn:  # type: ignore[attr-defined]
        row = conn.execute(sa.select(users).where(users.c.email == email)).first()
        if row is None:
            audit.record(conn, email, audit.SIGN_IN_FAILED, label, sso=True, no_account=True)
            failure: Exception = NoAccount(email, f"There is no account for {email} here.")
        elif row.locked_until and datetime.fromisoformat(row.locked_until) > now:
            audit.record(conn, email, audit.SIGN_IN_FAILED, label, sso=True, locked=True)
            failure = SignInFailed(
                f"The account {email} is locked until {row.locked_until[11:16]} UTC.",
                "Try again later, or ask an admin.",
            )
        else:
            audit.record(conn, email, audit.SIGN_IN, label, sso=True)
            return _to_user(row)
    raise failure
