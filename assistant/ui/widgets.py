"""Small building blocks shared by the pages: errors, citations, downloads.

Model text and user text are shown with `st.markdown` (which escapes HTML), `st.text` or
`st.code`; nothing here passes `unsafe_allow_html`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

from assistant.errors import CoachError, InputError
from assistant.schemas import Citation, Provenance
from assistant.text import slug as text_slug
from assistant.ui.safe_text import plain, safe_markdown, urls_in

T = TypeVar("T")
LOG = logging.getLogger(__name__)
TICK_SECONDS = 0.5


def show_error(err: CoachError) -> None:
    """One line saying what went wrong and what to do (the hint is part of str(err))."""
    icon = ":material/edit:" if isinstance(err, InputError) else ":material/error:"
    st.error(str(err), icon=icon)


def attempt(action: Callable[[], T], *, spinner: str | None = None) -> T | None:
    """Run a coach call; on a user-facing error show it inline and return None."""
    try:
        if spinner:
            with st.spinner(spinner, show_time=True):
                return action()
        return action()
    except CoachError as err:
        show_error(err)
        return None


def save_quietly(action: Callable[[], T]) -> T | None:
    """Saving to history must never lose the result on screen: warn and carry on."""
    try:
        return action()
    except CoachError as err:
        st.warning(f"The result is shown but was not saved to history: {err}")
        return None


class Stopped(CoachError):
    """The user pressed Stop while the model was writing."""

    def __init__(self) -> None:
        super().__init__("Stopped: the model stopped writing and nothing was saved.", None)


def _request_stop(key: str) -> None:
    """The Stop button's callback. It runs at the start of the page's next run, which
    Streamlit starts at once while the stopped run's thread is still generating; the event
    tells that thread to end the generation, and the notice is shown by the new run."""
    event = st.session_state.get(f"_{key}_event")
    if isinstance(event, threading.Event):
        event.set()
        st.session_state[f"_{key}_notice"] = True


def show_stop_notice(key: str) -> None:
    """After Stop: say so once, on the page's next run."""
    if st.session_state.pop(f"_{key}_notice", False):
        st.info(str(Stopped()), icon=":material/stop_circle:")


class LiveView:
    """A place on the page that shows a result while the model is still writing it, with a
    Stop button above it and a words-written counter.

    Stop ends the generation within a chunk of the model's output, and nothing is saved (the
    page's next run says so: call `show_stop_notice`). If the user leaves or reruns the page
    in any other way, Streamlit raises in the drawing call; the view then stops drawing and
    keeps that exception, and `generate_and_save` re-raises it once the result is saved, so
    the generation is never cut half-way by a redraw."""

    def __init__(self, stop_key: str) -> None:
        self.stop_key = stop_key
        self.event = threading.Event()
        st.session_state[f"_{stop_key}_event"] = self.event
        self.stop_slot = st.empty()
        self.stop_slot.button(
            "Stop writing",
            key=stop_key,
            on_click=_request_stop,
            args=(stop_key,),
            icon=":material/stop_circle:",
            help="Nothing is saved.",
        )
        self.counter = st.empty()
        self.slot = st.empty()
        self.stopped: BaseException | None = None
        self._ticked = 0.0

    def _check(self) -> None:
        if self.event.is_set():
            raise Stopped()  # out of the generation, which then ends

    def show(self, draw: Callable[[], None]) -> None:
        self._check()
        self._draw(self.slot, draw)

    def tick(self, text: str) -> None:
        """After each chunk: end the generation if Stop was pressed; update the words-written
        counter at most twice a second."""
        self._check()
        now = time.monotonic()
        if now - self._ticked < TICK_SECONDS:
            return
        self._ticked = now
        words = len(text.split())
        said = f"{words} word" + ("" if words == 1 else "s")
        self._draw(self.counter, lambda: st.caption(f"The model has written {said}…"))

    def _draw(self, slot: Any, draw: Callable[[], None]) -> None:
        if self.stopped is not None:
            return
        try:
            with slot.container():
                draw()
        except BaseException as exc:  # noqa: BLE001 (Streamlit's stop/rerun; re-raised later)
            self.stopped = exc

    def clear(self) -> None:
        self.stop_slot.empty()
        self.counter.empty()
        self.slot.empty()


def waiting_text(doing: str) -> str:
    """`doing`, preceded by the model's queue when other requests are ahead of this one, so
    a second user sees their place instead of a frozen page."""
    from assistant.ui.resources import services

    try:
        status = services().model.status()
    except CoachError:
        return doing
    if status.state in ("loading", "not_loaded"):
        return f"Loading the model (first use can take a while), then: {doing}"
    if status.state == "busy" or status.queue:
        ahead = max(status.queue, 1)
        return f"Waiting in queue: {ahead} request(s) ahead of yours, then: {doing}"
    return doing


def generate_and_save(
    generate: Callable[[], T],
    save: Callable[[T], int | None],
    *,
    spinner: str,
    live: LiveView | None = None,
) -> tuple[T, int | None] | None:
    """Make a result with the model and save it to History as one step, before any other page
    call: a user who leaves while the model writes stops this run at its next page call (any
    read of the session raises then), and by that time the result is saved. So `generate` and
    `save` must use only objects taken from the session beforehand (e.g. `svc = services()`).
    Returns (result, saved id or None), or None after showing a model error."""

    def both() -> tuple[T, int | None, CoachError | None]:
        result = generate()
        try:
            return result, save(result), None
        except CoachError as err:  # the result stays on screen; History misses it
            return result, None, err

    done = attempt(both, spinner=waiting_text(spinner))
    if live is not None and live.stopped is not None:
        raise live.stopped  # the user left or reran the page: the result is saved, stop here
    if done is None:  # the error (or "Stopped") was shown
        return None
    result, saved, error = done
    if error is not None:
        st.warning(f"The result is shown but was not saved to history: {error}")
    return result, saved


def citation_label(citation: Citation) -> str:
    heading = f" — {plain(citation.heading)}" if citation.heading else ""
    return f"[{citation.n}] {plain(citation.title)}{heading}"


def render_citations(citations: Sequence[Citation], *, heading: str = "Sources") -> None:
    """Numbered sources that expand to the passage and the file it came from."""
    if not citations:
        return
    st.caption(heading)
    for citation in citations:
        with st.expander(citation_label(citation), icon=":material/menu_book:"):
            st.caption(f"File: knowledge/{citation.source}")
            if citation.text:
                st.markdown(safe_markdown(citation.text, urls_in([citation.text])))
            else:
                st.caption("(The passage text was not stored with this result.)")


def render_provenance(artifact: Provenance) -> None:
    made_by = " / ".join(p for p in (artifact.backend, artifact.model) if p)
    parts = [
        f"Made by {made_by}" if made_by else "",
        f"in {artifact.seconds:.1f} s",
        f"prompt {artifact.prompt_version}" if artifact.prompt_version else "",
    ]
    st.caption(" · ".join(p for p in parts if p))
    for note in artifact.notes:  # a note may quote the user's own lines: shown as text
        st.caption(f"Note: {plain(note)}")


def slug(text: str, fallback: str = "coach") -> str:
    return text_slug(text, fallback)


def _audit_download(target: str, file_name: str) -> None:
    """The audit log's "export" entry for a download from the app: who, what, when. A failure
    to record it is logged and never blocks the file (the browser already has it)."""
    from assistant import audit
    from assistant.ui.resources import services

    try:
        services().store.audit(audit.EXPORT, target, file=file_name, via="app")
    except CoachError as err:
        LOG.warning("the download of %s was not recorded in the audit log: %s", file_name, err)


def download(
    label: str,
    data: str | bytes,
    file_name: str,
    mime: str,
    key: str,
    *,
    audit_as: str | None = "",
) -> None:
    """A download button. Every download is an export in the audit log, named by `audit_as`
    (e.g. "pair #3 timeline"; by default the file name); `audit_as=None` only where the export
    was already recorded when it was prepared. Recording reruns the page once, as any button
    does; what the page shows is kept in session state, so nothing is made again."""
    st.download_button(
        label,
        data=data,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore" if audit_as is None else _audit_download,
        args=None if audit_as is None else (audit_as or file_name, file_name),
        icon=":material/download:",
    )


def lines(text: str) -> list[str]:
    """Non-empty lines of a text area, e.g. one goal per line."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
