"""Pairs: create and edit a pair, see its timeline, tick off its actions, read its two-way
ledger, rate goal progress, and go on to prepare or summarise its next session.

"Prepare next session" fills the Agenda builder's form (topic, minutes, stage, session, goals)
and attaches the agenda to the pair, so its plan reviews every open action item. "Summarise
this session" attaches the Feedback page to the pair, so the summary is recorded as the pair's
next session with its action items and learnings.
"""

from __future__ import annotations

from datetime import date, datetime, time

import streamlit as st
from pydantic import ValidationError

from assistant.access import AccessDenied, Permission
from assistant.errors import CoachError
from assistant.pairs import (
    PAIR_STATUSES,
    Goal,
    Pair,
    next_session_date,
    next_session_request,
)
from assistant.schemas import STAGE_LABELS
from assistant.ui.resources import services
from assistant.ui.shell import open_page
from assistant.ui.widgets import attempt, download, lines, show_error, slug

SELECTED = "pairs_selected"
CONFIRM = "pairs_confirm_delete"
NOTICE = "pairs_notice"
KIND_LABELS = {
    "agenda": "Agenda",
    "feedback": "Summary",
    "starters": "Starters",
    "answer": "Answer",
}


def _notice(text: str) -> None:
    st.session_state[NOTICE] = text


def _goals(senior: str, junior: str) -> list[Goal]:
    return [Goal(side="senior", text=t) for t in lines(senior)] + [
        Goal(side="junior", text=t) for t in lines(junior)
    ]


def _errors(err: ValidationError) -> None:
    for problem in err.errors():
        where = " ".join(str(p) for p in problem["loc"] if not isinstance(p, int)) or "input"
        reason = str(problem["msg"]).removeprefix("Value error, ")
        st.error(f"{where.replace('_', ' ').capitalize()}: {reason}.", icon=":material/edit:")


def _add_form() -> None:
    with st.expander("Add a pair", icon=":material/group_add:", expanded=False):
        with st.form("pairs_add", clear_on_submit=False):
            left, right = st.columns(2)
            mentor = left.text_input("Mentor (the junior)", key="pairs_new_mentor")
            mentee = right.text_input("Mentee (the senior)", key="pairs_new_mentee")
            senior = left.text_area(
                "What the senior wants to learn (one per line)", key="pairs_new_sg"
            )
            junior = right.text_area(
                "What the junior wants to learn back (one per line)", key="pairs_new_jg"
            )
            a, b, c = st.columns(3)
            start = a.date_input("Start date", value=date.today(), key="pairs_new_start")
            cadence = b.number_input("Days between sessions", 1, 365, 14, key="pairs_new_cadence")
            planned = c.number_input("Sessions planned", 1, 100, 6, key="pairs_new_sessions")
            cohorts = attempt(lambda: services().pairs.list_cohorts()) or []
            cohort = st.selectbox(
                "Cohort",
                [None, *[x.id for x in cohorts]],
                format_func=lambda i: (
                    "None" if i is None else next(x.name for x in cohorts if x.id == i)
                ),
                key="pairs_new_cohort",
            )
            submitted = st.form_submit_button("Create pair", type="primary")
        if submitted:
            try:
                pair = Pair(
                    mentor=mentor or "",
                    mentee=mentee or "",
                    start_date=start if isinstance(start, date) else date.today(),
                    cadence_days=int(cadence),
                    sessions_planned=int(planned),
                    cohort_id=cohort,
                    goals=_goals(senior or "", junior or ""),
                )
            except ValidationError as err:
                _errors(err)
                return
            saved = attempt(lambda: services().pairs.add_pair(pair))
            if saved is not None:
                st.session_state[SELECTED] = saved.id
                _notice(f"Created the pair {saved.label}.")
                st.rerun()


def _edit_form(pair: Pair) -> None:
    with st.expander("Edit this pair", icon=":material/edit:"):
        with st.form(f"pairs_edit_{pair.id}"):
            left, right = st.columns(2)
            mentor = left.text_input("Mentor (the junior)", value=pair.mentor)
            mentee = right.text_input("Mentee (the senior)", value=pair.mentee)
            a, b, c = st.columns(3)
            status = a.selectbox("Status", PAIR_STATUSES, index=PAIR_STATUSES.index(pair.status))
            cadence = b.number_input("Days between sessions", 1, 365, pair.cadence_days)
            planned = c.number_input("Sessions planned", 1, 100, pair.sessions_planned)
            senior = left.text_area("Add goals for the senior (one per line)")
            junior = right.text_area("Add goals for the junior (one per line)")
            saved = st.form_submit_button("Save changes")
        if saved:
            try:
                edited = Pair.model_validate(
                    pair.model_dump()
                    | {
                        "mentor": mentor,
                        "mentee": mentee,
                        "status": status,
                        "cadence_days": int(cadence),
                        "sessions_planned": int(planned),
                        "goals": [*pair.goals, *_goals(senior or "", junior or "")],
                    }
                )
            except ValidationError as err:
                _errors(err)
                return
            if attempt(lambda: services().pairs.update_pair(edited)) is not None:
                _notice("Saved.")
                st.rerun()


def _set_progress(pair_id: int, goal_id: int) -> None:
    value = st.session_state.get(f"pairs_goal_{goal_id}")
    try:
        services().pairs.set_goal_progress(pair_id, goal_id, int(value))
    except CoachError as err:
        st.session_state[NOTICE] = str(err)


def _goals_section(pair: Pair) -> None:
    st.markdown("**Goals** — rate progress 1 (not started) to 5 (done) after each session")
    if not pair.goals:
        st.caption("No goals yet: add them under “Edit this pair”.")
    for goal in pair.goals:
        who = "Senior learns" if goal.side == "senior" else "Junior learns"
        st.slider(
            f"{who}: {goal.text}",
            1,
            5,
            goal.progress,
            key=f"pairs_goal_{goal.id}",
            on_change=_set_progress,
            args=(pair.id, goal.id),
        )


def _set_action(action_id: int, status: str) -> None:
    try:
        services().pairs.set_action_status(action_id, status)  # type: ignore[arg-type]
    except CoachError as err:
        st.session_state[NOTICE] = str(err)


def _actions_section(pair: Pair) -> None:
    st.markdown("**Open action items** — tick one when it is done")
    actions = attempt(lambda: services().pairs.actions(pair.id, "open")) or []
    if not actions:
        st.caption("Nothing open.")
    for action in actions:
        due = f", due {action.due}" if action.due else ""
        tick, drop = st.columns([6, 1])
        tick.checkbox(
            f"{action.owner}: {action.action} (session {action.session}{due})",
            value=False,
            key=f"pairs_action_{action.id}",
            on_change=_set_action,
            args=(action.id, "done"),
        )
        drop.button(
            "Drop",
            key=f"pairs_drop_{action.id}",
            on_click=_set_action,
            args=(action.id, "dropped"),
        )


def _ledger_section(pair: Pair) -> None:
    ledger = attempt(lambda: services().pairs.ledger(pair.id)) or []
    left, right = st.columns(2)
    for column, side, title in (
        (left, "senior", "What the senior learned"),
        (right, "junior", "What the junior learned"),
    ):
        column.markdown(f"**{title}**")
        entries = [e for e in ledger if e.side == side]
        if entries:
            column.markdown("\n".join(f"- {e.text} (session {e.session})" for e in entries))
        else:
            column.caption("Nothing recorded yet.")


def _timeline(pair: Pair, sessions: list) -> None:  # noqa: ANN001
    st.markdown("**Timeline**")
    artifacts = attempt(lambda: services().pairs.artifacts(pair.id)) or []
    chats = attempt(lambda: services().pairs.conversations(pair.id)) or []
    if not sessions and not artifacts and not chats:
        st.caption("No sessions yet. Prepare the first one below.")
        return
    rows = [
        {
            "Session": str(s.number),
            "Date": s.held_on.isoformat(),
            "Next focus": s.next_focus,
            "Rating": str(s.rating or ""),
            "Saved": ", ".join(
                f"{KIND_LABELS.get(a.kind, a.kind)} #{a.id}"
                for a in artifacts
                if a.session == s.number
            ),
        }
        for s in sessions
    ]
    held = {s.number for s in sessions}
    rows += [
        {
            "Session": str(a.session or ""),
            "Date": a.created_at[:10],
            "Next focus": "",
            "Rating": "",
            "Saved": f"{KIND_LABELS.get(a.kind, a.kind)} #{a.id}: {a.title}",
        }
        for a in artifacts
        if a.session not in held
    ]
    rows += [
        {
            "Session": "",
            "Date": c.created_at[:10],
            "Next focus": "",
            "Rating": "",
            "Saved": f"Coach conversation #{c.id}: {c.title}",
        }
        for c in chats
    ]
    st.dataframe(rows, hide_index=True, key="pairs_timeline")
    if sessions:
        _rate(pair, sessions)


def _rate(pair: Pair, sessions: list) -> None:  # noqa: ANN001
    which, score, save = st.columns([2, 2, 1], vertical_alignment="bottom")
    number = which.selectbox(
        "Rate a session", [s.number for s in sessions][::-1], key="pairs_rate_session"
    )
    rating = score.select_slider("How it went", [1, 2, 3, 4, 5], value=3, key="pairs_rate_value")
    if save.button("Save rating", key="pairs_rate_save"):
        done = attempt(
            lambda: services().pairs.rate_session(pair.id, int(number), int(rating)) or True
        )
        if done:
            _notice(f"Session {number} rated {rating} of 5.")
            st.rerun()


def _prepare(pair: Pair, minutes: int) -> None:
    from assistant.ui.pages import agenda

    store = services().pairs
    request = next_session_request(
        pair, store.sessions(pair.id), store.actions(pair.id, "open"), minutes
    )
    agenda.fill_form(
        topic=request.topic,
        minutes=minutes,
        stage=request.stage,
        session_number=request.session_number,
        goals=request.goals,
        mentor_role=request.mentor_role,
        mentee_role=request.mentee_role,
        notes=request.notes_from_last_time,
    )
    st.session_state[agenda.PAIR] = {
        "id": pair.id,
        "label": pair.label,
        "session": request.session_number,
    }
    st.session_state.pop(agenda.RESULT, None)
    open_page("agenda", "Agenda builder")


def _summarise(pair: Pair, number: int) -> None:
    from assistant.ui.pages import feedback

    st.session_state[feedback.PAIR] = {
        "id": pair.id,
        "label": pair.label,
        "session": number,
        "names": pair.names,
    }
    st.session_state.pop(feedback.RESULT, None)
    open_page("feedback", "Feedback summary")


def _starters(pair: Pair, sessions: list, stage: str) -> None:  # noqa: ANN001
    from assistant.pairs import starters_topic

    st.session_state["starters_topic"] = starters_topic(pair, sessions)
    st.session_state["starters_stage"] = stage
    st.session_state.pop("starters_result", None)
    open_page("starters", "Conversation starters")


def _next_steps(pair: Pair, sessions: list) -> None:  # noqa: ANN001
    number = max((s.number for s in sessions), default=0) + 1
    from assistant.pairs import stage_for

    stage_key = stage_for(number, pair.sessions_planned)
    stage = STAGE_LABELS[stage_key]
    when = next_session_date(pair, sessions, date.today())
    st.markdown(f"**Next: session {number} of {pair.sessions_planned}** ({stage}, {when:%d %b %Y})")
    minutes_col, prepare_col, starters_col, summarise_col = st.columns(4)
    minutes = minutes_col.number_input("Minutes", 5, 240, 60, step=5, key="pairs_minutes")
    if prepare_col.button(
        "Prepare next session", key="pairs_prepare", type="primary", icon=":material/event_note:"
    ):
        _prepare(pair, int(minutes))
    if starters_col.button(
        "Starters for its goals", key="pairs_starters", icon=":material/chat_bubble:"
    ):
        _starters(pair, sessions, stage_key)
    if summarise_col.button(
        "Summarise this session", key="pairs_summarise", icon=":material/summarize:"
    ):
        _summarise(pair, number)
    _downloads(pair, sessions, number, when, int(minutes))


def _downloads(pair: Pair, sessions: list, number: int, when: date, minutes: int) -> None:  # noqa: ANN001
    from assistant.pair_export import pair_timeline_markdown, session_invite_ics

    store = services().pairs
    left, right = st.columns(2)
    with left:
        download(
            "Download timeline (Markdown)",
            pair_timeline_markdown(pair, sessions, store.actions(pair.id), store.ledger(pair.id)),
            f"{slug(pair.label)}-timeline.md",
            "text/markdown",
            key="pairs_download_md",
            audit_as=f"pair #{pair.id} timeline",
        )
    with right:
        try:
            start = datetime.combine(when, time(10, 0)).astimezone()
            invite = session_invite_ics(pair, number, start, minutes)
        except CoachError as err:
            show_error(err)
            return
        download(
            "Download next session invite (.ics)",
            invite,
            f"{slug(pair.label)}-session-{number}.ics",
            "text/calendar",
            key="pairs_download_ics",
            audit_as=f"pair #{pair.id} invite",
        )


def _delete(pair: Pair) -> None:
    if st.session_state.get(CONFIRM) == pair.id:
        st.warning(
            "Delete this pair with its sessions, summaries, agendas, actions and ledger?",
            icon=":material/delete_forever:",
        )
        yes, no = st.columns(2)
        if yes.button("Yes, delete", key="pairs_delete_yes", type="primary"):
            if attempt(lambda: services().pairs.delete_pair(pair.id) or True):
                st.session_state.pop(CONFIRM, None)
                st.session_state.pop(SELECTED, None)
                _notice(f"Deleted the pair {pair.label}.")
                st.rerun()
        if no.button("Cancel", key="pairs_delete_no"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()
    elif st.button("Delete pair", key="pairs_delete", icon=":material/delete:"):
        st.session_state[CONFIRM] = pair.id
        st.rerun()


def _members_form(pair: Pair) -> None:
    """Leads and admins match the pair's two accounts (its content is theirs from then on)."""
    members = attempt(lambda: services().pairs.members(pair.id)) or {}
    with st.expander("Match accounts to this pair", icon=":material/link:"):
        with st.form(f"pairs_members_{pair.id}"):
            left, right = st.columns(2)
            mentor = left.text_input("Mentor's account email", value=members.get("mentor") or "")
            mentee = right.text_input("Mentee's account email", value=members.get("mentee") or "")
            if st.form_submit_button("Match accounts"):
                saved = attempt(
                    lambda: services().pairs.set_members(
                        pair.id, mentor.strip() or None, mentee.strip() or None
                    )
                )
                if saved is not None:
                    st.success("Matched.", icon=":material/check:")


def _is_member(pair: Pair) -> bool:
    try:
        services().pairs.require_member(pair.id)
    except AccessDenied:
        return False
    return True


def _not_a_member(pair: Pair) -> None:
    """What a lead or admin sees of a pair they are not in: its record, never its content."""
    st.info(
        f"You are not a member of the pair {pair.label}: its agendas, notes, summaries, "
        "actions and learnings are private to its two members. Program health shows its "
        "figures.",
        icon=":material/lock:",
    )
    _members_form(pair)
    _delete(pair)


def render() -> None:
    st.title("Pairs")
    st.caption(
        "Each pair's goals, sessions, action items and two-way ledger, kept from session to "
        "session."
    )
    if notice := st.session_state.pop(NOTICE, None):
        st.success(notice, icon=":material/check:")
    manages = services().actor.can(Permission.MANAGE_PAIRS)
    if manages:
        _add_form()
    pairs = attempt(lambda: services().pairs.list_pairs())
    if not pairs:
        if pairs is not None:
            st.info(
                "No pairs yet: add the first one above."
                if manages
                else "You are not in a pair yet: your program lead matches you to one.",
                icon=":material/group:",
            )
        return
    ids = [p.id for p in pairs]
    if st.session_state.get(SELECTED) not in ids:
        st.session_state[SELECTED] = ids[-1]
    chosen = st.selectbox(
        "Pair",
        ids,
        format_func=lambda i: next(f"#{p.id} {p.label} ({p.status})" for p in pairs if p.id == i),
        key=SELECTED,
    )
    pair = next(p for p in pairs if p.id == chosen)
    if not _is_member(pair):
        _not_a_member(pair)
        return
    sessions = attempt(lambda: services().pairs.sessions(pair.id)) or []
    st.caption(
        f"Started {pair.start_date:%d %b %Y} · a session every {pair.cadence_days} days · "
        f"{len(sessions)} of {pair.sessions_planned} held · {pair.status}"
    )
    _next_steps(pair, sessions)
    st.divider()
    _actions_section(pair)
    _goals_section(pair)
    _ledger_section(pair)
    _timeline(pair, sessions)
    st.divider()
    _edit_form(pair)
    if manages:
        _members_form(pair)
        _delete(pair)
