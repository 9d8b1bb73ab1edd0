"""OWASP LLM05 in a real browser: markdown images and links typed by a user (or planted for a
later reader) never make Chromium fetch anything. A local HTTP server counts every request; the
pages that show user text (Coach transcript, History list and conversation, Starters heading)
are opened and the count must stay at zero."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.fixtures import free_port

pytestmark = pytest.mark.e2e


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        return


@pytest.fixture
def tracker() -> Iterator[tuple[str, list[str]]]:
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Counter.hits = []
    yield f"http://127.0.0.1:{port}", _Counter.hits
    server.shutdown()
    server.server_close()


def test_planted_images_and_links_in_user_text_are_never_fetched(page, app_server, tracker) -> None:  # noqa: ANN001
    base, hits = tracker
    # Control: the counter does see a fetch when the browser is asked for the URL directly.
    page.goto(f"{base}/control.png")
    page.wait_for_timeout(1000)  # the browser also asks this origin for /favicon.ico
    assert "/control.png" in hits
    hits.clear()

    question = (
        f"How do I prepare my first session? ![pixel]({base}/coach.png) "
        f"[click]({base}/link) <img src='{base}/html.png'>"
    )
    page.goto(app_server.url)
    page.get_by_role("heading", name="Coach").first.wait_for()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    user = page.get_by_test_id("stChatMessage").first
    user.get_by_text("![pixel]", exact=False).wait_for()  # shown as the characters typed
    page.get_by_test_id("stChatMessage").nth(1).get_by_text("[1]", exact=False).first.wait_for()
    # The exchange is saved when the answer has finished streaming; the download button comes
    # with the rerun after the save. Leaving the page before that would leave History empty.
    page.get_by_role("button", name="Download conversation").wait_for()
    assert page.locator("img[src*='127.0.0.1']").count() == 0

    topic = f"Using AI chatbots ![pixel]({base}/starters.png)"
    page.goto(f"{app_server.url}/starters")
    page.get_by_role("heading", name="Conversation starters").wait_for()
    page.get_by_label("Topic").fill(topic)
    page.get_by_role("button", name="Suggest starters").click()
    page.get_by_role("heading", name="Starters: Using AI chatbots", exact=False).wait_for()
    assert page.locator("img[src*='127.0.0.1']").count() == 0

    page.goto(f"{app_server.url}/history")
    page.get_by_role("heading", name="History").wait_for()
    page.get_by_text("![pixel]", exact=False).first.wait_for()  # the saved titles, as text
    # Only the visible ones: the History page keeps other tabs' expanders in the page, hidden.
    for expander in page.locator("[data-testid='stExpander']:visible").all()[:4]:
        expander.locator("summary").click()
    page.wait_for_timeout(2000)
    conversations = page.get_by_role("tab", name="Conversations", exact=False).first
    conversations.click()
    expect(conversations).to_have_attribute("aria-selected", "true")
    page.locator("p:visible").filter(has_text="![pixel]").first.wait_for()
    for expander in page.locator("[data-testid='stExpander']:visible").all()[:2]:
        expander.locator("summary").click()
    page.wait_for_timeout(2000)
    assert page.locator("img[src*='127.0.0.1']").count() == 0
    fetched = [h for h in hits if h != "/favicon.ico"]
    assert fetched == [], f"the browser fetched {fetched}"
