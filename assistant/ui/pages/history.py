"""History: saved agendas, summaries, starters, answers and conversations.

Searchable, re-downloadable, deletable. A delete asks once for confirmation.
"""

from __future__ import annotations

import streamlit as st

from assistant.errors import CoachError
from assistant.schemas import PERSONA_LABELS
from assistant.ui.resources import services
from assistant.ui.widgets import download, show_error, slug

KIND_LABELS = {"agenda": "Agenda", "feedback": "Feedback summary", "starters": "Starters",
               "answer": "Answer"}
CONFIRM = "history_confirm"
LIMIT = 100


def _delete(what: str, item_id: int) -> None:
    st.session_state.pop(CONFIRM, None)
    store = services().store
    try:
        deleted = (store.delete_artifact(item_id) if what == "artifact"
                   else store.delete_conversation(item_id))
    except CoachError as err:
        st.toast(f"Not deleted: {err}", icon=":material/error:")
        return
    st.toast("Deleted." if deleted else "It was already gone.", icon=":material/delete:")


def _ask_confirm(what: str, item_id: int) -> None:
    st.session_state[CONFIRM] = (what, item_id)


def _cancel() -> None:
    st.session_state.pop(CONFIRM, None)


def _delete_controls(what: str, item_id: int) -> None:
    if st.session_state.get(CONFIRM) == (what, item_id):
        st.warning("Delete this for good?", icon=":material/delete_forever:")
        yes, no = st.columns(2)
        yes.button("Yes, delete", key=f"history_yes_{what}_{item_id}", type="primary",
                   on_click=_delete, args=(what, item_id))
        no.button("Cancel", key=f"history_cancel_{what}_{item_id}", on_click=_cancel)
    else:
        st.button("Delete", key=f"history_delete_{what}_{item_id}", icon=":material/delete:",
                  on_click=_ask_confirm, args=(what, item_id))


def _artifacts() -> None:
    from assistant.export import to_markdown
    from assistant.store import load_artifact

    left, right = st.columns([1, 2])
    kind = left.selectbox("Show", ["all", *KIND_LABELS], key="history_kind",
                          format_func=lambda k: "Everything" if k == "all" else KIND_LABELS[k])
    search = right.text_input("Search saved results", key="history_search",
                              placeholder="a word from the title or the text")
    items = services().store.list_artifacts(kind=None if kind == "all" else kind,
                                            search=search or None, limit=LIMIT)
    if not items:
        st.info("Nothing saved matches." if search or kind != "all" else
                "Nothing saved yet: agendas, summaries, starters and answers appear here.",
                icon=":material/inbox:")
        return
    st.caption(f"{len(items)} saved result(s), newest first.")
    for item in items:
        rating = {1: " · 👍", -1: " · 👎"}.get(item.rating or 0, "")
        label = f"{KIND_LABELS.get(item.kind, item.kind)} · {item.title} · " \
                f"{item.created_at[:16].replace('T', ' ')}{rating}"
        with st.expander(label):
            try:
                markdown = to_markdown(load_artifact(item))
            except CoachError as err:
                show_error(err)
            else:
                with st.container(border=True):
                    st.markdown(markdown)
                download("Download (Markdown)", markdown, f"{item.kind}-{slug(item.title)}.md",
                         "text/markdown", key=f"history_download_{item.id}")
            _delete_controls("artifact", item.id)


def _conversations() -> None:
    from assistant.export import conversation_to_markdown

    search = st.text_input("Search conversations", key="history_conversation_search")
    store = services().store
    rows = store.list_conversations(search=search or None, limit=LIMIT)
    if not rows:
        st.info("No conversations match." if search else
                "No conversations yet: chats on the Coach page appear here.",
                icon=":material/forum:")
        return
    for row in rows:
        persona = PERSONA_LABELS.get(row.persona, row.persona)
        label = f"{row.title} · {persona} · {row.messages} message(s) · " \
                f"{row.updated_at[:16].replace('T', ' ')}"
        with st.expander(label):
            messages = store.get_messages(row.id)
            for message in messages:
                with st.chat_message(message.role):
                    st.markdown(message.content)
            download("Download conversation (Markdown)",
                     conversation_to_markdown(row.title, messages),
                     f"conversation-{slug(row.title)}.md", "text/markdown",
                     key=f"history_conversation_download_{row.id}")
            _delete_controls("conversation", row.id)


def render() -> None:
    st.title("History")
    st.caption("Everything the coach made for you, stored on this machine.")
    saved, chats = st.tabs(["Saved results", "Conversations"])
    with saved:
        _artifacts()
    with chats:
        _conversations()
