"""Users' voice: thumbs ratings over time for leads, and the user's choice to share a 👎 item.

Leads see counts for everything and the text only of items their users chose to share (after
a preview of the redacted text). The logic lives in `assistant.sharing`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from assistant import sharing
from assistant.errors import CoachError
from assistant.ui.resources import services
from assistant.ui.widgets import download, show_error

SHARED_SHOWN = 30


def share_offer(artifact_id: int) -> None:
    """Under an item its user rated 👎: offer to share it, showing exactly what would be sent."""
    store = services().store
    try:
        if store.is_shared(artifact_id):
            st.caption("Shared with the program team (redacted). Thank you.")
            return
        shown = sharing.preview(store, artifact_id)
    except CoachError as err:
        show_error(err)
        return
    with st.expander("Share this with the program team to improve the coach?"):
        st.caption(
            "Nothing is shared unless you press the button. The team would see exactly this "
            f"text: emails, phone numbers and web addresses are removed ({shown.redactions} "
            "found). Names are not detected: check the text before you share."
        )
        st.text(shown.text)
        if st.button("Share this text", key=f"share_{artifact_id}", icon=":material/send:"):
            try:
                sharing.share(store, artifact_id)
            except CoachError as err:
                show_error(err)
                return
            st.toast("Shared with the program team. Thank you.", icon=":material/send:")
            st.rerun()


def _series() -> None:
    rows = services().store.ratings_series()
    if not rows:
        return
    data = pd.DataFrame(
        [
            {
                "day": r["day"],
                "what": f"{r['kind']} · {r['model']}",
                "helpful": r["up"] / (r["up"] + r["down"]),
                "ratings": r["up"] + r["down"],
            }
            for r in rows
        ]
    )
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:O", title="Day rated"),
            y=alt.Y("helpful:Q", title="Share rated helpful", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("what:N", title="Kind · model"),
            tooltip=["day", "what", "ratings", alt.Tooltip("helpful:Q", format=".0%")],
        )
    )
    st.altair_chart(chart, width="stretch")


def _make_case(shared_id: int) -> None:
    note = st.session_state.get(f"case_note_{shared_id}", "")
    try:
        sharing.make_eval_case(services().store, shared_id, note)
    except CoachError as err:
        st.session_state["voice_error"] = err
        return
    st.toast(f"Eval case user-{shared_id} made.", icon=":material/playlist_add:")


def _shared_items() -> None:
    store = services().store
    counts = sharing.voice_summary(store)
    st.markdown(
        f"**{counts['thumbs_down']}** 👎 in all: **{counts['shared']}** shared by their users, "
        f"**{counts['not_shared']}** not shared (you see counts only). "
        f"{counts['cases']} turned into eval cases."
    )
    error = st.session_state.pop("voice_error", None)
    if error is not None:
        show_error(error)
    for item in store.list_shared(limit=SHARED_SHOWN):
        label = f"#{item['id']} · {item['kind']} · {item['model']} · {item['shared_at'][:10]}"
        if item["eval_case"]:
            label += " · eval case made"
        with st.expander(label):
            st.text(item["text"])
            if item["eval_case"]:
                st.json(item["eval_case"], expanded=False)
                continue
            st.text_input(
                "What should a good reply have done?",
                key=f"case_note_{item['id']}",
                placeholder="e.g. cite the guide on cancelled sessions",
            )
            st.button(
                "Make an eval case",
                key=f"make_case_{item['id']}",
                on_click=_make_case,
                args=(item["id"],),
                icon=":material/playlist_add:",
            )
    if counts["cases"]:
        download(
            "Eval cases from users (JSONL, chat suite format)",
            sharing.eval_cases_jsonl(store),
            "user-cases.jsonl",
            "application/jsonl",
            "voice_cases",
        )
        st.caption(
            "Cases are kept in the history database; add the downloaded lines to "
            "evals/datasets/chat.jsonl after review to score them in the next run."
        )


def users_voice() -> None:
    st.header("What users say")
    rows = services().store.ratings_summary()
    if not rows:
        st.info(
            "No thumbs ratings yet: users rate answers, agendas, starters and summaries "
            "with 👍 / 👎."
        )
        return
    up, total = sum(r["up"] for r in rows), sum(r["total"] for r in rows)
    st.markdown(f"**{up} of {total}** ratings say helpful ({100 * up / total:.0f}%).")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Kind": r["kind"],
                    "Model": r["model"],
                    "👍": r["up"],
                    "👎": r["down"],
                    "Ratings": r["total"],
                    "Helpful": f"{100 * r['up'] / r['total']:.0f}%" if r["total"] else "-",
                }
                for r in rows
            ]
        ),
        hide_index=True,
    )
    _series()
    _shared_items()
