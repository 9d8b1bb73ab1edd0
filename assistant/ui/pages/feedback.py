"""Feedback summary: paste session notes, see what will be hidden, get the two-way ledger.

The redaction preview runs locally on every edit (no model involved), so the user sees exactly
which emails, phone numbers, links and names are replaced before anything is sent. The
summary is saved to history and downloads as Markdown.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.errors import CoachError
from assistant.feedback import validate_notes
from assistant.privacy import redact
from assistant.schemas import FeedbackSummary
from assistant.ui.resources import services, settings
from assistant.ui.safe_text import safe_markdown
from assistant.ui.widgets import attempt, download, render_provenance, save_quietly, show_error

RESULT = "feedback_result"
_SESSION = "session"
_KIND_LABELS = {"email": "Email", "phone": "Phone", "url": "Link", "name": "Name"}


def _names(raw: str) -> list[str]:
    return [name.strip() for name in (raw or "").split(",") if name.strip()]


def _preview(notes: str, names: list[str]) -> None:
    redaction = redact(notes, names)
    found = redaction.unique()
    label = (
        f"What will be hidden before the model sees your notes ({len(found)})"
        if found
        else "What will be hidden before the model sees your notes"
    )
    with st.expander(label, expanded=bool(found), icon=":material/visibility_off:"):
        if found:
            st.dataframe(
                [
                    {
                        "What": _KIND_LABELS.get(item.kind, item.kind),
                        "Your text": item.original,
                        "Replaced by": item.placeholder,
                    }
                    for item in found
                ],
                hide_index=True,
            )
        else:
            st.caption(
                "Nothing to hide was found: no emails, phone numbers, links, or the "
                "names you listed."
            )
        st.caption("The text the model will see:")
        st.code(redaction.text, language=None, wrap_lines=True)


def _summarise(notes: str, names: list[str]) -> None:
    if not notes.strip():
        st.error(
            "Notes are empty: paste what happened in the session first.", icon=":material/edit:"
        )
        return
    limit = settings().max_notes_chars
    if len(notes) > limit:
        st.error(
            f"The notes are {len(notes):,} characters; the limit is {limit:,}. "
            "Paste the part about this session only.",
            icon=":material/edit:",
        )
        return
    summary = attempt(
        lambda: services().coach.feedback(notes, names), spinner="Summarising the session…"
    )
    if summary is None:
        return
    artifact_id = save_quietly(lambda: services().store.save_artifact(summary))
    st.session_state[RESULT] = {
        "summary": summary.model_dump(mode="json"),
        "artifact_id": artifact_id,
    }


def _list(title: str, items: list[str], empty: str = "Nothing recorded.") -> None:
    st.markdown(f"**{title}**")
    if items:
        st.markdown("\n".join(f"- {safe_markdown(item)}" for item in items))
    else:
        st.caption(empty)


def _show(result: dict[str, Any]) -> None:
    from assistant.export import to_markdown

    summary = FeedbackSummary.model_validate(result["summary"])
    st.divider()
    st.subheader("Session summary")
    st.markdown(safe_markdown(summary.summary))
    left, right = st.columns(2)
    with left:
        _list("What the senior learned", summary.senior_learned)
        _list("What went well", summary.went_well)
    with right:
        _list("What the junior learned", summary.junior_learned)
        _list("Challenges", summary.challenges)
    st.markdown("**Action items**")
    if summary.action_items:
        st.dataframe(
            [
                {"Owner": item.owner, "Action": item.action, "Due": item.due or ""}
                for item in summary.action_items
            ],
            hide_index=True,
        )
    else:
        st.caption("No action items were found in the notes.")
    if summary.next_focus:
        st.markdown(f"**Next focus:** {safe_markdown(summary.next_focus)}")
    if summary.redactions:
        st.caption(
            f"{summary.redactions} personal detail(s) were hidden before the model saw the notes."
        )
    render_provenance(summary)
    download(
        "Download summary (Markdown)",
        to_markdown(summary),
        "session-summary.md",
        "text/markdown",
        key="feedback_download",
    )
    if result.get("artifact_id") is not None:
        st.caption(f"Saved to history as item #{result['artifact_id']}.")


def render() -> None:
    st.title("Feedback summary")
    st.caption(
        "Paste your notes from a session. Personal details are hidden before the model "
        "sees them; you get a summary of what each side learned and the action items."
    )
    notes = st.text_area(
        "Session notes",
        key="feedback_notes",
        height=220,
        persist_state=_SESSION,
        placeholder="What did you cover? What went well, what was hard, "
        "what will each of you do next?",
    )
    names = _names(
        st.text_input(
            "Names to hide (optional, comma-separated: mentor first, then mentee)",
            key="feedback_names",
            persist_state=_SESSION,
            placeholder="Alex Kim, Jordan Lee",
        )
        or ""
    )
    if (notes or "").strip():
        try:  # a huge paste is refused before it is redacted and rendered on every rerun
            validate_notes(notes or "", settings().max_notes_chars)
        except CoachError as err:
            show_error(err)
        else:
            _preview(notes or "", names)
    if st.button("Summarise", type="primary", key="feedback_submit", icon=":material/summarize:"):
        _summarise(notes or "", names)
    result = st.session_state.get(RESULT)
    if result:
        _show(result)
