"""Single sign-on in the app: Streamlit's `st.login` (OpenID Connect) beside the local sign-in.

Turned on by an `[auth]` section in `.streamlit/secrets.toml` (Streamlit's own format): either
one provider in `[auth]` itself, or named ones in `[auth.<name>]` (e.g. `[auth.microsoft]`,
`[auth.okta]`), each with `client_id`, `client_secret` and `server_metadata_url`, beside the
shared `redirect_uri` and `cookie_secret`. The sign-in page then offers a button per provider.

After the provider sends the person back, `st.user` holds the identity; `sign_in_from_identity`
matches its email to an account (`assistant.sso`) and signs the session in as that account, or
shows the "ask your program lead for access" page instead of the app. Signing out of the coach
also signs out of Streamlit's identity cookie, so the next visit asks again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from assistant import sso
from assistant.accounts import SignInFailed, User
from assistant.errors import CoachError

SSO_SESSION = "_coach_sso_session"  # this session was signed in by single sign-on
DENIED = "_coach_sso_denied"  # the identity already refused in this session (audited once)
SHARED_KEYS = {"redirect_uri", "cookie_secret", "expose_tokens"}


def _auth_section() -> Mapping | None:
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all: no single sign-on  # noqa: BLE001
        return None
    return section if isinstance(section, Mapping) else None


def providers() -> list[tuple[str | None, str]]:
    """(name for st.login, button label) of every configured provider; [] when SSO is off."""
    section = _auth_section()
    if not section or "redirect_uri" not in section:
        return []
    found: list[tuple[str | None, str]] = []
    if "client_id" in section:
        found.append((None, "Sign in with your organisation's account"))
    for name, value in section.items():
        if name not in SHARED_KEYS and isinstance(value, Mapping) and "client_id" in value:
            found.append((name, f"Sign in with {name.replace('_', ' ').title()}"))
    return found


def _identity() -> dict | None:
    try:
        if not st.user.is_logged_in:
            return None
        return dict(st.user.to_dict())
    except Exception:  # no auth configured, or no request context (a test harness)  # noqa: BLE001
        return None


def render_buttons() -> None:
    """The provider buttons on the sign-in page (nothing when SSO is off)."""
    for name, label in providers():
        st.button(
            label,
            key=f"sso_login_{name or 'default'}",
            icon=":material/key:",
            on_click=st.login,
            args=(name,) if name else (),
            type="primary",
        )
    if providers():
        st.caption("Or sign in with the email and password your program lead gave you:")


def sign_in_from_identity(store: object, start: Callable[[User], None]) -> User | None:
    """Sign this session in as the account of the identity Streamlit holds, and run the page
    again as it (the menu then fits its role). None when there is no identity; the no-access
    page (and the run stops) when it matches no account."""
    if not providers():
        return None
    claims = _identity()
    if claims is None:
        return None
    provider = str(claims.get("iss") or "single sign-on")
    if st.session_state.get(DENIED) == claims.get("sub"):
        render_no_access(st.session_state.get(DENIED + "_why", ""))
        st.stop()
    try:
        user = sso.sign_in(store, claims, provider)
    except (sso.NoAccount, SignInFailed) as err:
        st.session_state[DENIED] = claims.get("sub")
        st.session_state[DENIED + "_why"] = err.message
        render_no_access(err.message)
        st.stop()
    except CoachError as err:  # the database is unreachable: one line, no app
        render_no_access(str(err))
        st.stop()
    start(user)  # as after a password: this session, and the coach's cookie for the next visit
    st.session_state[SSO_SESSION] = True
    # Run again as the account: the menu was drawn before sign-in, with every page in it.
    st.rerun()


def render_no_access(why: str) -> None:
    st.title("No access yet")
    st.warning(
        f"{why} {sso.ASK_FOR_ACCESS}: they can add your email to the coach with the role you "
        "need (mentor, mentee or lead).",
        icon=":material/person_off:",
    )
    st.caption("Nothing of the coach is shown until your account exists.")
    st.button("Sign out", key="sso_denied_sign_out", on_click=sign_out)


def sign_out() -> None:
    """End Streamlit's identity too (its cookie would sign the session straight back in)."""
    st.session_state.pop(DENIED, None)
    st.session_state.pop(DENIED + "_why", None)
    st.session_state.pop(SSO_SESSION, None)
    if _identity() is not None:
        st.logout()
