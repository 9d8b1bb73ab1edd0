"""Program health for leads: every pair's figures, filterable by cohort, sessions per week, a
CSV export, and the stalled pairs with a nudge message to send.

Counts, dates and ratings only: nothing here reads or shows the text of notes, summaries,
actions, learnings or chats.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from assistant.pair_health import health_csv, nudge_message, program_health, sessions_per_week
from assistant.ui.resources import services, settings
from assistant.ui.widgets import attempt, download

COLUMNS = {
    "id": "Pair",
    "mentor": "Mentor",
    "mentee": "Mentee",
    "status": "Status",
    "sessions_held": "Held",
    "sessions_planned": "Planned",
    "last_session": "Last session",
    "days_since_last": "Days since",
    "stalled": "Stalled",
    "actions_open": "Actions open",
    "actions_done": "Actions done",
    "action_completion": "Completion",
    "goal_progress": "Goal progress",
    "learned_by_senior": "Senior learned",
    "learned_by_junior": "Junior learned",
    "average_rating": "Avg rating",
}


def render() -> None:
    import pandas as pd

    st.title("Program health")
    stalled_days = settings().stalled_days
    st.caption(
        "Counts, dates and ratings for every pair; no notes or summaries are shown here. "
        f"A pair is stalled after {stalled_days} days without a session (COACH_STALLED_DAYS); "
        "paused and closed pairs never are."
    )
    store = services().pairs
    cohorts = attempt(store.list_cohorts) or []
    names = {c.id: f"{c.name} ({c.start_date} to {c.end_date})" for c in cohorts}
    cohort = st.selectbox(
        "Cohort",
        [None, *names],
        format_func=lambda i: "All pairs" if i is None else names[i],
        key="health_cohort",
    )
    figures = attempt(lambda: program_health(store, date.today(), stalled_days, cohort))
    if figures is None:
        return
    if not figures:
        st.info("No pairs yet: add them on the Pairs page.", icon=":material/group:")
        return
    rows = [h.as_dict() for h in figures]
    held = sum(h.sessions_held for h in figures)
    planned = sum(h.sessions_planned for h in figures)
    stalled = [h for h in figures if h.stalled]
    a, b, c, d = st.columns(4)
    a.metric("Pairs", len(figures))
    b.metric("Sessions held", f"{held} of {planned}")
    c.metric("Stalled pairs", len(stalled))
    done = sum(h.actions_done for h in figures)
    open_ = sum(h.actions_open for h in figures)
    d.metric("Actions done", f"{done / (done + open_):.0%}" if done + open_ else "—")
    table = pd.DataFrame(rows)[list(COLUMNS)].rename(columns=COLUMNS)
    st.dataframe(table, hide_index=True, key="health_table")
    download(
        "Download CSV",
        health_csv(rows),
        "program-health.csv",
        "text/csv",
        key="health_csv",
    )
    ids = {h.id for h in figures}
    sessions = attempt(store.all_sessions) or {}
    days = [
        s.held_on for pair_id, held_list in sessions.items() if pair_id in ids for s in held_list
    ]
    st.markdown("**Sessions per week**")
    weekly = sessions_per_week(days)
    if weekly:
        chart = pd.DataFrame(
            {"week": [w.isoformat() for w, _ in weekly], "sessions": [n for _, n in weekly]}
        ).set_index("week")
        st.bar_chart(chart, y="sessions")
    else:
        st.caption("No sessions held yet.")
    st.markdown("**Stalled pairs**")
    if not stalled:
        st.caption(f"None: every active pair met within the last {stalled_days} days.")
    for health in stalled:
        st.markdown(f"#{health.id} {health.mentor} & {health.mentee}")
        st.code(nudge_message(health), language=None, wrap_lines=True)
