"""`coach search` tells a strong match from no match in the same words as the Knowledge page."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.retrieval import RELEVANCE_VERDICTS


@pytest.fixture
def search_env(
    real_index_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(real_index_settings.data_dir))
    monkeypatch.setenv("COACH_KNOWLEDGE_DIR", str(real_index_settings.knowledge_dir))
    monkeypatch.setenv("COACH_MODEL", "scripted")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    monkeypatch.setenv("CHROMA_HOST", "")


@pytest.mark.usefixtures("search_env")
@pytest.mark.parametrize(
    ("query", "relevance"),
    [
        ("how do I run a first reverse mentoring session", "strong"),
        ("best sourdough bread recipe with rye flour", "none"),
    ],
)
def test_search_prints_the_shared_relevance_verdict(
    query: str, relevance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", query, "--k", "3"]) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("3 results in ")
    assert first_line.endswith(RELEVANCE_VERDICTS[relevance])  # type: ignore[index]
