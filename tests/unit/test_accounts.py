"""Accounts on a real SQLite file: the first admin, roles, passwords, lock-out, removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import audit
from assistant.access import PERSONAL, AccessDenied, Role, SignInRequired
from assistant.accounts import (
    LOCKOUT_ATTEMPTS,
    Accounts,
    SignInFailed,
    accounts_on,
    find_user_by_email,
)
from assistant.errors import InputError
from assistant.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'coach.db'}")


def audit_actions(store: Store) -> list[str]:
    with store._begin(write=False) as conn:
        return [e.action for e in reversed(audit.entries(conn))]


def test_personal_mode_until_the_first_admin_who_must_be_an_admin(store: Store) -> None:
    accounts = Accounts(store)
    assert not accounts_on(store)
    with pytest.raises(InputError, match="first account must be an admin"):
        accounts.add_user("ana@example.org", "mentor", PASSWORD)
    assert not accounts_on(store)
    admin = accounts.add_user("Boss@Example.org", Role.ADMIN, PASSWORD)
    assert accounts_on(store)
    assert admin.email == "boss@example.org" and admin.role is Role.ADMIN
    assert find_user_by_email(store, "BOSS@example.org ") == admin
    assert find_user_by_email(store, "nobody@example.org") is None
    # From now on personal mode is over: adding needs an admin.
    with pytest.raises(SignInRequired):
        accounts.add_user("ana@example.org", "mentor", PASSWORD, by=PERSONAL)
    mentor = accounts.add_user("ana@example.org", "mentor", PASSWORD, by=admin.actor)
    with pytest.raises(AccessDenied, match="may not manage accounts"):
        accounts.add_user("eve@example.org", "admin", PASSWORD, by=mentor.actor)
    assert [u.email for u in accounts.list_users(admin.actor)] == [
        "ana@example.org",
        "boss@example.org",
    ]
    with pytest.raises(AccessDenied):
        accounts.list_users(mentor.actor)


def test_passwords_are_hashed_and_checked(store: Store) -> None:
    accounts = Accounts(store)
    with pytest.raises(InputError, match="too short"):
        accounts.add_user("boss@example.org", "admin", "short")
    accounts.add_user("boss@example.org", "admin", PASSWORD)
    with store._begin(write=False) as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    assert accounts.sign_in("BOSS@example.org", PASSWORD).email == "boss@example.org"
    with pytest.raises(SignInFailed, match="email or the password is not right"):
        accounts.sign_in("boss@example.org", "wrong password!")
    # An unknown email reads exactly like a wrong password.
    with pytest.raises(SignInFailed, match="email or the password is not right"):
        accounts.sign_in("ghost@example.org", PASSWORD)


def test_lock_out_after_repeated_failures_and_its_end(store: Store) -> None:
    accounts = Accounts(store)
    admin = accounts.add_user("boss@example.org", "admin", PASSWORD)
    accounts.add_user("ana@example.org", "mentor", PASSWORD, by=admin.actor)
    now = datetime.now(UTC)
    for _ in range(LOCKOUT_ATTEMPTS - 1):
        with pytest.raises(SignInFailed, match="not right"):
            accounts.sign_in("ana@example.org", "wrong password!", now=now)
    with pytest.raises(SignInFailed, match="locked.*15 minute"):
        accounts.sign_in("ana@example.org", "wrong password!", now=now)
    # The right password does not get in while locked...
    with pytest.raises(SignInFailed, match="locked"):
        accounts.sign_in("ana@example.org", PASSWORD, now=now + timedelta(minutes=14))
    # ...and does once the lock has passed.
    assert accounts.sign_in("ana@example.org", PASSWORD, now=now + timedelta(minutes=16))
    actions = audit_actions(store)
    assert actions.count("sign_in_failed") == LOCKOUT_ATTEMPTS + 1
    assert "locked_out" in actions and actions[-1] == "sign_in"


def test_roles_passwords_and_the_last_admin(store: Store) -> None:
    accounts = Accounts(store)
    admin = accounts.add_user("boss@example.org", "admin", PASSWORD)
    accounts.add_user("ana@example.org", "mentor", PASSWORD, by=admin.actor)
    assert accounts.set_role("ana@example.org", "lead", admin.actor).role is Role.LEAD
    with pytest.raises(InputError, match="not a role"):
        accounts.set_role("ana@example.org", "boss", admin.actor)
    with pytest.raises(InputError, match="last admin"):
        accounts.set_role("boss@example.org", "mentor", admin.actor)
    before = accounts.find("ana@example.org")
    accounts.reset_password("ana@example.org", "a brand new secret", admin.actor)
    after = accounts.find("ana@example.org")
    assert after.session_version == before.session_version + 1
    with pytest.raises(SignInFailed):
        accounts.sign_in("ana@example.org", PASSWORD)
    changed = accounts.change_password(after.id, "a brand new secret", "another new secret")
    assert accounts.sign_in("ana@example.org", "another new secret").id == changed.id
    with pytest.raises(InputError, match="current password"):
        accounts.change_password(after.id, "a brand new secret", "whatever else 123")
    with pytest.raises(InputError, match="last admin"):
        accounts.remove_user("boss@example.org", admin.actor)
    accounts.remove_user("ana@example.org", admin.actor)
    assert accounts.find("ana@example.org") is None
    assert {"user_added", "role_changed", "password_reset", "user_removed"} <= set(
        audit_actions(store)
    )
