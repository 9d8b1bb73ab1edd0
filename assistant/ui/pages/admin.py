"""Accounts and audit log (admins): add accounts, change roles, reset passwords, remove
accounts, and read who did what and when. Nothing here shows notes, summaries or chats."""

from __future__ import annotations

import streamlit as st

from assistant import audit
from assistant.access import ROLES, Permission
from assistant.ui import auth
from assistant.ui.resources import services, shared_services
from assistant.ui.widgets import attempt


def _users() -> None:
    import pandas as pd

    actor = auth.current_actor()
    accounts = shared_services().accounts
    found = attempt(lambda: accounts.list_users(actor)) or []
    st.subheader("Accounts")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Email": u.email,
                    "Role": u.role.value,
                    "Password": "yes" if u.has_password else "single sign-on",
                    "Locked until": u.locked_until or "",
                    "Since": u.created_at[:10],
                }
                for u in found
            ]
        ),
        hide_index=True,
    )
    with st.form("add_user", clear_on_submit=True):
        st.caption("Add an account (the person changes the password on My account).")
        email = st.text_input("Email")
        role = st.selectbox("Role", ROLES)
        password = st.text_input("First password", type="password")
        if st.form_submit_button("Add account"):
            added = attempt(lambda: accounts.add_user(email, role, password or None, by=actor))
            if added is not None:
                st.success(f"Added {added.email} ({added.role.value}).")
    emails = [u.email for u in found]
    if not emails:
        return
    with st.form("change_user"):
        st.caption("Change an account")
        email = st.selectbox("Account", emails)
        new_role = st.selectbox("New role", ROLES, index=None, placeholder="keep the role")
        new_password = st.text_input("New password (ends its sign-ins)", type="password")
        remove = st.checkbox("Remove this account and its own data")
        if st.form_submit_button("Apply"):
            if remove:
                removed = attempt(lambda: accounts.remove_user(email, actor))
                if removed is not None:
                    st.success(f"Removed {email}.")
            else:
                if new_role and attempt(lambda: accounts.set_role(email, new_role, actor)):
                    st.success(f"{email} is now {new_role}.")
                if new_password and attempt(
                    lambda: accounts.reset_password(email, new_password, actor) or True
                ):
                    st.success(f"Set a new password for {email}.")


def _audit_log() -> None:
    import pandas as pd

    st.subheader("Audit log")
    store = services().store
    if attempt(lambda: store.check(Permission.AUDIT_LOG)) is None:
        return
    kinds = [
        audit.SIGN_IN, audit.SIGN_IN_FAILED, audit.LOCKED_OUT, audit.ROLE_CHANGED,
        audit.PAIR_MEMBERS, audit.SHARING, audit.EXPORT, audit.DELETION, audit.RETENTION,
    ]  # fmt: skip
    action = st.selectbox("Show", kinds, index=None, placeholder="every kind of entry")
    with store._begin(write=False) as conn:
        found = audit.entries(conn, limit=500, action=action)
    st.dataframe(
        pd.DataFrame(
            [
                {"When": e.at, "Who": e.actor, "What": e.action, "On": e.target, "Detail": e.detail}
                for e in found
            ]
        ),
        hide_index=True,
    )


def render() -> None:
    st.title("Accounts and audit log")
    _users()
    _audit_log()
