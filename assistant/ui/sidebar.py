"""The sidebar: which model answers and in what state, and whether the index is built.

The model state is drawn before the page (it is cheap: nothing loads to read it). The index
state needs the embedder and Chroma, so it goes into a placeholder filled after the page has
rendered: the page never waits for it.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.errors import CoachError
from assistant.ui.resources import services

_STATE_LABELS = {
    "ready": "Ready",
    "loading": "Loading",
    "busy": "Busy",
    "not_loaded": "Not loaded yet",
    "unavailable": "Unavailable",
}


def render_model_state() -> DeltaGenerator:
    """Draw the model section; return the placeholder for the index section."""
    with st.sidebar:
        st.subheader("Model", divider="gray")
        try:
            model = services().model
            status = model.status()
        except CoachError as err:
            st.error(f"Unavailable: {err}", icon=":material/error:")
        else:
            st.caption(f"Backend: **{model.backend}** · model: `{model.model}`")
            label = _STATE_LABELS.get(status.state, status.state)
            detail = f"{label}: {status.detail}" if status.detail else label
            if status.state == "ready":
                st.success(detail, icon=":material/check_circle:")
            elif status.state == "busy" or status.queue:
                st.warning(
                    f"{detail} ({status.queue} request(s) waiting in queue)",
                    icon=":material/hourglass_top:",
                )
            elif status.state == "unavailable":
                st.error(detail, icon=":material/error:")
            else:
                st.info(detail, icon=":material/downloading:")
        st.button(
            "Refresh status", key="sidebar_refresh", type="tertiary", icon=":material/refresh:"
        )
        st.subheader("Knowledge index", divider="gray")
        slot = st.empty()
        slot.caption("Checking the index…")
    return slot


def render_index_state(slot: DeltaGenerator) -> None:
    try:
        chunks = services().index.count()
    except CoachError as err:
        slot.error(str(err), icon=":material/error:")
        return
    if chunks == 0:
        slot.warning("Not built — press Re-index on the Knowledge page.", icon=":material/warning:")
    else:
        slot.success(f"{chunks:,} chunks indexed", icon=":material/database:")
