"""Reverse Mentoring Coach: the router. Run with `make run` or `streamlit run streamlit_app.py`.

Only st.Page + st.navigation here; the pages live in assistant/ui/pages.
"""

import streamlit as st

from assistant.ui.pages import (
    agenda,
    coach,
    feedback,
    history,
    knowledge,
    pairs,
    program_health,
    starters,
)
from assistant.ui.shell import framed, optional_page, remember_pages

dashboard = optional_page("assistant.ui.pages.dashboard")  # written separately; may be absent

pages = {
    "Coach": [
        st.Page(
            framed(coach.render),
            title="Coach",
            icon=":material/forum:",
            url_path="coach",
            default=True,
        ),
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
            framed(program_health.render),
            title="Program health",
            icon=":material/monitor_heart:",
            url_path="program-health",
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
}
if dashboard is not None:
    pages["Program leads"] = [
        st.Page(
            framed(dashboard), title="Dashboard", icon=":material/monitoring:", url_path="dashboard"
        ),
    ]

remember_pages(pages)
st.navigation(pages).run()
