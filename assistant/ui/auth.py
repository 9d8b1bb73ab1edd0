"""Sign-in for the app (issue 12): who is using this browser session, and the pages for it.

Personal mode (no account in the database): nothing to do, the sidebar says so. With accounts,
every page first calls `gate()`: a signed-in session carries on; otherwise the sign-in form is
shown in place of the page (the address is kept, so the page opens after signing in).

A sign-in survives a page reload through a cookie holding a signed token
(`assistant.sessions`): read on the server from the request (`st.context.cookies`), written by
a two-line script in the page. Every run re-reads the account, so a removed account, a reset
password, a sign-out elsewhere or an expired session ends the session at once with a line
saying why. A failed check never shows a traceback or any data.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from assistant.access import PERSONAL, Actor, Permission
from assistant.accounts import LOCKOUT_ATTEMPTS, LOCKOUT_MINUTES, SignInFailed, User
from assistant.errors import CoachError
from assistant.sessions import COOKIE, SessionInvalid, Sessions, signing_secret
from assistant.ui import sso

SIGNED_IN = "_coach_signed_in"  # {"id", "email", "role", "v", "at"}
NOTICE = "_coach_auth_notice"  # why the last session ended, shown once on the sign-in form
PENDING_COOKIE = "_coach_cookie"  # a cookie value (or "" to clear it) to send to the browser
REJECTED = "_coach_rejected_cookie"  # a cookie already found invalid: do not retry it


def _shared():  # noqa: ANN202
    from assistant.ui.resources import shared_services

    return shared_services()


def _sessions() -> Sessions:
    svc = _shared()
    secret = signing_secret(svc.base_store, svc.settings.auth_secret)
    return Sessions(svc.base_store, secret, svc.settings.session_hours)


def current_actor() -> Actor:
    """The signed-in account of this browser session, or personal mode."""
    info = st.session_state.get(SIGNED_IN)
    if not info:
        return PERSONAL
    return Actor(user_id=info["id"], email=info["email"], role=info["role"])


def _remember(user: User, issued_at: float) -> None:
    st.session_state[SIGNED_IN] = {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "v": user.session_version,
        "at": issued_at,
    }


def _forget(notice: str | None) -> None:
    st.session_state.pop(SIGNED_IN, None)
    st.session_state[PENDING_COOKIE] = ""
    if notice:
        st.session_state[NOTICE] = notice


def flush_cookie() -> None:
    """Send a pending cookie change to the browser (a script run in the page)."""
    value = st.session_state.pop(PENDING_COOKIE, None)
    if value is None:
        return
    if value:
        hours = _shared().settings.session_hours
        cookie = f"{COOKIE}={value}; path=/; max-age={hours * 3600}; SameSite=Strict"
    else:
        cookie = f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    # The token is URL-safe base64 and dots: nothing in it can break out of the string.
    st.html(f"<script>document.cookie = {cookie!r};</script>", unsafe_allow_javascript=True)


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no request context (a test harness): no cookie  # noqa: BLE001
        return None
    return value if isinstance(value, str) and value else None


def signed_in_user() -> User | None:
    """The account of this session if it still stands (else None, with the reason kept for
    the sign-in form). Accounts must be on."""
    sessions = _sessions()
    info = st.session_state.get(SIGNED_IN)
    if info:
        if time.time() - info["at"] > sessions.max_age:
            _forget(f"Your session expired (sign-ins last {sessions.hours} hours). Sign in again.")
            return None
        try:
            user = sessions.current(info["id"], info["v"])
        except SessionInvalid as err:
            _forget(str(err))
            return None
        _remember(user, info["at"])
        return user
    token = _cookie()
    if token and st.session_state.get(REJECTED) != token:
        try:
            user = sessions.read(token)
            _, issued = sessions._signer.loads(token, return_timestamp=True)
        except SessionInvalid as err:
            st.session_state[REJECTED] = token
            _forget(str(err))
            return None
        _remember(user, issued.timestamp())
        return user
    return None


def gate() -> User | None:
    """At the top of every page: None in personal mode, the signed-in user, or the sign-in
    form in place of the page (and the run stops)."""
    svc = _shared()
    if not svc.accounts.accounts_on():
        st.session_state.pop(SIGNED_IN, None)
        return None
    user = signed_in_user()
    if user is None:  # single sign-on: the identity st.login holds, matched by email
        user = sso.sign_in_from_identity(svc.base_store, start_session)
    if user is None:
        render_sign_in()
        flush_cookie()
        st.stop()
    flush_cookie()
    return user


def _sign_in(email: str, password: str) -> None:
    try:
        user = _shared().accounts.sign_in(email, password)
    except SignInFailed as err:
        st.session_state[NOTICE] = str(err)
        return
    except CoachError as err:
        st.session_state[NOTICE] = str(err)
        return
    start_session(user)


def start_session(user: User) -> None:
    """Sign this browser session in as `user` (after a password check, or single sign-on
    matched by email): remembered now, and in a cookie for the next visit."""
    _remember(user, time.time())
    st.session_state[PENDING_COOKIE] = _sessions().issue(user)
    st.session_state.pop(NOTICE, None)


def render_sign_in() -> None:
    st.title("Sign in")
    st.caption(
        "This coach has accounts: sign in with the email and password your program lead or "
        f"admin gave you. After {LOCKOUT_ATTEMPTS} wrong passwords in a row the account is "
        f"locked for {LOCKOUT_MINUTES} minutes."
    )
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.error(notice, icon=":material/lock:")
    sso.render_buttons()  # one per single sign-on provider in [auth], if any
    with st.form("sign_in", enter_to_submit=True):
        email = st.text_input("Email", key="sign_in_email")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        _sign_in(email, password)
        st.rerun()


def sign_out() -> None:
    info = st.session_state.get(SIGNED_IN)
    if info:
        user = _shared().accounts.get(info["id"])
        if user is not None:
            _sessions().end(user)
    _forget("You are signed out.")
    sso.sign_out()


def render_identity() -> None:
    """The sidebar's account section: personal mode and how to leave it, or who is signed in."""
    with st.sidebar:
        st.subheader("Account", divider="gray")
        info = st.session_state.get(SIGNED_IN)
        if not info:
            st.caption(
                "**Personal mode**: no accounts, no sign-in; this app is reachable from this "
                "computer only. To share it with a program, create the first admin: "
                "`coach user add --email YOU --role admin` (sign-in turns on for everyone)."
            )
            return
        st.caption(f"Signed in as **{info['email']}** ({info['role']})")
        st.button("Sign out", key="sidebar_sign_out", on_click=sign_out, type="tertiary")


def refuse_page(permission: Permission, actor: Actor) -> None:
    """The page a role may not open: says so, shows nothing else."""
    st.title("Not available to your role")
    st.warning(
        f"Your role ({actor.role}) may not {permission.value}. This page is for program "
        "leads and admins. Ask your program lead if you need it.",
        icon=":material/block:",
    )


def ui_state() -> dict[str, Any]:
    """What tests read back: the signed-in account of this session, if any."""
    return dict(st.session_state.get(SIGNED_IN) or {})
