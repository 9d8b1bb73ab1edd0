"""Two app instances, one history and one index: two `streamlit run` processes, each with its
own data and knowledge folders, share one real PostgreSQL database (DATABASE_URL) and one real
`chroma run` server (CHROMA_HOST). What one user does in one instance, another user finds in
the other, in headless Chromium: a pair created on the Pairs page, and a document uploaded on
the Knowledge page and then found by its search.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import launch_app
from tests.fixtures import (
    accepts_connections,
    coach_env,
    doc,
    free_port,
    stop_process,
    wait_until_ready,
)
from tests.postgres import PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.server]
BIN = Path(sys.executable).parent
DOCUMENTS = {
    "prepare.md": doc("Preparing sessions"),
    "listen.md": doc("Listening well", audience="all", topics="[listening, feedback]"),
    "sponsor.md": doc("Executive sponsors", audience="lead", topics="[sponsorship]"),
}
UPLOAD = doc(
    "Airships",
    audience="all",
    topics="[venues]",
    body=(
        "# Airships\n\nHold one session in the zeppelin hangar: a change of place helps a "
        "senior mentee try something new, and the hangar is quiet enough to talk.\n"
    ),
)


@dataclass
class Instances:
    first: str  # each app's URL
    second: str
    database_url: str


@pytest.fixture(scope="module")
def instances(
    browser: Any, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Instances]:
    root = tmp_path_factory.mktemp("multi-instance")
    chroma_port = free_port()
    chroma = subprocess.Popen(
        [
            str(BIN / "chroma"),
            "run",
            "--path",
            str(root / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(chroma_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database_url = postgres_server.new_database()
    apps: list[subprocess.Popen] = []
    try:
        wait_until_ready("chroma run", chroma, accepts_connections(chroma_port), 60)
        envs = []
        for name in ("one", "two"):
            knowledge = root / name / "knowledge"
            knowledge.mkdir(parents=True)
            for file, text in DOCUMENTS.items():
                (knowledge / file).write_text(text, encoding="utf-8")
            shared = {
                "DATABASE_URL": database_url,
                "CHROMA_HOST": "127.0.0.1",
                "CHROMA_PORT": str(chroma_port),
                "COACH_COLLECTION": "shared_kb",
            }
            env = {
                **os.environ,
                **coach_env(root / name / "data", knowledge, **shared),
                "PYTHONUNBUFFERED": "1",
            }
            envs.append(env)
        # The operator indexes the knowledge once, into the shared Chroma server.
        subprocess.run(
            [str(BIN / "coach"), "index"], env=envs[0], check=True, capture_output=True, timeout=600
        )
        urls = []
        for name, env in zip(("one", "two"), envs, strict=True):
            url, process = launch_app(env, root / name / "streamlit.log")
            apps.append(process)
            urls.append(url)
        yield Instances(first=urls[0], second=urls[1], database_url=database_url)
    finally:
        for process in apps:
            stop_process(process)
        stop_process(chroma)
        postgres_server.drop_database(database_url)


@pytest.fixture
def two_pages(browser: Any, instances: Instances) -> Iterator[tuple[Any, Any]]:
    """One browser context per instance: two users, no shared cookies or session."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 2000}) for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.set_default_timeout(90_000)
    yield pages[0], pages[1]
    for context in contexts:
        context.close()


def test_a_pair_created_in_one_instance_is_found_in_the_other(
    instances: Instances,
    two_pages: tuple[Any, Any],
    screenshot,  # noqa: ANN001
) -> None:
    first, second = two_pages
    first.goto(f"{instances.first}/pairs")
    first.get_by_role("heading", name="Pairs").first.wait_for()
    first.get_by_text("Add a pair").click()
    first.get_by_label("Mentor (the junior)").fill("Aisha Khan")
    first.get_by_label("Mentee (the senior)").fill("Martin Webb")
    first.get_by_label("What the senior wants to learn (one per line)").fill(
        "use the approved AI assistant on real reports"
    )
    first.get_by_role("button", name="Create pair").click()
    first.get_by_text("Created the pair Aisha Khan & Martin Webb").wait_for()

    second.goto(f"{instances.second}/pairs")
    second.get_by_role("heading", name="Pairs").first.wait_for()
    try:
        second.get_by_text(
            "Senior learns: use the approved AI assistant on real reports"
        ).wait_for()
        # The pair picker shows the chosen pair as its value (an input, not text on the page).
        chosen = second.get_by_label("Pair", exact=True).evaluate(
            "el => el.value || el.innerText || el.getAttribute('aria-label')"
        )
    finally:
        screenshot(second, "e2e-multi-instance-pair-in-second")
    assert "Aisha Khan & Martin Webb" in chosen, chosen
    assert "No pairs yet" not in second.inner_text("body")


def _search(page: Any, url: str, query: str) -> str:
    """A fresh visit to the Knowledge page's search; the page text once the results show."""
    page.goto(f"{url}/knowledge")
    page.get_by_text("chunks indexed", exact=False).wait_for()
    page.get_by_role("tab", name="Search").click()
    page.get_by_label("Search the knowledge base").fill(query)
    page.get_by_role("button", name="Search").click()
    page.get_by_text("passage(s) for", exact=False).first.wait_for()
    return page.inner_text("body")


def test_a_document_uploaded_in_one_instance_is_found_by_search_in_the_other(
    instances: Instances,
    two_pages: tuple[Any, Any],
    screenshot,  # noqa: ANN001
) -> None:
    first, second = two_pages
    # Before the upload the other instance does not know the document.
    assert "Airships" not in _search(second, instances.second, "zeppelin hangar")

    first.goto(f"{instances.first}/knowledge")
    first.get_by_text("chunks indexed", exact=False).wait_for()
    first.get_by_role("tab", name="Upload").click()
    first.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "airships.md", "mimeType": "text/markdown", "buffer": UPLOAD.encode()}]
    )
    first.get_by_test_id("stFileUploader").get_by_text("airships.md").wait_for()
    first.get_by_role("button", name="Validate and add").click()
    try:
        first.get_by_text("Added “Airships” as knowledge/uploads/airships.md.").first.wait_for()
    finally:
        screenshot(first, "e2e-multi-instance-upload-in-first")

    # The other instance may keep its last reading of the index for a moment (STATE_MAX_AGE).
    deadline = time.monotonic() + 30
    found = ""
    while time.monotonic() < deadline:
        found = _search(second, instances.second, "zeppelin hangar")
        if "1. Airships" in found:
            break
        time.sleep(1)
    screenshot(second, "e2e-multi-instance-search-in-second")
    assert "1. Airships" in found, found[-1500:]
