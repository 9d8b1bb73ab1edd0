"""My account: who I am, change my password, download my data, delete my account, sign out."""

from __future__ import annotations

import json

import streamlit as st

from assistant.ui import auth
from assistant.ui.resources import services, shared_services
from assistant.ui.widgets import attempt, download


def _change_password(user_id: int) -> None:
    with st.form("change_password", clear_on_submit=True):
        old = st.text_input("Current password", type="password")
        new = st.text_input("New password", type="password")
        again = st.text_input("New password again", type="password")
        submitted = st.form_submit_button("Change password")
    if not submitted:
        return
    if new != again:
        st.error("The two new passwords differ. Type them again.", icon=":material/error:")
        return
    user = attempt(lambda: shared_services().accounts.change_password(user_id, old, new))
    if user is not None:
        # The change ends every other sign-in; this one carries on with a fresh cookie.
        auth.start_session(user)
        st.success("Password changed. Other sign-ins of this account are ended.")


def _export() -> None:
    st.subheader("Your data")
    st.caption(
        "Everything you can see — your chats, your saved items, your pairs' records — as JSON."
    )
    if st.button("Prepare my data", key="prepare_export"):
        data = attempt(lambda: services_export())
        if data is not None:
            st.session_state["_my_export"] = json.dumps(data, ensure_ascii=False, indent=2)
    if "_my_export" in st.session_state:
        download(
            "Download my data (JSON)",
            st.session_state["_my_export"],
            "my-coach-data.json",
            "application/json",
            key="download_export",
            audit_as=None,  # recorded when it was prepared
        )


def services_export() -> dict:
    from assistant.my_data import export_my_data

    return export_my_data(services())


def _delete(email: str) -> None:
    st.subheader("Delete my account")
    st.caption(
        "Deletes your account, your chats, your own saved items and your private notes. A pair "
        "you are in keeps the records shared with it (the other member still sees them); your "
        "side of the pair is left unmatched until a lead matches someone else."
    )
    typed = st.text_input("Type your email to confirm", key="delete_confirm")
    if st.button("Delete my account", key="delete_account", type="primary"):
        if typed.strip().lower() != email:
            st.error("The email does not match your account.", icon=":material/error:")
            return
        actor = auth.current_actor()
        if attempt(lambda: shared_services().accounts.remove_user(email, actor)) is not None:
            auth._forget("Your account was deleted.")
            st.rerun()


def render() -> None:
    st.title("My account")
    info = auth.ui_state()
    if not info:
        st.info(
            "Personal mode: this coach has no accounts and no sign-in, and listens on this "
            "computer only. To share it with a program, create the first admin on the command "
            "line: `coach user add --email YOU --role admin` (it asks for a password). From "
            "then on everyone signs in, and everything made so far becomes that admin's.",
            icon=":material/person:",
        )
        _export()
        return
    st.write(f"Signed in as **{info['email']}** · role **{info['role']}**")
    st.button("Sign out", on_click=auth.sign_out, key="account_sign_out")
    st.subheader("Change password")
    _change_password(info["id"])
    _export()
    _delete(info["email"])
