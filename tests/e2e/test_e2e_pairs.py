"""A pair in a real browser: create it, summarise two sessions, tick an action off, prepare the
next session, and find session 2's open action items in the agenda's review item.

The app runs in its own `streamlit run` with the scripted model, whose first replies are the
two sessions' summaries (COACH_SCRIPTED_REPLIES); the agenda's wording then comes from the
scripted model's schema examples. The index is a copy of the shared e2e server's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from tests.e2e.conftest import AppServer, download_file, launch_app
from tests.fixtures import stop_process

pytestmark = pytest.mark.e2e
Shot = Callable[[object, str], Path]

SUMMARIES = [
    {
        "summary": "[MENTEE] summarised a public annual report with the assistant.",
        "action_items": [
            {"owner": "mentor", "action": "Send a one-page guide to the approved assistant"},
            {"owner": "mentee", "action": "Try the assistant on one public document"},
        ],
        "senior_learned": ["[MENTEE] learned to ask the assistant for a summary"],
        "junior_learned": ["[MENTOR] learned that the forecast is locked before the board"],
        "next_focus": "a real internal report and the data rules",
    },
    {
        "summary": "[MENTEE] found a wrong figure and checked it against the source.",
        "action_items": [
            {"owner": "mentee", "action": "Summarise the budget pack and check every figure"},
            {"owner": "mentor", "action": "Draft a capital spending request for comments"},
        ],
        "senior_learned": ["[MENTEE] learned to ask for page references"],
        "junior_learned": ["[MENTOR] learned that payback period matters to the board"],
        "next_focus": "prompts for budget commentary",
    },
]
NOTES = [
    "Aisha Khan showed Martin Webb how to summarise a public annual report.\n"
    "Aisha will send a one-page guide to the approved assistant.\n"
    "Martin will try the assistant on one public document.",
    "Martin Webb found a wrong figure and checked it against the source with Aisha Khan.\n"
    "Martin will summarise the budget pack and check every figure.\n"
    "Aisha will draft a capital spending request for comments.",
]


@pytest.fixture(scope="module")
def pairs_server(
    app_server: AppServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    root = tmp_path_factory.mktemp("e2e-pairs")
    shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    shutil.copytree(app_server.data_dir / "chroma", root / "data" / "chroma")
    replies = root / "replies.json"
    replies.write_text(json.dumps(SUMMARIES), encoding="utf-8")
    env = {
        **os.environ,
        "COACH_MODEL": "scripted",
        "COACH_SCRIPTED_REPLIES": str(replies),
        "COACH_DATA_DIR": str(root / "data"),
        "COACH_KNOWLEDGE_DIR": str(root / "knowledge"),
        "DATABASE_URL": f"sqlite:///{root / 'data' / 'coach.db'}",
        "CHROMA_HOST": "",
        "PYTHONUNBUFFERED": "1",
    }
    url, process = launch_app(env, root / "streamlit.log")
    try:
        yield AppServer(url=url, data_dir=root / "data")
    finally:
        stop_process(process)


def _summarise(page, url: str, notes: str, session: int, screenshot: Shot) -> None:  # noqa: ANN001
    page.goto(f"{url}/pairs")
    try:
        page.get_by_text(f"Next: session {session} of 6", exact=False).wait_for()
    finally:
        screenshot(page, f"e2e-pairs-page-before-{session}")
    page.get_by_role("button", name="Summarise this session").click()
    page.get_by_role("heading", name="Feedback summary").wait_for()
    try:
        page.get_by_text(f"recorded as session {session} of the pair", exact=False).wait_for()
    finally:
        screenshot(page, f"e2e-pairs-feedback-{session}")
    page.get_by_label("Session notes").fill(notes)
    page.get_by_label("Session notes").press("Control+Enter")
    page.get_by_role("button", name="Summarise", exact=True).click()
    # Case-sensitive: the banner above says "will be recorded as session N of the pair".
    try:
        page.get_by_text(re.compile(f"Recorded as session {session} of the pair")).wait_for()
    finally:
        screenshot(page, f"e2e-pairs-summary-{session}")


def test_two_sessions_then_the_next_agenda_reviews_the_open_actions(
    page,  # noqa: ANN001
    pairs_server: AppServer,
    screenshot: Shot,
    tmp_path: Path,
) -> None:
    url = pairs_server.url
    page.goto(f"{url}/pairs")
    page.get_by_role("heading", name="Pairs").first.wait_for()
    page.get_by_text("Add a pair").click()
    page.get_by_label("Mentor (the junior)").fill("Aisha Khan")
    page.get_by_label("Mentee (the senior)").fill("Martin Webb")
    page.get_by_label("What the senior wants to learn (one per line)").fill(
        "use the approved AI assistant on real reports"
    )
    page.get_by_role("button", name="Create pair").click()
    page.get_by_text("Created the pair Aisha Khan & Martin Webb").wait_for()

    _summarise(page, url, NOTES[0], 1, screenshot)
    _summarise(page, url, NOTES[1], 2, screenshot)

    page.goto(f"{url}/pairs")
    page.get_by_text("Next: session 3 of 6", exact=False).wait_for()
    first = page.get_by_text("Send a one-page guide to the approved assistant", exact=False)
    first.click()  # its tick box: done
    page.get_by_text("Send a one-page guide", exact=False).wait_for(state="detached")
    screenshot(page, "e2e-pairs-page")

    page.get_by_role("button", name="Prepare next session").click()
    page.get_by_role("heading", name="Agenda builder").wait_for()
    page.get_by_text("Preparing session 3 of the pair", exact=False).wait_for()
    assert page.get_by_label("Topic").input_value() == "prompts for budget commentary"
    page.get_by_role("button", name="Build agenda").click()
    page.get_by_text("The plan adds up to", exact=False).wait_for()
    screenshot(page, "e2e-pairs-agenda")
    saved, _ = download_file(
        page, page.get_by_test_id("stDownloadButton").filter(has_text="Markdown"), tmp_path
    )
    text = saved.read_text(encoding="utf-8")
    review = next(line for line in text.splitlines() if "Review of open action items" in line)
    for action in (
        "Summarise the budget pack and check every figure (from session 2)",
        "Draft a capital spending request for comments (from session 2)",
        "Try the assistant on one public document (from session 1)",
    ):
        assert action in review
    assert "one-page guide" not in text  # done: not listed
    assert "**Session:** 3" in text
