"""Shared test helpers, defined once: the coach's test environment, knowledge documents, the
app's page runner, and starting and stopping the servers some tests need.

Test modules import helpers from here (`from tests.fixtures import doc, page_app`); fixtures
reach them through conftest.py (tests/conftest.py for these, tests/unit/conftest.py for the
app's), so no test module imports another test module.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

KNOWLEDGE = PROJECT_ROOT / "knowledge"
# The assembled model weights (1 GB+) are shared, not rebuilt per test.
MODELS_DIR = PROJECT_ROOT / ".coach-data" / "models"
APP_TIMEOUT = 180  # seconds: the first AppTest run in a process loads the embedder and Chroma


def coach_env(data_dir: Path, knowledge: Path | None = None, **extra: str) -> dict[str, str]:
    """The coach's settings for a test: the scripted model, a private data folder (index and
    history inside it), a local Chroma store, and the shared model weights."""
    env = {
        "COACH_MODEL": "scripted",
        "COACH_DATA_DIR": str(data_dir),
        "COACH_MODELS_DIR": str(MODELS_DIR),
        "DATABASE_URL": f"sqlite:///{data_dir / 'coach.db'}",
        "COACH_COLLECTION": "coach_knowledge",
        "CHROMA_HOST": "",
    }
    if knowledge is not None:
        env["COACH_KNOWLEDGE_DIR"] = str(knowledge)
    return {**env, **extra}


def doc(
    title: str = "A doc",
    audience: str = "mentor",
    kind: str = "guide",
    topics: str = "[testing]",
    body: str | None = None,
    extra: str = "",
) -> str:
    body = (
        body
        if body is not None
        else (
            f"# {title}\n\nAn introduction that is long enough to be kept as a chunk.\n\n"
            "## First part\nThe first part explains how to prepare a session in detail.\n\n"
            "## Second part\nThe second part explains how to follow up after the session.\n"
        )
    )
    return (
        f"---\ntitle: {title}\naudience: {audience}\ntopics: {topics}\nkind: {kind}\n"
        f"summary: A short summary of {title}.\n{extra}---\n{body}"
    )


def make_settings(tmp: Path, knowledge: Path | None = None, **extra: str) -> Settings:
    return Settings.from_env(
        coach_env(tmp / "data", knowledge, **extra), secrets_file=tmp / "absent.toml"
    )


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "guides").mkdir(parents=True)
    (root / "guides" / "prepare.md").write_text(doc("Preparing sessions"), encoding="utf-8")
    (root / "guides" / "listen.md").write_text(
        doc("Listening well", audience="all", topics="[listening, feedback]"), encoding="utf-8"
    )
    (root / "guides" / "sponsor.md").write_text(
        doc("Executive sponsors", audience="lead", topics="[sponsorship]"), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="session")
def real_index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The project's real knowledge base, indexed once per test session into a temp dir."""
    from assistant.index import build_index

    tmp = tmp_path_factory.mktemp("real-index")
    settings = make_settings(tmp, knowledge=KNOWLEDGE)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def real_retriever(real_index_settings: Settings):  # noqa: ANN201
    from assistant.index import KnowledgeIndex
    from assistant.retrieval import Retriever

    return Retriever(KnowledgeIndex(real_index_settings))


def copy_kb(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a server a test starts."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process, timeout: float = 20) -> None:  # noqa: ANN001
    """Terminate a server a test started; kill it if it does not stop in time."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_ready(
    what: str,
    process: subprocess.Popen,
    ready: Callable[[], bool],
    seconds: float,
    log: Path | None = None,
) -> None:
    """Poll `ready()` until it is true; fail the test when the process exits first or the time
    runs out, with the end of its log."""
    tail = (lambda: "\n" + log.read_text(errors="replace")[-3000:]) if log else (lambda: "")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited before it was ready:{tail()}")
        if ready():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} was not ready within {seconds:.0f} s:{tail()}")


def answers_http(url: str) -> Callable[[], bool]:
    """A readiness probe: GET url answers 200."""

    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    return probe


def accepts_connections(port: int) -> Callable[[], bool]:
    """A readiness probe: something listens on 127.0.0.1:port."""
    import socket

    def probe() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    return probe


# --- the app's pages under streamlit.testing (fixtures in tests/unit/conftest.py) ------------
def page_app(name: str):  # noqa: ANN201 - an AppTest
    """One page inside the app's frame (sidebar included), as the router would run it."""
    from streamlit.testing.v1 import AppTest

    script = (
        "from assistant.ui.shell import framed\n"
        f"from assistant.ui.pages import {name}\n"
        f"framed({name}.render)()\n"
    )
    return AppTest.from_string(script, default_timeout=APP_TIMEOUT)


def app_services():  # noqa: ANN201 - the app's own cached Services (same process as AppTest)
    from assistant.ui.resources import shared_services

    return shared_services()


def shown(at, *kinds: str) -> str:  # noqa: ANN001 - an AppTest or one of its blocks
    """Every text of the given element kinds, joined: what a user would read on the page."""
    kinds = kinds or (
        "title",
        "subheader",
        "markdown",
        "caption",
        "error",
        "warning",
        "info",
        "success",
        "code",
        "metric",
    )
    parts: list[str] = []
    for kind in kinds:
        for element in getattr(at, kind):
            parts.append(str(element.value))
    return "\n".join(parts)
