"""Single sign-on's rule, without a browser: an identity from the provider is matched to an
account by its email (any case); anything else gets no access; every attempt is audited. On a
SQLite file and on a real PostgreSQL database. (The browser flow: tests/e2e/test_e2e_sso.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant import audit, sso
from assistant.accounts import LOCKOUT_ATTEMPTS, Accounts, SignInFailed
from assistant.store import Store
from tests.databases import Database

ISSUER = "https://login.example.org"


@pytest.fixture
def store(database: Database) -> Store:
    store = Store(database.url)
    accounts = Accounts(store)
    admin = accounts.add_user("admin@example.org", "admin", "correct horse battery")
    accounts.add_user("Mentor@Example.org", "mentor", None, by=admin.actor)
    return store


def _log(store: Store) -> list[tuple[str, str, dict]]:
    with store._begin(write=False) as conn:
        return [(e.actor, e.action, e.detail) for e in audit.entries(conn)]


def test_an_identity_signs_in_as_the_account_with_its_email_in_any_case(store: Store) -> None:
    user = sso.sign_in(store, {"sub": "x1", "email": "MENTOR@example.ORG"}, ISSUER)
    assert (user.email, user.role.value, user.has_password) == (
        "mentor@example.org",
        "mentor",
        False,
    )
    actor, action, detail = _log(store)[0]
    assert (actor, action, detail["sso"]) == ("mentor@example.org", audit.SIGN_IN, True)
    # A provider that says the email is verified is fine too.
    claims = {"sub": "x1", "email": "mentor@example.org", "email_verified": True}
    assert sso.sign_in(store, claims, ISSUER).email == "mentor@example.org"


@pytest.mark.parametrize(
    ("claims", "said"),
    [
        ({"sub": "x2", "email": "stranger@example.org"}, "no account for stranger@example.org"),
        ({"sub": "x3"}, "did not tell the coach your email"),
        ({"sub": "x4", "email": "not an email"}, "no valid email"),
        (
            {"sub": "x5", "email": "mentor@example.org", "email_verified": False},
            "has not verified the email mentor@example.org",
        ),
    ],
)
def test_anything_else_gets_no_access_and_is_audited(store: Store, claims: dict, said: str) -> None:
    with pytest.raises(sso.NoAccount, match=said) as caught:
        sso.sign_in(store, claims, ISSUER)
    assert "Ask your program lead for access" in str(caught.value)
    assert "\n" not in str(caught.value)
    actor, action, detail = _log(store)[0]
    assert action == audit.SIGN_IN_FAILED and detail["sso"] is True
    assert actor == (claims.get("email") if "@" in str(claims.get("email")) else "unknown")


def test_a_locked_account_stays_locked_through_single_sign_on(store: Store) -> None:
    accounts = Accounts(store)
    for _ in range(LOCKOUT_ATTEMPTS):
        with pytest.raises(SignInFailed):
            accounts.sign_in("admin@example.org", "wrong password!")
    with pytest.raises(SignInFailed, match="locked"):
        sso.sign_in(store, {"sub": "a", "email": "admin@example.org"}, ISSUER)
    later = datetime.now(UTC) + timedelta(hours=1)
    claims = {"sub": "a", "email": "admin@example.org"}
    assert sso.sign_in(store, claims, ISSUER, now=later).role.value == "admin"
