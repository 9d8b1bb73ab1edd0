"""CHROMA_HOST/CHROMA_PORT switch the index to a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.index import IndexUnavailable, KnowledgeIndex, build_index
from assistant.retrieval import Retriever
from tests.fixtures import (
    accepts_connections,
    free_port,
    make_settings,
    stop_process,
    wait_until_ready,
)

CHROMA = Path(sys.executable).parent / "chroma"
pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready("chroma run", proc, accepts_connections(port), 60)
        yield port
    finally:
        stop_process(proc)


def test_index_and_search_through_a_chroma_server(
    chroma_server: int, tiny_kb: Path, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path, knowledge=tiny_kb, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_server)
    )
    assert settings.uses_chroma_server
    first = build_index(settings)
    assert first.added == 9
    assert build_index(settings).embedded == 0  # the server kept what was synced
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the local store
    result = Retriever(KnowledgeIndex(settings)).search("executive sponsors", k=3)
    assert result.passages[0].source == "guides/sponsor.md"


def test_unreachable_server_gets_a_clear_message(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(free_port()))
    with pytest.raises(IndexUnavailable) as err:
        KnowledgeIndex(settings)
    assert "Chroma server at 127.0.0.1" in str(err.value)
    assert "CHROMA_HOST" in str(err.value)
