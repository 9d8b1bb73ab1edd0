"""Shared test helpers for the knowledge, index and retrieval tests.

Import fixtures from here explicitly (`from tests.fixtures import real_index`) so each test
module says what it depends on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

KNOWLEDGE = PROJECT_ROOT / "knowledge"


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
    env = {
        "COACH_DATA_DIR": str(tmp / "data"),
        "COACH_MODEL": "scripted",
        # The assembled model weights (1 GB+) are shared, not rebuilt per test.
        "COACH_MODELS_DIR": str(PROJECT_ROOT / ".coach-data" / "models"),
        **extra,
    }
    if knowledge is not None:
        env["COACH_KNOWLEDGE_DIR"] = str(knowledge)
    return Settings.from_env(env, secrets_file=tmp / "absent.toml")


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
