"""Coach: a grounded chat, streamed, with numbered sources and thumbs up/down.

The transcript lives in `st.session_state["chat"]` (kept across reruns and page switches) and
every answered question is saved in one go (Store.record_exchange): the conversation, both
messages, and the Answer artifact that the rating attaches to. A question the coach refuses
(empty, too long) goes back into the chat box as it was typed, with the reason; a question
that fails on the model's side is kept, with a button to ask it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.errors import CoachError, InputError
from assistant.grounding import CAUTION_BELOW
from assistant.schemas import PERSONA_LABELS, Answer, AnswerRequest, Turn
from assistant.ui import rehearsal_view
from assistant.ui.resources import services
from assistant.ui.safe_text import plain, safe_markdown, urls_in
from assistant.ui.voice import share_offer
from assistant.ui.widgets import (
    attempt,
    download,
    render_citations,
    render_provenance,
    save_quietly,
    show_error,
    slug,
    waiting_text,
)

LOG = logging.getLogger(__name__)
SUGGESTIONS: dict[str, list[str]] = {
    "mentor": [
        "How do I prepare for my first session with a senior leader?",
        "How can I give upward feedback without sounding rude?",
        "My mentee seems defensive about new tools. What can I do?",
    ],
    "mentee": [
        "How do I get the most out of being mentored by a junior colleague?",
        "How should I react when my mentor's feedback stings?",
        "What business experience should I share in return?",
    ],
    "lead": [
        "How do we design a reverse mentoring program from scratch?",
        "How should we pair mentors and mentees?",
        "How can we measure whether the program works?",
    ],
}


INPUT = "coach_input"  # the chat box
MODES = ("Ask", "Rehearse")


def _chat() -> dict[str, Any]:
    """conversation_id, messages, failed (a question the model did not answer), pending (the
    AnswerRequest to answer on this run), refused (why the last one sent was not accepted),
    unanswered (the question saved to History whose reply is not saved yet)."""
    return st.session_state.setdefault(
        "chat", {"conversation_id": None, "messages": [], "failed": None, "pending": None}
    )


def _new_conversation() -> None:
    st.session_state["chat"] = {
        "conversation_id": None,
        "messages": [],
        "failed": None,
        "pending": None,
    }


def _submit(question: str) -> None:
    """A question sent by the chat box, a suggestion or "Ask it again" (a callback, run before
    the page): it becomes the request answered on this run, or, if refused, goes back into
    the chat box exactly as it was sent."""
    chat = _chat()
    history = [Turn(role=m["role"], content=m["content"]) for m in chat["messages"]]
    try:
        chat["pending"] = AnswerRequest.from_input(
            question=question,
            persona=st.session_state.get("coach_persona") or "mentee",
            history=history,
        )
        chat["refused"] = None
    except InputError as err:
        chat["pending"], chat["refused"] = None, err
        st.session_state[INPUT] = question


def _stop_answer() -> None:
    chat = _chat()
    chat["failed"] = chat.get("asking")


def _typed() -> None:
    _submit(str(st.session_state.get(INPUT) or ""))


# How the coach handled a question it did not answer from the knowledge base (assistant.scope).
OUTCOME_LABELS = {
    "refused": (":material/block:", "Refused: harmful, or an attempt to change the coach's rules."),
    "redirected": (":material/alt_route:", "Redirected: off-topic for a reverse-mentoring coach."),
    "declined": (
        ":material/search_off:",
        "Declined: the knowledge base does not cover this, so the coach does not guess.",
    ),
    "rehearsal": (":material/theater_comedy:", "Pointed to the rehearsal mode."),
}


def _rate(artifact_id: int, key: str) -> None:
    value = st.session_state.get(key)
    if value is None:
        return
    try:
        services().store.rate(artifact_id, 1 if value == 1 else -1)
    except CoachError as err:
        st.toast(f"Your rating was not saved: {err}", icon=":material/error:")
        return
    for message in _chat()["messages"]:
        if message.get("artifact_id") == artifact_id:
            message["rating"] = 1 if value == 1 else -1
    st.toast("Thanks, your rating was saved.", icon=":material/thumb_up:")


def _render_answer_extras(message: dict[str, Any]) -> None:
    answer = Answer.model_validate(message["answer"])
    if answer.outcome in OUTCOME_LABELS:
        icon, label = OUTCOME_LABELS[answer.outcome]
        if any(note.startswith("Possible crisis") for note in answer.notes):
            icon, label = ":material/support:", "Someone may need help now: where to find it."
        st.caption(f"{icon} {label}")
        persona = rehearsal_view.pointed_persona(answer.answer)
        if answer.outcome == "rehearsal" and persona:
            st.button(
                "Open the rehearsal mode",
                key=f"coach_to_rehearsal_{message.get('artifact_id')}_{id(message)}",
                on_click=rehearsal_view.open_from_chat,
                args=(persona,),
                icon=":material/theater_comedy:",
            )
    elif answer.relevance == "none":
        st.info(
            "The knowledge base does not seem to cover this question, so there is little "
            "to ground an answer in. Try rephrasing, or add a document on the Knowledge page.",
            icon=":material/search_off:",
        )
    elif answer.relevance == "weak":
        st.caption("Only weak matches in the knowledge base: check the sources below.")
    if answer.support is not None and answer.support < CAUTION_BELOW:
        st.warning(
            "Much of this answer is not backed by the sources below: read it as the "
            "model's own view and check the sources.",
            icon=":material/fact_check:",
        )
    render_citations(answer.citations)
    render_provenance(answer)
    artifact_id = message.get("artifact_id")
    if artifact_id is not None:
        key = f"rate_{artifact_id}"
        rating = message.get("rating")
        st.feedback(
            "thumbs",
            key=key,
            on_change=_rate,
            args=(artifact_id, key),
            default=None if rating is None else (1 if rating > 0 else 0),
        )
        if rating == -1:
            share_offer(artifact_id)


def _source_urls(message: dict[str, Any]) -> set[str]:
    cited = (message.get("answer") or {}).get("citations") or []
    return urls_in(c.get("text", "") for c in cited)


def _render_transcript(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(plain(message["content"]))
            else:
                st.markdown(safe_markdown(message["content"], _source_urls(message)))
            if message["role"] == "assistant" and message.get("answer"):
                _render_answer_extras(message)


def _waiting_text() -> str:
    return waiting_text("Thinking…")


def _clear_on_first(chunks: Iterable[str], notice: DeltaGenerator) -> Iterator[str]:
    shown = False
    for chunk in chunks:
        if not shown:
            notice.empty()
            shown = True
        yield chunk
    notice.empty()


def _link_new(svc: Any, chat: dict[str, Any], conversation_id: int) -> None:
    if chat["conversation_id"] is None and chat.get("pair_id"):
        # A new conversation started for a pair shows on that pair's timeline.
        svc.pairs.link_conversation(int(chat["pair_id"]), conversation_id)
    chat["conversation_id"] = conversation_id


def _keep_question(svc: Any, chat: dict[str, Any], request: AnswerRequest) -> None:
    """The question on its own, when its reply did not come (the model failed, or the user
    left or reran the page mid-answer, which stops this run): History keeps it, unanswered.
    It touches no page state (`svc` and `chat` were taken before the answer started): in a
    stopped run, any read of the session raises again. Quiet on failure."""
    if chat.get("unanswered") == request.question:  # "Ask it again": already kept
        return
    try:
        conversation_id = svc.store.record_question(
            conversation_id=chat["conversation_id"],
            persona=request.persona,
            question=request.question,
        )
        _link_new(svc, chat, conversation_id)
        chat["unanswered"] = request.question
    except CoachError as err:
        LOG.warning("an unanswered question was not kept in History: %s", err)


def _save(svc: Any, chat: dict[str, Any], request: AnswerRequest, answer: Answer) -> int:
    """The question with its reply, in one transaction; or, when the question was kept
    before (a failed first try), the reply added to it."""
    if chat.get("unanswered") == request.question and chat["conversation_id"] is not None:
        artifact_id = svc.store.record_reply(
            conversation_id=chat["conversation_id"], question=request.question, answer=answer
        )
    else:
        exchange = svc.store.record_exchange(
            conversation_id=chat["conversation_id"],
            persona=request.persona,
            question=request.question,
            answer=answer,
        )
        _link_new(svc, chat, exchange.conversation_id)
        artifact_id = exchange.artifact_id
    chat["unanswered"] = None
    return artifact_id


def _ask(request: AnswerRequest) -> None:
    chat, svc = _chat(), services()
    with st.chat_message("user"):
        st.markdown(plain(request.question))
    # Any click starts the page's next run and stops this one (its stream ends at once); the
    # callback, run first in the next run, offers the question again there.
    chat["asking"] = request.question
    stop = st.empty()
    stop.button(
        "Stop the answer", key="coach_stop", on_click=_stop_answer, icon=":material/stop_circle:"
    )
    with st.chat_message("assistant"):
        reading = st.empty()
        notice = st.empty()
        notice.caption(_waiting_text())
        try:
            stream = svc.coach.stream_answer(request)
            if stream.sources:  # known before the first token: shown while the answer comes
                titles = " · ".join(f"[{n}] {plain(title)}" for n, title in stream.sources)
                reading.caption(f"Reading: {titles}")
            st.write_stream(_clear_on_first(stream, notice))
            reading.empty()
            answer: Answer = stream.result
        except CoachError as err:  # incl. StreamInterrupted: the partial text stays above
            _keep_question(svc, chat, request)
            stop.empty()
            notice.empty()
            show_error(err)
            chat["failed"] = request.question
            return
        except BaseException:  # Streamlit stopping this run: Stop, or the user left or reran
            _keep_question(svc, chat, request)
            chat["failed"] = request.question  # offered again ("Ask it again") on the next run
            raise
    stop.empty()
    artifact_id = save_quietly(lambda: _save(svc, chat, request, answer))
    chat["messages"] += [
        {"role": "user", "content": request.question},
        {
            "role": "assistant",
            "content": answer.answer,
            "answer": answer.model_dump(mode="json"),
            "artifact_id": artifact_id,
            "rating": None,
        },
    ]
    chat["failed"] = None
    st.rerun()


def _conversation_download(conversation_id: int) -> None:
    from assistant.export import conversation_sources, conversation_to_markdown
    from assistant.text import shorten_title

    store = services().store
    messages = store.get_messages(conversation_id)
    title = shorten_title(next((m.content for m in messages if m.role == "user"), ""), 80)
    title = title or "Conversation"
    download(
        "Download conversation",
        conversation_to_markdown(title, messages, conversation_sources(store, messages)),
        f"conversation-{slug(title)}.md",
        "text/markdown",
        key="coach_download",
        audit_as=f"conversation #{conversation_id}",
    )


def _member_pairs() -> list[Any]:
    """Open pairs the user belongs to (a lead also sees other pairs' records, not their
    content, so a conversation cannot be filed there)."""
    store, mine = services().pairs, []
    for pair in store.list_pairs():
        try:
            if pair.status != "closed" and store.require_member(pair.id):
                mine.append(pair)
        except CoachError:
            continue
    return mine


def _pair_choice(chat: dict[str, Any]) -> None:
    """Optionally file the conversation under a pair (chosen before its first question)."""
    pairs = attempt(_member_pairs)
    if not pairs:
        return
    labels = {p.id: f"#{p.id} {p.label}" for p in pairs}
    if chat["conversation_id"] is not None:
        if chat.get("pair_id") in labels:
            st.caption(f"Filed under the pair {labels[chat['pair_id']]}.")
        return
    chat["pair_id"] = st.selectbox(
        "For a pair (optional)",
        [None, *labels],
        format_func=lambda i: "No pair" if i is None else labels[i],
        key="coach_pair",
        help="The conversation then shows on the pair's timeline on the Pairs page.",
    )


def render() -> None:
    chat = _chat()
    st.title("Coach")
    mode = st.radio(
        "Mode",
        MODES,
        horizontal=True,
        key="coach_mode",
        label_visibility="collapsed",
        captions=("grounded answers with sources", "practise a hard conversation"),
    )
    if mode == "Rehearse":
        rehearsal_view.render()
        return
    st.caption("Ask about reverse mentoring. Answers come from the knowledge base, with sources.")
    persona = st.radio(
        "I am a…",
        list(PERSONA_LABELS),
        format_func=PERSONA_LABELS.__getitem__,
        horizontal=True,
        key="coach_persona",
        persist_state="session",
    )
    persona = persona or "mentee"
    _pair_choice(chat)
    if chat["messages"]:
        left, right = st.columns([1, 1])
        with left:
            st.button(
                "New conversation",
                key="coach_new",
                on_click=_new_conversation,
                icon=":material/add_comment:",
            )
        if chat["conversation_id"] is not None:
            with right:
                try:
                    _conversation_download(chat["conversation_id"])
                except CoachError as err:
                    show_error(err)

    _render_transcript(chat["messages"])

    pending = chat.pop("pending", None)
    if not chat["messages"] and not pending and not chat.get("failed"):
        st.markdown("**Not sure where to start? Try one of these:**")
        for i, suggestion in enumerate(SUGGESTIONS.get(persona, SUGGESTIONS["mentee"])):
            st.button(
                suggestion,
                key=f"coach_suggestion_{i}",
                on_click=_submit,
                args=(suggestion,),
                icon=":material/lightbulb:",
            )

    if chat.get("failed") and not pending:
        st.info(f"Your question was kept: “{chat['failed']}”", icon=":material/history:")
        st.button(
            "Ask it again",
            key="coach_retry",
            on_click=_submit,
            args=(chat["failed"],),
            icon=":material/replay:",
        )

    refused = chat.pop("refused", None)
    if refused is not None:
        show_error(refused)
    st.chat_input("Ask the coach about reverse mentoring…", key=INPUT, on_submit=_typed)
    if pending is not None:
        _ask(pending)
