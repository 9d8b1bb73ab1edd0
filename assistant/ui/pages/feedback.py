"""Feedback summary: paste session notes, see what will be hidden, get the two-way ledger.

The redaction preview runs locally on every edit (no model involved), so the user sees exactly
which emails, phone numbers, links and names are replaced before anything is sent. The
summary is saved to history and downloads as Markdown.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.feedback import screen
from assistant.privacy import CONSENT_NOTICE, where_notes_go
from assistant.schemas import NOTES_LIMIT, FeedbackRequest, FeedbackSummary
from assistant.ui import auth
from assistant.ui.resources import services, settings, shared_services
from assistant.ui.safe_text import safe_markdown
from assistant.ui.widgets import (
    LiveView,
    attempt,
    download,
    generate_and_save,
    render_provenance,
    show_stop_notice,
)

RESULT = "feedback_result"
PAIR = "feedback_pair"  # {"id", "label", "session"}: the summary is this pair's next session
_SESSION = "session"
CONSENTED = "_feedback_consented"  # personal mode: the notice was accepted in this session
VISIBILITY = "feedback_visibility"
_KIND_LABELS = {"email": "Email", "phone": "Phone", "url": "Link", "name": "Name"}


def _preview(request: FeedbackRequest) -> None:
    # The same screening the summary runs (feedback.screen): what is shown is what is sent,
    # instruction-like and unrelated lines already replaced.
    screened = screen(request.notes, request.names, services().index.embedder.embed)
    redaction = screened.redaction
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
        st.code(screened.sanitized.text, language=None, wrap_lines=True)


_LIST_LABELS = {
    "action_items": "action item(s)",
    "learnings": "learning(s)",
    "went_well": "thing(s) that went well",
    "challenges": "challenge(s)",
}


def _live_progress(live: LiveView) -> dict[str, Any]:
    def so_far(summary: str, counts: dict[str, int]) -> None:
        def draw() -> None:
            st.markdown("**Summary so far**")
            if summary:
                st.markdown(safe_markdown(summary))
            written = [f"{n} {_LIST_LABELS[k]}" for k, n in counts.items() if n]
            st.caption(
                ("Written so far: " + ", ".join(written) + ". " if written else "")
                + "Next, every item is checked against your notes; ones they do not back "
                "are left out."
            )

        live.show(draw)

    return {"on_progress": so_far, "on_text": live.tick}


def _summarise(request: FeedbackRequest) -> None:
    pair = st.session_state.get(PAIR)
    if pair:
        _summarise_for_pair(request, int(pair["id"]))
        return
    svc = services()
    live = LiveView("feedback_stop")
    done = generate_and_save(
        lambda: svc.coach.feedback(request, **_live_progress(live)),
        svc.store.save_artifact,
        spinner="Summarising the session…",
        live=live,
    )
    live.clear()
    if done is None:
        return
    summary, artifact_id = done
    st.session_state[RESULT] = {
        "summary": summary.model_dump(mode="json"),
        "artifact_id": artifact_id,
    }


def _summarise_for_pair(request: FeedbackRequest, pair_id: int) -> None:
    """Summarise with the pair's names hidden, and record the summary, its action items and
    its ledger entries as the pair's next session (one transaction)."""
    from assistant.pairs import summarise_session

    visibility = "private" if st.session_state.get(VISIBILITY) == "Only me" else "pair"
    svc = services()  # taken first: the summary is recorded even if the user leaves meanwhile
    live = LiveView("feedback_stop")
    done = generate_and_save(
        lambda: summarise_session(
            svc.coach, svc.pairs, pair_id, request, visibility=visibility, **_live_progress(live)
        ),
        lambda made: made[1].session.summary_id,  # recorded with the summary, one transaction
        spinner="Summarising the session…",
        live=live,
    )
    live.clear()
    if done is None:
        return
    (summary, record), _ = done
    st.session_state[RESULT] = {
        "summary": summary.model_dump(mode="json"),
        "artifact_id": record.session.summary_id,
        "pair_session": record.session.number,
    }
    st.session_state.pop(PAIR, None)  # the next summary is not this session's again


def _detach() -> None:
    st.session_state.pop(PAIR, None)


def _pair_banner() -> None:
    pair = st.session_state.get(PAIR)
    if not pair:
        return
    st.info(
        f"This summary will be recorded as session {pair['session']} of the pair "
        f"{pair['label']}: its action items and learnings go on the pair's timeline. The "
        "pair's names are hidden from the model without typing them below.",
        icon=":material/group:",
    )
    st.radio(
        "Who reads this summary, its action items and learnings",
        ["Shared with my pair", "Only me"],
        key=VISIBILITY,
        horizontal=True,
        help="A junior's notes about an executive need not be shown to the executive.",
    )
    st.button("Not for this pair", key="feedback_detach", on_click=_detach)


def _consent_needed() -> bool:
    info = auth.ui_state()
    if not info:
        return not st.session_state.get(CONSENTED)
    user = shared_services().accounts.get(info["id"])
    return user is not None and user.consented_at is None


def _consent() -> None:
    """Until someone has summarised once: where the notes go and what is hidden first (shown
    before the button; their first summary records that they saw it)."""
    if not _consent_needed():
        return
    pair = " and on the pair's timeline" if st.session_state.get(PAIR) else ""
    st.info(
        CONSENT_NOTICE.format(where=where_notes_go(settings()), pair=pair),
        icon=":material/privacy_tip:",
    )


def _record_consent() -> None:
    info = auth.ui_state()
    if info:
        shared_services().accounts.record_consent(info["id"])
    st.session_state[CONSENTED] = True


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
    if result.get("pair_session"):
        st.success(
            f"Recorded as session {result['pair_session']} of the pair, with its action items "
            "and learnings.",
            icon=":material/group:",
        )
    if result.get("artifact_id") is not None:
        st.caption(f"Saved to history as item #{result['artifact_id']}.")


def render() -> None:
    st.title("Feedback summary")
    st.caption(
        "Paste your notes from a session. Personal details are hidden before the model "
        "sees them; you get a summary of what each side learned and the action items."
    )
    _pair_banner()
    notes = st.text_area(
        "Session notes",
        key="feedback_notes",
        height=220,
        persist_state=_SESSION,
        placeholder="What did you cover? What went well, what was hard, "
        "what will each of you do next?",
    )
    names = st.text_input(
        "Names to hide (optional, comma-separated: mentor first, then mentee)",
        key="feedback_names",
        persist_state=_SESSION,
        placeholder="Alex Kim, Jordan Lee",
    )
    pair = st.session_state.get(PAIR)
    pair_names = pair.get("names", []) if pair else []
    # The request is checked once per run, and a problem is shown once, in the preview's
    # place: a huge paste is refused before it is redacted and rendered on every rerun.
    checked = st.container()
    _consent()
    clicked = st.button(
        "Summarise", type="primary", key="feedback_submit", icon=":material/summarize:"
    )
    request = None
    if (notes or "").strip() or clicked:
        with checked:
            request = attempt(
                lambda: FeedbackRequest.from_input(
                    context={NOTES_LIMIT: settings().max_notes_chars},
                    notes=notes or "",
                    names=[*pair_names, *(names or "").split(",")],
                )
            )
            if request is not None:
                _preview(request)
    if clicked and request is not None:
        _record_consent()
        _summarise(request)
    show_stop_notice("feedback_stop")
    result = st.session_state.get(RESULT)
    if result:
        _show(result)
