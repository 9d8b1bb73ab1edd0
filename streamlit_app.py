"""Reverse Mentoring Coach: the router. Run with `make run` or `streamlit run streamlit_app.py`.

Only st.Page + st.navigation here; the pages live in assistant/ui/pages. Every page has its own
address, Coach included (/coach); the app's root address opens Coach. (Streamlit serves a
`default=True` page at the root only, so /coach would be "Page not found" if Coach were it.)
"""

import streamlit as st

from assistant.access import Permission
from assistant.ui.pages import (
    account,
    admin,
    agenda,
    coach,
    feedback,
    history,
    knowledge,
    pairs,
    program_health,
    starters,
)
from assistant.ui.shell import (
    framed,
    nav_visibility,
    optional_page,
    remember_pages,
    resolve_session,
)

dashboard = optional_page("assistant.ui.pages.dashboard")  # written separately; may be absent

resolve_session()  # a returning browser's sign-in, before the menu is built
coach_page = st.Page(framed(coach.render), title="Coach", icon=":material/forum:", url_path="coach")


def home() -> None:
    st.switch_page(coach_page)


pages = {
    "Coach": [
        st.Page(home, title="Coach", url_path="home", default=True, visibility="hidden"),
        coach_page,
        st.Page(
            framed(agenda.render),
            title="Agenda builder",
            icon=":material/event_note:",
            url_path="agenda",
        ),
        st.Page(
            framed(starters.render),
            title="Conversation starters",
            icon=":material/chat_bubble:",
            url_path="starters",
        ),
        st.Page(
            framed(feedback.render),
            title="Feedback summary",
            icon=":material/summarize:",
            url_path="feedback",
        ),
    ],
    "Pairs": [
        st.Page(framed(pairs.render), title="Pairs", icon=":material/group:", url_path="pairs"),
        st.Page(
            framed(program_health.render, Permission.PROGRAM_HEALTH),
            title="Program health",
            icon=":material/monitor_heart:",
            url_path="program-health",
            visibility=nav_visibility(Permission.PROGRAM_HEALTH),
        ),
    ],
    "Library": [
        st.Page(
            framed(knowledge.render),
            title="Knowledge base",
            icon=":material/menu_book:",
            url_path="knowledge",
        ),
        st.Page(
            framed(history.render), title="History", icon=":material/history:", url_path="history"
        ),
    ],
    "Account": [
        st.Page(
            framed(account.render),
            title="My account",
            icon=":material/person:",
            url_path="account",
        ),
        st.Page(
            framed(admin.render, Permission.USERS_ADMIN),
            title="Accounts and audit log",
            icon=":material/admin_panel_settings:",
            url_path="admin",
            visibility=nav_visibility(Permission.USERS_ADMIN),
        ),
    ],
}
if dashboard is not None:
    pages["Program leads"] = [
        st.Page(
            framed(dashboard, Permission.EVALS),
            title="Dashboard",
            icon=":material/monitoring:",
            url_path="dashboard",
            visibility=nav_visibility(Permission.EVALS),
        ),
    ]

remember_pages(pages)
st.navigation(pages).run()
