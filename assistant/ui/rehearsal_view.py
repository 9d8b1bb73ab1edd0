"""The Coach page's rehearsal mode (assistant.rehearsal): pick a persona from the app's list,
practise, then end it for short cited feedback and a transcript to download.

State lives in `st.session_state["rehearsal"]`: persona, turns (the persona's lines are
"assistant" turns), notes (by turn index: a line set aside), pending (the line to answer on this
run), failed (a line whose reply did not come: kept, with a button to send it again) and
debrief. A line the request refuses (empty, too long) goes back into the box as typed.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from assistant.commands.rehearse import transcript_markdown
from assistant.errors import CoachError, InputError
from assistant.rehearsal import PERSONA_KEYS, PERSONAS, Debrief
from assistant.schemas import Citation, RehearsalRequest, Turn
from assistant.ui.resources import services
from assistant.ui.safe_text import plain, safe_markdown
from assistant.ui.widgets import download, render_citations, show_error, waiting_text

STATE = "rehearsal"
INPUT = "rehearse_input"
CHOICE = "rehearse_persona"
PERSONA_AVATAR = ":material/theater_comedy:"
POINTER_PERSONA = re.compile(r"coach rehearse --as ([a-z-]+)")


def _state() -> dict[str, Any]:
    return st.session_state.setdefault(
        STATE,
        {
            "persona": None,
            "turns": [],
            "notes": {},
            "pending": None,
            "failed": None,
            "debrief": None,
        },  # fmt: skip
    )


def open_from_chat(persona: str) -> None:
    """The chat pointed here ("pretend you're my mentee"): switch mode, persona chosen."""
    st.session_state["coach_mode"] = "Rehearse"
    if persona in PERSONAS:
        st.session_state[CHOICE] = persona


def pointed_persona(answer_text: str) -> str | None:
    found = POINTER_PERSONA.search(answer_text)
    return found.group(1) if found and found.group(1) in PERSONAS else None


def _start() -> None:
    key = st.session_state.get(CHOICE) or PERSONA_KEYS[0]
    st.session_state[STATE] = {
        "persona": key,
        "turns": [{"role": "assistant", "content": PERSONAS[key].opening}],
        "notes": {},
        "pending": None,
        "failed": None,
        "debrief": None,
    }


def _reset() -> None:
    st.session_state.pop(STATE, None)


def _turns(state: dict[str, Any]) -> list[Turn]:
    return [Turn(**t) for t in state["turns"]]


def _submit(line: str) -> None:
    state = _state()
    try:
        state["pending"] = RehearsalRequest.from_input(
            persona=state["persona"], turns=_turns(state), line=line
        )
        state["refused"] = None
    except InputError as err:
        state["pending"], state["refused"] = None, err
        st.session_state[INPUT] = line


def _typed() -> None:
    _submit(str(st.session_state.get(INPUT) or ""))


def _end() -> None:
    _state()["ending"] = True


def _reply(request: RehearsalRequest) -> None:
    state = _state()
    persona = PERSONAS[request.persona]
    with st.chat_message("user"):
        st.markdown(plain(request.line))
    with st.chat_message("assistant", avatar=PERSONA_AVATAR):
        with st.spinner(waiting_text(f"{persona.label} is answering…")):
            try:
                reply = services().coach.rehearse(request)
            except CoachError as err:  # shown on the rerun, with the line kept to resend
                state["failed"], state["error"] = request.line, err
                st.rerun()
            except BaseException:  # Streamlit stopping this run (another line, a click)
                state["failed"] = request.line  # offered again on the next run
                raise
    state["failed"] = None
    state["turns"].append({"role": "user", "content": request.line})
    if reply.outcome == "in_character":
        state["turns"].append({"role": "assistant", "content": reply.text})
    else:
        state["notes"][str(len(state["turns"]) - 1)] = reply.text
    st.rerun()


def _debrief(state: dict[str, Any]) -> None:
    with st.spinner(waiting_text("Reviewing your lines…")):
        try:
            debrief = services().coach.rehearsal_feedback(state["persona"], _turns(state))
        except CoachError as err:
            show_error(err)
            return
    state["debrief"] = {
        "text": debrief.text,
        "citations": [c.model_dump(mode="json") for c in debrief.citations],
        "lines_practised": debrief.lines_practised,
        "notes": debrief.notes,
        "made_by": " / ".join(p for p in (debrief.backend, debrief.model) if p),
        "seconds": debrief.seconds,
    }


def _render_transcript(state: dict[str, Any]) -> None:
    persona = PERSONAS[state["persona"]]
    for i, turn in enumerate(state["turns"]):
        if turn["role"] == "user":
            with st.chat_message("user"):
                st.markdown(plain(turn["content"]))
        else:
            with st.chat_message("assistant", avatar=PERSONA_AVATAR):
                st.caption(persona.label)
                st.markdown(plain(turn["content"]))
        note = state["notes"].get(str(i))
        if note:
            st.info(note, icon=":material/shield:")


def _render_debrief(state: dict[str, Any]) -> None:
    found = state["debrief"]
    citations = [Citation.model_validate(c) for c in found["citations"]]
    st.subheader("Feedback on your lines")
    st.markdown(safe_markdown(found["text"], set()))
    render_citations(citations)
    st.caption(
        f"{found['lines_practised']} line(s) practised · made by {found['made_by']} in "
        f"{found['seconds']:.1f} s"
    )
    for note in found["notes"]:
        st.caption(f"Note: {note}")
    debrief = Debrief(found["text"], citations, found["lines_practised"])
    download(
        "Download the transcript",
        transcript_markdown(state["persona"], _turns(state), debrief),
        f"rehearsal-{state['persona']}.md",
        "text/markdown",
        key="rehearse_download",
        audit_as=f"rehearsal transcript ({state['persona']})",
    )


def render() -> None:
    state = _state()
    if state["persona"] is None:
        st.caption(
            "Practise a hard conversation. The coach plays someone from the list below; you "
            "answer in your own words; when you end it, you get short feedback with sources."
        )
        key = st.selectbox(
            "Who should the coach play?",
            PERSONA_KEYS,
            format_func=lambda k: PERSONAS[k].label,
            key=CHOICE,
        )
        chosen = PERSONAS[key or PERSONA_KEYS[0]]
        st.markdown(f"You practise as **{chosen.you_are}**; the coach plays {chosen.plays}.")
        st.button("Start the rehearsal", on_click=_start, type="primary",
                  icon=":material/play_arrow:")  # fmt: skip
        return

    persona = PERSONAS[state["persona"]]
    st.markdown(f"**Rehearsal:** {persona.label.lower()} · you are {persona.you_are}")
    _render_transcript(state)
    if state.get("debrief"):
        _render_debrief(state)
        st.button("Start a new rehearsal", on_click=_reset, icon=":material/replay:")
        return
    if state.pop("ending", False):
        _debrief(state)
        if state.get("debrief"):
            st.rerun()
    pending = state.pop("pending", None)
    error = state.pop("error", None)
    if error is not None:
        show_error(error)
    if state.get("failed") and pending is None:
        st.info(f"Your line was kept: “{state['failed']}”", icon=":material/history:")
        st.button("Send it again", on_click=_submit, args=(state["failed"],),
                  icon=":material/replay:")  # fmt: skip
    refused = state.pop("refused", None)
    if refused is not None:
        show_error(refused)
    left, right = st.columns([1, 1])
    with left:
        st.button("End and get feedback", on_click=_end, icon=":material/flag:",
                  disabled=len(state["turns"]) < 2)  # fmt: skip
    with right:
        st.button("Start over", on_click=_reset, icon=":material/restart_alt:")
    st.chat_input(f"Say your line to {persona.label.lower()}…", key=INPUT, on_submit=_typed)
    if pending is not None:
        _reply(pending)
