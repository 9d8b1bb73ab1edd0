"""What every page shares: page config, the sidebar, and a last line of defence for errors.

`framed(render)` turns a page's `render()` into the callable `st.Page` runs. `optional_page`
finds a page module that may not exist yet (another engineer's), without importing it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from datetime import date

import streamlit as st

from assistant.access import Permission
from assistant.config import ConfigError
from assistant.errors import CoachError
from assistant.ui import auth, sidebar
from assistant.ui.widgets import show_error

APP_TITLE = "Reverse Mentoring Coach"
logger = logging.getLogger(__name__)
_retention_day: list[date] = []  # the day this process last made sure retention ran


def _daily_retention() -> None:
    """Apply the retention period once a day (whichever app instance comes first)."""
    from assistant.retention import apply_daily
    from assistant.ui.resources import shared_services

    today = date.today()
    if _retention_day and _retention_day[0] == today:
        return
    svc = shared_services()
    try:
        report = apply_daily(svc.base_store, svc.settings.retention_months, today)
    except CoachError as err:
        logger.warning("Retention did not run: %s", err)
        return
    _retention_day[:] = [today]
    if report is not None and report.pairs:
        logger.info("Retention purged the records of %d closed pair(s).", report.pairs)


def framed(render: Callable[[], None], permission: Permission | None = None) -> Callable[[], None]:
    """The page with the sidebar; with accounts on, only for a signed-in user (the sign-in
    form otherwise) and, with `permission`, only for a role that has it."""

    def page() -> None:
        st.set_page_config(page_title=APP_TITLE, page_icon=":material/handshake:", layout="wide")
        try:
            _daily_retention()
            auth.gate()  # the sign-in form and st.stop() when nobody is signed in
            index_slot = sidebar.render_model_state()
        except ConfigError as err:
            st.error(f"The app is misconfigured: {err}", icon=":material/settings:")
            return
        except CoachError as err:
            show_error(err)
            return
        auth.render_identity()
        actor = auth.current_actor()
        if permission is not None and not actor.can(permission):
            auth.refuse_page(permission, actor)
            sidebar.render_index_state(index_slot)
            return
        try:
            render()
        except CoachError as err:  # a page missed one: still one line, never a traceback
            show_error(err)
        except Exception:  # a bug: log it, tell the user plainly (st.stop/rerun are not Exceptions)
            logger.exception("Unexpected error on a page")
            st.error(
                "Something went wrong on this page. Your input is kept; try again, and if it "
                "happens again, the details are in the terminal running the app.",
                icon=":material/error:",
            )
        sidebar.render_index_state(index_slot)

    page.__name__ = getattr(render, "__module__", "page").rsplit(".", 1)[-1]
    return page


def resolve_session() -> None:
    """Before the menu is built: who this browser session is (from its cookie on a new
    session), so the menu shows what that role may open. Errors wait for the page."""
    try:
        if auth.SIGNED_IN not in st.session_state and auth._shared().accounts.accounts_on():
            auth.signed_in_user()
    except CoachError:
        pass


def nav_visibility(permission: Permission) -> str:
    """Pages a role may not open are left out of its menu (their address shows a refusal).
    With accounts on and nobody signed in yet, they are left out too."""
    actor = auth.current_actor()
    if actor.is_personal:
        try:
            if auth._shared().accounts.accounts_on():
                return "hidden"
        except CoachError:
            return "hidden"
    return "visible" if actor.can(permission) else "hidden"


NAV_PAGES = "_nav_pages"  # url_path -> StreamlitPage, set by the router on every run


def remember_pages(pages: dict[str, list]) -> None:
    """Let pages send the user to another page (`open_page`) without importing the router."""
    st.session_state[NAV_PAGES] = {
        page.url_path: page for group in pages.values() for page in group
    }


def open_page(url_path: str, title: str) -> None:
    """Go to another page; where there is no router (a page run on its own), say where to go."""
    page = st.session_state.get(NAV_PAGES, {}).get(url_path)
    if page is not None:
        st.switch_page(page)
    st.success(f"Loaded. Open the {title} page to carry on.", icon=":material/check:")


def optional_page(module_name: str) -> Callable[[], None] | None:
    """The module's `render`, imported only when the page runs; None if it is not there."""
    try:
        if importlib.util.find_spec(module_name) is None:
            return None
    except ModuleNotFoundError:
        return None

    def render() -> None:
        importlib.import_module(module_name).render()

    render.__module__ = module_name
    return render
