"""History: saved agendas, summaries, starters, answers and conversations.

Searchable, re-downloadable, deletable; a delete asks once for confirmation. An agenda opens
again in the Agenda builder (to edit it or download a calendar invite) and a conversation can
be continued on the Coach page. The list draws a page of items at a time.
"""

from __future__ import annotations

import streamlit as st

from assistant.errors import CoachError
from assistant.schemas import PERSONA_LABELS
from assistant.ui.resources import services
from assistant.ui.safe_text import plain, safe_markdown
from assistant.ui.shell import open_page
from assistant.ui.widgets import download, show_error, slug

KIND_LABELS = {
    "agenda": "Agenda",
    "feedback": "Feedback summary",
    "starters": "Starters",
    "answer": "Answer",
}
CONFIRM = "history_confirm"
PAGE = 20  # items drawn per "page" of the list
MORE_ARTIFACTS, MORE_CONVERSATIONS = "history_shown", "history_conversations_shown"


def _delete(what: str, item_id: int) -> None:
    st.session_state.pop(CONFIRM, None)
    store = services().store
    try:
        deleted = (
            store.delete_artifact(item_id)
            if what == "artifact"
            else store.delete_conversation(item_id)
        )
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
        yes.button(
            "Yes, delete",
            key=f"history_yes_{what}_{item_id}",
            type="primary",
            on_click=_delete,
            args=(what, item_id),
        )
        no.button("Cancel", key=f"history_cancel_{what}_{item_id}", on_click=_cancel)
    else:
        st.button(
            "Delete",
            key=f"history_delete_{what}_{item_id}",
            icon=":material/delete:",
            on_click=_ask_confirm,
            args=(what, item_id),
        )


def _more(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, PAGE) + PAGE


def _shown_count(key: str) -> int:
    """How many items to draw: one page, plus a page per "Show more" click. Drawing only these
    keeps each rerun's cost bounded by what the user asked to see, not by the history's size."""
    return int(st.session_state.get(key, PAGE))


def _show_more(key: str, more: bool) -> None:
    if more:
        st.button(
            f"Show {PAGE} more",
            key=f"{key}_button",
            on_click=_more,
            args=(key,),
            icon=":material/expand_more:",
        )


def _open_agenda(item_id: int) -> None:
    from assistant.ui.pages.agenda import PAIR, RESULT, fill_form_from_agenda

    stored = services().store.get_artifact(item_id)
    if stored is None:
        st.warning("That agenda is no longer in the history.", icon=":material/inbox:")
        return
    version = st.session_state.get(RESULT, {}).get("version", 0) + 1
    st.session_state[RESULT] = {
        "agenda": stored.payload,
        "artifact_id": stored.id,
        "version": version,
    }
    # The form comes back filled in (topic, minutes, stage, session, goals), ready to edit.
    fill_form_from_agenda(stored.payload)
    st.session_state.pop(PAIR, None)
    open_page("agenda", "Agenda builder")


def _continue_conversation(conversation_id: int, persona: str) -> None:
    from assistant.store import load_artifact

    store = services().store
    messages: list[dict] = []
    for row in store.get_messages(conversation_id):
        message: dict = {"role": row.role, "content": row.content}
        if row.role == "assistant":
            stored = store.get_artifact(row.artifact_id) if row.artifact_id else None
            message |= {"artifact_id": row.artifact_id, "rating": stored.rating if stored else None}
            if stored is not None and stored.kind == "answer":
                try:  # an answer saved by an older version may not load: keep its text only
                    load_artifact(stored)
                    message["answer"] = stored.payload
                except CoachError:
                    pass
        messages.append(message)
    st.session_state["chat"] = {
        "conversation_id": conversation_id,
        "messages": messages,
        "failed": None,
        "pending": None,
    }
    if persona in PERSONA_LABELS:  # follow-ups are answered for the same reader
        st.session_state["coach_persona"] = persona
    open_page("coach", "Coach")


def _artifacts() -> None:
    from assistant.export import to_markdown
    from assistant.store import load_artifact

    left, right = st.columns([1, 2])
    kind = left.selectbox(
        "Show",
        ["all", *KIND_LABELS],
        key="history_kind",
        format_func=lambda k: "Everything" if k == "all" else KIND_LABELS[k],
    )
    search = right.text_input(
        "Search saved results",
        key="history_search",
        placeholder="a word from the title or the text",
    )
    shown = _shown_count(MORE_ARTIFACTS)
    items = services().store.list_artifacts(
        kind=None if kind == "all" else kind, search=search or None, limit=shown + 1
    )
    if not items:
        st.info(
            "Nothing saved matches."
            if search or kind != "all"
            else "Nothing saved yet: agendas, summaries, starters and answers appear here.",
            icon=":material/inbox:",
        )
        return
    more = len(items) > shown
    items = items[:shown]
    st.caption(f"The {len(items)} newest saved result(s)" + (", more below." if more else "."))
    for item in items:
        rating = {1: " · 👍", -1: " · 👎"}.get(item.rating or 0, "")
        label = (
            f"{KIND_LABELS.get(item.kind, item.kind)} · {item.title} · "
            f"{item.created_at[:16].replace('T', ' ')}{rating}"
        )
        with st.expander(plain(label)):
            try:
                markdown = to_markdown(load_artifact(item))
            except CoachError as err:
                show_error(err)
            else:
                with st.container(border=True):
                    st.markdown(safe_markdown(markdown))
                download(
                    "Download (Markdown)",
                    markdown,
                    f"{item.kind}-{slug(item.title)}.md",
                    "text/markdown",
                    key=f"history_download_{item.id}",
                    audit_as=f"{item.kind} #{item.id}",
                )
                if item.kind == "agenda" and st.button(
                    "Open in the Agenda builder",
                    key=f"history_open_{item.id}",
                    icon=":material/edit_calendar:",
                    help="Edit it, and download it as Markdown or a calendar invite (.ics).",
                ):
                    _open_agenda(item.id)
            _delete_controls("artifact", item.id)
    _show_more(MORE_ARTIFACTS, more)


def _conversations() -> None:
    from assistant.export import conversation_sources, conversation_to_markdown

    search = st.text_input("Search conversations", key="history_conversation_search")
    store = services().store
    shown = _shown_count(MORE_CONVERSATIONS)
    rows = store.list_conversations(search=search or None, limit=shown + 1)
    if not rows:
        st.info(
            "No conversations match."
            if search
            else "No conversations yet: chats on the Coach page appear here.",
            icon=":material/forum:",
        )
        return
    more = len(rows) > shown
    for row in rows[:shown]:
        persona = PERSONA_LABELS.get(row.persona, row.persona)
        label = (
            f"{row.title} · {persona} · {row.messages} message(s) · "
            f"{row.updated_at[:16].replace('T', ' ')}"
        )
        with st.expander(plain(label)):
            messages = store.get_messages(row.id)
            for message in messages:
                with st.chat_message(message.role):
                    st.markdown(
                        plain(message.content)
                        if message.role == "user"
                        else safe_markdown(message.content)
                    )
            download(
                "Download conversation (Markdown)",
                conversation_to_markdown(
                    row.title, messages, conversation_sources(store, messages)
                ),
                f"conversation-{slug(row.title)}.md",
                "text/markdown",
                key=f"history_conversation_download_{row.id}",
                audit_as=f"conversation #{row.id}",
            )
            if st.button(
                "Continue this conversation",
                key=f"history_continue_{row.id}",
                icon=":material/forum:",
                help="Opens it on the Coach page, where you can ask follow-ups.",
            ):
                _continue_conversation(row.id, row.persona)
            _delete_controls("conversation", row.id)
    _show_more(MORE_CONVERSATIONS, more)


def _linked_item(raw: str) -> None:
    """A saved item opened by its link (/history?item=ID): shown only if the store lets this
    user read it; otherwise one line and nothing of it."""
    from assistant.export import to_markdown
    from assistant.store import load_artifact

    if not raw.isdigit():
        st.error(f"“{plain(raw)}” is not an item number.", icon=":material/link_off:")
        return
    try:
        stored = services().store.get_artifact(int(raw))
        markdown = to_markdown(load_artifact(stored)) if stored is not None else None
    except CoachError as err:  # AccessDenied among them: one line, nothing of the item
        show_error(err)
        return
    if stored is None:
        st.warning(f"There is no saved item #{raw}.", icon=":material/inbox:")
    else:
        st.subheader(plain(f"{KIND_LABELS.get(stored.kind, stored.kind)} · {stored.title}"))
        with st.container(border=True):
            st.markdown(safe_markdown(markdown))


def render() -> None:
    st.title("History")
    st.caption("Everything the coach made for you, stored on this machine.")
    linked = st.query_params.get("item")
    if linked is not None:
        _linked_item(str(linked))
        st.divider()
    saved, chats = st.tabs(["Saved results", "Conversations"])
    with saved:
        _artifacts()
    with chats:
        _conversations()
