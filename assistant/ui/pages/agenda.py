"""Agenda builder: a validated form, the agenda as an editable table with sources per item,
downloads as Markdown and .ics, and every generated agenda saved to history.

The form becomes an AgendaRequest, which checks it before any model call; the form never
clears: on any error the user's input stays where it was.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from assistant.errors import CoachError
from assistant.schemas import (
    MAX_MINUTES,
    MIN_MINUTES,
    STAGE_LABELS,
    Agenda,
    AgendaItem,
    AgendaRequest,
)
from assistant.ui.resources import services
from assistant.ui.safe_text import safe_markdown
from assistant.ui.widgets import (
    LiveView,
    attempt,
    download,
    generate_and_save,
    lines,
    render_citations,
    render_provenance,
    save_quietly,
    show_error,
    show_stop_notice,
    slug,
)

RESULT = "agenda_result"
_SESSION = "session"  # persist_state: inputs survive a visit to another page
PAIR = "agenda_pair"  # {"id", "label", "session"}: the agenda is a pair's next session


def fill_form(
    *,
    topic: str,
    minutes: int,
    stage: str,
    session_number: int | None,
    goals: list[str],
    mentor_role: str = "junior mentor",
    mentee_role: str = "senior leader",
    notes: str = "",
) -> None:
    """Put values in the form's widgets (before the page runs), e.g. a reopened agenda's."""
    st.session_state.update(
        {
            "agenda_topic": topic,
            "agenda_minutes": int(minutes),
            "agenda_stage": stage if stage in STAGE_LABELS else "middle",
            "agenda_session_number": int(session_number or 0),
            "agenda_mentor_role": mentor_role or "junior mentor",
            "agenda_mentee_role": mentee_role or "senior leader",
            "agenda_goals": "\n".join(goals),
            "agenda_notes": notes,
        }
    )


def fill_form_from_agenda(payload: dict[str, Any]) -> None:
    """A saved agenda's request back in the form, ready to edit and regenerate."""
    fill_form(
        topic=str(payload.get("topic", "")),
        minutes=int(payload.get("minutes") or 45),
        stage=str(payload.get("stage", "middle")),
        session_number=payload.get("session_number"),
        goals=[str(g) for g in payload.get("goals") or []],
        mentor_role=str(payload.get("mentor_role") or "junior mentor"),
        mentee_role=str(payload.get("mentee_role") or "senior leader"),
    )


def _form() -> None:
    with st.form("agenda_form", clear_on_submit=False):
        topic = st.text_input(
            "Topic",
            key="agenda_topic",
            persist_state=_SESSION,
            placeholder="e.g. Using AI chatbots in everyday work",
        )
        first, second, third = st.columns(3)
        # The widget takes any whole number so that an out-of-range value gets the same
        # sentence as every other input error (from AgendaRequest), not a silent clamp.
        minutes = first.number_input(
            "Minutes",
            min_value=0,
            value=45,
            step=5,
            key="agenda_minutes",
            persist_state=_SESSION,
            help=f"Between {MIN_MINUTES} and {MAX_MINUTES}.",
        )
        stage = second.selectbox(
            "Session stage",
            list(STAGE_LABELS),
            index=1,
            format_func=STAGE_LABELS.__getitem__,
            key="agenda_stage",
            persist_state=_SESSION,
        )
        session_number = third.number_input(
            "Session number",
            min_value=0,
            max_value=1000,
            value=0,
            step=1,
            key="agenda_session_number",
            persist_state=_SESSION,
            help="0 means not set.",
        )
        left, right = st.columns(2)
        mentor_role = left.text_input(
            "Mentor's role", value="junior mentor", key="agenda_mentor_role", persist_state=_SESSION
        )
        mentee_role = right.text_input(
            "Mentee's role", value="senior leader", key="agenda_mentee_role", persist_state=_SESSION
        )
        goals = st.text_area(
            "Goals (one per line)",
            key="agenda_goals",
            persist_state=_SESSION,
            placeholder="Try a chatbot on a real task\nAgree on a next step",
        )
        notes = st.text_area("Notes from last time", key="agenda_notes", persist_state=_SESSION)
        submitted = st.form_submit_button(
            "Build agenda", type="primary", icon=":material/event_note:"
        )
    if submitted:
        _build(
            topic=topic or "",
            minutes=int(minutes or 0),
            stage=stage or "middle",
            session_number=int(session_number or 0) or None,
            mentor_role=(mentor_role or "").strip() or "junior mentor",
            mentee_role=(mentee_role or "").strip() or "senior leader",
            goals=lines(goals or ""),
            notes=(notes or "").strip(),
        )


def _build(
    *,
    topic: str,
    minutes: int,
    stage: str,
    session_number: int | None,
    mentor_role: str,
    mentee_role: str,
    goals: list[str],
    notes: str,
) -> None:
    request = attempt(
        lambda: AgendaRequest.from_input(
            topic=topic,
            minutes=minutes,
            stage=stage,
            session_number=session_number,
            mentor_role=mentor_role,
            mentee_role=mentee_role,
            goals=goals,
            notes_from_last_time=notes,
        )
    )
    if request is None:
        return
    pair = st.session_state.get(PAIR)
    if pair:
        request = _with_open_actions(request, int(pair["id"]))
        if request is None:
            return
    job = attempt(lambda: services().coach.plan_agenda(request))
    if job is None:
        return
    live = LiveView("agenda_stop")
    live.show(lambda: _preview(job.preview, 0))
    svc = services()
    pairs = svc.pairs
    written = generate_and_save(
        lambda: svc.coach.write_agenda(
            job,
            on_progress=lambda agenda, n: live.show(lambda: _preview(agenda, n)),
            on_text=live.tick,
        ),
        (
            (
                lambda agenda: pairs.save_artifact(
                    int(pair["id"]), agenda, session=job.request.session_number
                )
            )
            if pair
            else svc.store.save_artifact
        ),
        spinner="Writing each item's wording…",
        live=live,
    )
    live.clear()
    if written is None:
        return
    agenda, artifact_id = written
    version = st.session_state.get(RESULT, {}).get("version", 0) + 1
    st.session_state[RESULT] = {
        "agenda": agenda.model_dump(mode="json"),
        "artifact_id": artifact_id,
        "version": version,
    }


def _preview(agenda: Agenda, written: int) -> None:
    """The plan as soon as it is computed (activities, minutes, sources); each item's text is
    its activity card's until the model has written that item's wording."""
    st.divider()
    st.subheader("Plan ready · wording in progress")
    st.caption(
        f"{len(agenda.items)} items adding up to {sum(i.minutes for i in agenda.items)} "
        f"minutes, planned from the activity cards. Worded for your topic so far: {written} of "
        f"{len(agenda.items)} items; the others show their card's own text until then."
    )
    st.dataframe(
        _table(agenda),
        hide_index=True,
        column_config={
            "minutes": st.column_config.NumberColumn("Min", width="small"),
            "activity": st.column_config.TextColumn("Activity", width="large"),
            "details": st.column_config.TextColumn("Details", width="large"),
            "sources": st.column_config.TextColumn("Sources", width="small"),
        },
    )


def _with_open_actions(request: AgendaRequest, pair_id: int) -> AgendaRequest | None:
    """The request with the pair's open action items, for the plan's review item."""
    from assistant.schemas import ReviewAction

    actions = attempt(lambda: services().pairs.actions(pair_id, "open"))
    if actions is None:
        return None
    review = [
        ReviewAction(action=a.action, owner=a.owner, session=a.session, due=a.due) for a in actions
    ]
    return request.model_copy(update={"review_actions": review})


def _detach() -> None:
    st.session_state.pop(PAIR, None)


def _pair_banner() -> None:
    pair = st.session_state.get(PAIR)
    if not pair:
        return
    st.info(
        f"Preparing session {pair['session']} of the pair {pair['label']}: the plan reviews "
        "every open action item, and the agenda is saved on the pair's timeline.",
        icon=":material/group:",
    )
    st.button("Not for this pair", key="agenda_detach", on_click=_detach)


def _table(agenda: Agenda) -> Any:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "minutes": item.minutes,
                "activity": item.activity,
                "details": item.details,
                "sources": ", ".join(item.sources),
            }
            for item in agenda.items
        ],
        columns=["minutes", "activity", "details", "sources"],
    )


def _from_table(agenda: Agenda, table: Any) -> Agenda:
    """The agenda with the user's edits: blank rows dropped, minutes made whole numbers."""
    import pandas as pd

    items = []
    for row in table.to_dict("records"):
        activity = "" if pd.isna(row.get("activity")) else str(row["activity"]).strip()
        if not activity:
            continue
        minutes = row.get("minutes")
        details = row.get("details")
        sources = row.get("sources")
        items.append(
            AgendaItem(
                minutes=0 if minutes is None or pd.isna(minutes) else max(0, int(minutes)),
                activity=activity,
                details="" if details is None or pd.isna(details) else str(details),
                sources=[]
                if sources is None or pd.isna(sources)
                else [s.strip() for s in str(sources).split(",") if s.strip()],
            )
        )
    return agenda.model_copy(update={"items": items})


def _editor(agenda: Agenda, version: int) -> Agenda:
    edited = st.data_editor(
        _table(agenda),
        key=f"agenda_editor_{version}",
        num_rows="dynamic",
        hide_index=True,
        disabled=["sources"],
        column_config={
            "minutes": st.column_config.NumberColumn(
                "Min", min_value=0, max_value=MAX_MINUTES, step=1, width="small"
            ),
            "activity": st.column_config.TextColumn("Activity", required=True, width="large"),
            "details": st.column_config.TextColumn("Details", width="large"),
            "sources": st.column_config.TextColumn(
                "Sources", help="Knowledge files this item is based on.", width="small"
            ),
        },
    )
    return _from_table(agenda, edited)


def _bullets(title: str, items: list[str]) -> None:
    if items:
        st.markdown(f"**{title}**")
        st.markdown("\n".join(f"- {safe_markdown(item)}" for item in items))


def _invite(agenda: Agenda) -> None:
    st.markdown("**Calendar invite**")
    browser_zone = getattr(st.context, "timezone", None) or "UTC"
    day_col, time_col, zone_col, place_col = st.columns(4)
    day = day_col.date_input(
        "Date", value=date.today() + timedelta(days=7), key="agenda_date", persist_state=_SESSION
    )
    start = time_col.time_input(
        "Start", value=time(10, 0), key="agenda_time", persist_state=_SESSION
    )
    zone_name = zone_col.text_input(
        "Time zone", value=browser_zone, key="agenda_zone", persist_state=_SESSION
    )
    location = place_col.text_input(
        "Location", key="agenda_location", persist_state=_SESSION, placeholder="Room or video link"
    )
    try:
        zone = ZoneInfo((zone_name or "").strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        st.error(
            f"“{zone_name}” is not a time zone. Use a name such as Europe/Berlin or UTC.",
            icon=":material/schedule:",
        )
        return
    if not isinstance(day, date) or start is None:
        st.error("Pick a date and a start time for the invite.", icon=":material/schedule:")
        return
    try:
        ics = _ics(agenda, datetime.combine(day, start, tzinfo=zone), location or "")
    except CoachError as err:
        show_error(err)
        return
    download(
        "Download calendar invite (.ics)",
        ics,
        f"{slug(agenda.title)}.ics",
        "text/calendar",
        key="agenda_download_ics",
    )


def _ics(agenda: Agenda, start: datetime, location: str) -> bytes:
    from assistant.export import agenda_to_ics

    return agenda_to_ics(agenda, start, location=location)


def _result(result: dict[str, Any]) -> None:
    from assistant.export import to_markdown

    agenda = Agenda.model_validate(result["agenda"])
    st.divider()
    st.subheader(safe_markdown(agenda.title))
    st.caption(
        f"{agenda.minutes} minutes · {STAGE_LABELS.get(agenda.stage, agenda.stage)}"
        f" · topic: {agenda.topic}"
    )
    _bullets("Objectives", agenda.objectives)
    st.markdown("**Plan** — edit any cell, add or delete rows; downloads use your edits.")
    edited = _editor(agenda, result["version"])
    total = sum(item.minutes for item in edited.items)
    if total != agenda.minutes:
        st.warning(
            f"The plan adds up to {total} minutes, but the session is {agenda.minutes}.",
            icon=":material/timer:",
        )
    else:
        st.caption(f"The plan adds up to {total} minutes.")
    left, right = st.columns(2)
    with left:
        _bullets("Conversation starters", agenda.starters)
        _bullets("To prepare", agenda.prepare)
    with right:
        _bullets("Follow-up", agenda.follow_up)
    render_citations(agenda.citations)
    render_provenance(agenda)

    download(
        "Download agenda (Markdown)",
        to_markdown(edited),
        f"{slug(agenda.title)}.md",
        "text/markdown",
        key="agenda_download_md",
    )
    _invite(edited)
    changed = edited.items != agenda.items
    if changed and st.button(
        "Save my edits to history", key="agenda_save_edits", icon=":material/save:"
    ):
        saved = save_quietly(
            lambda: services().store.save_artifact(edited, title=f"{agenda.title} (edited)")
        )
        if saved is not None:
            st.success("Your edited agenda was saved to history.", icon=":material/check:")
    if result.get("artifact_id") is not None:
        st.caption(f"Saved to history as item #{result['artifact_id']}.")


def render() -> None:
    st.title("Agenda builder")
    st.caption(
        "Describe the session; the coach plans it from the knowledge base, item by item, "
        "with the sources each item comes from."
    )
    _pair_banner()
    _form()
    show_stop_notice("agenda_stop")
    result = st.session_state.get(RESULT)
    if result:
        _result(result)
