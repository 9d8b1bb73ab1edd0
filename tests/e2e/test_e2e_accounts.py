"""Accounts in a real browser: a lead signs in, the sign-in survives a reload, and the lead
opens a pair's summary by its link (/history?item=ID) for a pair they are not in: refused, and
nothing of the summary anywhere in the page. A tampered cookie gets the sign-in page with the
reason, never a traceback.

The app runs in its own `streamlit run` against a history database filled through the real
store (accounts, three pairs, their summaries); the index is a copy of the shared e2e server's.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.store import Store
from tests.accounts_fixtures import EMAILS, PASSWORD, Program, build_program
from tests.e2e.conftest import AppServer, download_file, launch_app, settle
from tests.fixtures import stop_process

pytestmark = pytest.mark.e2e
Shot = Callable[[object, str], Path]
SUMMARY_MARKS = ("SUMMARY-own", "FOCUS-own", "ACTION-own", "LEARNED-own", "AGENDA-own")


@pytest.fixture(scope="module")
def accounts_server(
    app_server: AppServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AppServer, Program]]:
    root = tmp_path_factory.mktemp("e2e-accounts")
    shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    shutil.copytree(app_server.data_dir / "chroma", root / "data" / "chroma")
    database = f"sqlite:///{root / 'data' / 'coach.db'}"
    program = build_program(Store(database))
    env = {
        **os.environ,
        "COACH_MODEL": "scripted",
        "COACH_DATA_DIR": str(root / "data"),
        "COACH_KNOWLEDGE_DIR": str(root / "knowledge"),
        "DATABASE_URL": database,
        "CHROMA_HOST": "",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("COACH_USER", None)
    url, process = launch_app(env, root / "streamlit.log")
    try:
        yield AppServer(url=url, data_dir=root / "data"), program
    finally:
        stop_process(process)


def sign_in(page, url: str, email: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/history")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="History").wait_for()
    # The cookie is written by a script in the page, which may run just after the heading shows.
    deadline = time.monotonic() + 15
    while not [c for c in page.context.cookies() if c["name"] == "coach_session"]:
        assert time.monotonic() < deadline, "the sign-in cookie was never written"
        page.wait_for_timeout(100)


def test_a_lead_opening_another_pairs_summary_by_its_link_is_refused(
    page,  # noqa: ANN001
    accounts_server: tuple[AppServer, Program],
    screenshot: Shot,
) -> None:
    server, program = accounts_server
    url = server.url
    sign_in(page, url, EMAILS["lead"])
    page.get_by_text(f"Signed in as {EMAILS['lead']}", exact=False).wait_for()
    # The lead's own chat is there; the admin-only page is not in the menu.
    page.get_by_text("QUESTION-lead?", exact=False).first.wait_for()
    assert page.get_by_text("Accounts and audit log").count() == 0

    # A reload keeps the sign-in (the cookie), and a link to their own pair's summary opens.
    page.goto(f"{url}/history?item={program.summary_ids['leads']}")
    page.get_by_text("SUMMARY-leads went well", exact=False).first.wait_for()

    page.goto(f"{url}/history?item={program.summary_ids['own']}")
    try:
        page.get_by_text("not yours to open", exact=False).wait_for()
    finally:
        screenshot(page, "e2e-accounts-lead-refused")
    body = page.inner_text("body")
    assert not any(mark in body for mark in SUMMARY_MARKS), body
    assert "Traceback" not in body
    assert "History" in body  # the page itself is there, with the lead's own items only
    # After a reload the menu still leaves out what a lead may not open.
    assert page.get_by_text("Accounts and audit log").count() == 0


def test_a_tampered_cookie_gets_the_sign_in_page_with_the_reason(
    page,  # noqa: ANN001
    accounts_server: tuple[AppServer, Program],
) -> None:
    server, _ = accounts_server
    sign_in(page, server.url, EMAILS["mentor"])
    context = page.context
    [cookie] = [c for c in context.cookies() if c["name"] == "coach_session"]
    value = cookie["value"]
    cookie["value"] = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    context.clear_cookies()
    context.add_cookies([cookie])
    page.goto(f"{server.url}/history")
    page.get_by_text("could not be verified", exact=False).wait_for()
    body = page.inner_text("body")
    assert "Sign in" in body and "QUESTION-mentor" not in body and "Traceback" not in body


def test_a_download_from_history_is_an_export_in_the_audit_log(
    page,  # noqa: ANN001
    accounts_server: tuple[AppServer, Program],
    tmp_path: Path,
) -> None:
    from assistant import audit

    server, program = accounts_server
    sign_in(page, server.url, EMAILS["lead"])
    settle(page)
    item = page.locator("[data-testid='stExpander']:visible").first
    item.locator("summary").click()
    file, clicks = download_file(page, item.get_by_test_id("stDownloadButton").first, tmp_path)
    assert file.read_text(encoding="utf-8").strip()

    def exports() -> list[audit.AuditEntry]:
        with program.store._begin(write=False) as conn:  # noqa: SLF001 (the log itself)
            return audit.entries(conn, action=audit.EXPORT)

    page.wait_for_timeout(500)
    for _ in range(40):  # the click's callback runs on the server just after the file
        if exports():
            break
        page.wait_for_timeout(250)
    entries = exports()
    # one entry per click that reached the app (a click lost in a rerun may still have)
    assert 1 <= len(entries) <= clicks
    assert len({(e.actor, e.target, str(e.detail)) for e in entries}) == 1
    entry = entries[0]
    assert entry.actor == EMAILS["lead"]
    assert entry.detail == {"file": file.name, "via": "app"}
    kind, item_id = entry.target.split(" #")  # the newest item: the lead's saved answer
    assert kind == "answer" and file.name.startswith("answer-question-lead")
    stored = program.store.acting_as(program.actors["lead"]).get_artifact(int(item_id))
    assert stored is not None and stored.title == "QUESTION-lead?"
