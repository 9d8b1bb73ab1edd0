"""What a new user meets in the browser: page addresses, and a refused question kept in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

Shot = Callable[[object, str], Path]


def _page_has_run(page) -> None:  # noqa: ANN001
    # The sidebar's index state is drawn after the page: once it shows, the page has run.
    page.get_by_text("chunks indexed", exact=False).wait_for()


def test_the_coach_address_opens_the_coach_page(page, app_server, screenshot: Shot) -> None:  # noqa: ANN001
    page.goto(f"{app_server.url}/coach")
    page.get_by_role("heading", name="Coach").first.wait_for()
    page.get_by_test_id("stChatInputTextArea").wait_for()
    _page_has_run(page)
    screenshot(page, "e2e-address-coach")
    assert page.get_by_text("Page not found", exact=False).count() == 0
    assert page.url.rstrip("/").endswith("/coach")


def test_the_root_address_opens_coach_and_the_sidebar_links_to_it(page, app_server) -> None:  # noqa: ANN001
    page.goto(app_server.url)
    page.get_by_role("heading", name="Coach").first.wait_for()
    _page_has_run(page)
    assert page.get_by_text("Page not found", exact=False).count() == 0
    page.wait_for_url("**/coach")

    nav = page.get_by_test_id("stSidebarNav")
    nav.locator('a[href$="/agenda"]').click()
    page.get_by_role("heading", name="Agenda builder").wait_for()
    nav.locator('a[href$="/coach"]').click()
    page.get_by_role("heading", name="Coach").first.wait_for()
    page.wait_for_url("**/coach")


def test_a_question_over_the_limit_stays_in_the_chat_box(
    page, app_server, screenshot: Shot
) -> None:  # noqa: ANN001
    question = ("How do I prepare for my first session with a senior leader? " * 1_000)[:60_000]
    page.goto(f"{app_server.url}/coach")
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.get_by_text("The question is 60,000 characters long.", exact=False).wait_for()
    page.wait_for_function(
        "n => document.querySelector('[data-testid=stChatInputTextArea]').value.length === n",
        arg=len(question),
    )
    screenshot(page, "e2e-coach-question-too-long")
    assert box.input_value() == question
    assert page.get_by_test_id("stChatMessage").count() == 0

    box.fill(question[:120])  # the user shortens it where it is, and sends it again
    box.press("Enter")
    page.get_by_test_id("stChatMessage").nth(1).get_by_text("[1]", exact=False).first.wait_for()
    page.get_by_test_id("stFeedback").first.wait_for()  # the answer is saved and shown
    page.get_by_test_id("stAlertContentError").wait_for(state="detached")
    assert box.input_value() == ""
