"""Conversation starters: topic + stage -> starters with a category and a reason each.

Each starter sits in a code block, whose copy button copies it; "Regenerate" asks again with
the same inputs, and the whole set downloads as Markdown. Every set is saved to history.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.schemas import STAGE_LABELS, Starter, StarterSet, StartersRequest
from assistant.ui.resources import services
from assistant.ui.safe_text import plain, safe_markdown
from assistant.ui.widgets import (
    LiveView,
    attempt,
    download,
    generate_and_save,
    render_citations,
    render_provenance,
    show_stop_notice,
    slug,
)

RESULT = "starters_result"
_SESSION = "session"


def _generate(topic: str, stage: str, count: int) -> bool:
    request = attempt(lambda: StartersRequest.from_input(topic=topic, stage=stage, count=count))
    if request is None:
        return False
    svc = services()
    live = LiveView("starters_stop")
    done = generate_and_save(
        lambda: svc.coach.starters(
            request,
            on_progress=lambda so_far: live.show(lambda: _so_far(so_far, request.count)),
            on_text=live.tick,
        ),
        svc.store.save_artifact,
        spinner="Finding good questions…",
        live=live,
    )
    live.clear()
    if done is None:
        return False
    starter_set, artifact_id = done
    st.session_state[RESULT] = {
        "set": starter_set.model_dump(mode="json"),
        "artifact_id": artifact_id,
        "inputs": {"topic": request.topic, "stage": request.stage, "count": request.count},
    }
    return True


def _so_far(starters: list[Starter], count: int) -> None:
    """The starters the model has finished so far, while it writes the rest."""
    from assistant.export import CATEGORY_LABELS

    st.caption(
        f"{len(starters)} question(s) written so far, of about {count}; next, near-duplicates "
        "are dropped and the set is topped up from the knowledge base if needed."
    )
    for starter in starters:
        category = CATEGORY_LABELS.get(starter.category, starter.category)
        st.markdown(f"**{category}** · {plain(starter.text)}")


def _show(result: dict[str, Any]) -> None:
    from assistant.export import CATEGORY_LABELS, to_markdown

    starter_set = StarterSet.model_validate(result["set"])
    st.divider()
    st.subheader(f"Starters: {plain(starter_set.topic)}")
    st.caption(STAGE_LABELS.get(starter_set.stage, starter_set.stage))
    for number, starter in enumerate(starter_set.starters, start=1):
        category = CATEGORY_LABELS.get(starter.category, starter.category)
        st.markdown(f"**{number}. {category}**")
        st.code(starter.text, language=None, wrap_lines=True)
        why = f"Why: {starter.why}"
        if starter.sources:
            why += f" (from {', '.join(starter.sources)})"
        st.caption(safe_markdown(why))
    render_citations(starter_set.citations)
    render_provenance(starter_set)
    left, right = st.columns(2)
    with left:
        inputs = result["inputs"]
        if st.button("Regenerate", key="starters_regenerate", icon=":material/refresh:"):
            if _generate(inputs["topic"], inputs["stage"], inputs["count"]):
                st.rerun()
    with right:
        download(
            "Download starters (Markdown)",
            to_markdown(starter_set),
            f"starters-{slug(starter_set.topic)}.md",
            "text/markdown",
            key="starters_download",
        )


def render() -> None:
    st.title("Conversation starters")
    st.caption("Questions to open up a session, each with the reason it works.")
    with st.form("starters_form", clear_on_submit=False):
        topic = st.text_input(
            "Topic",
            key="starters_topic",
            persist_state=_SESSION,
            placeholder="e.g. social media, giving feedback, AI tools",
        )
        left, right = st.columns(2)
        stage = left.selectbox(
            "Session stage",
            list(STAGE_LABELS),
            index=1,
            format_func=STAGE_LABELS.__getitem__,
            key="starters_stage",
            persist_state=_SESSION,
        )
        count = right.slider(
            "How many",
            min_value=3,
            max_value=10,
            value=6,
            key="starters_count",
            persist_state=_SESSION,
        )
        submitted = st.form_submit_button(
            "Suggest starters", type="primary", icon=":material/chat_bubble:"
        )
    if submitted:
        _generate(topic or "", stage or "middle", int(count))
    show_stop_notice("starters_stop")
    result = st.session_state.get(RESULT)
    if result:
        _show(result)
