"""What happens to the index over time: another embedding model, BM25 kept on disk per
revision, question keys from the front matter."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from assistant.commands.knowledge import ProgressBar
from assistant.embeddings import get_embedder
from assistant.errors import IndexNotReady, KnowledgeError
from assistant.index import KnowledgeIndex, build_index
from assistant.question_keys import QuestionKeyStore
from assistant.retrieval import Retriever
from tests.fixtures import doc, make_settings


class FirstDimsEmbedder:
    """A second, real embedding model with another dimension: MiniLM cut to its first 128
    dimensions and re-normalised (what a switch to a smaller model looks like to the index)."""

    model_id = "minilm-first-128-dims"

    def __init__(self) -> None:
        self._inner = get_embedder()

    def embed(self, texts, batch_size: int = 32, progress=None) -> np.ndarray:  # noqa: ANN001
        vectors = self._inner.embed(texts)[:, :128]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def test_switching_the_embedding_model_rebuilds_with_a_notice_not_a_dimension_error(
    tiny_kb: Path, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    assert KnowledgeIndex(settings).built_with() == get_embedder().model_id

    switched = KnowledgeIndex(settings, embedder=FirstDimsEmbedder())  # type: ignore[arg-type]
    with pytest.raises(IndexNotReady) as err:
        Retriever(switched).search("executive sponsors")
    message = str(err.value)
    assert "embedding model changed from all-MiniLM-L6-v2-int8 to minilm-first-128-dims" in message
    assert "coach index" in message and "dimension" not in message

    notices: list[str] = []
    stream = io.StringIO()
    report = build_index(
        settings, index=switched, progress=ProgressBar("Embedding", stream), notice=notices.append
    )
    assert notices == [
        "Rebuilding the knowledge index: the embedding model changed from "
        "all-MiniLM-L6-v2-int8 to minilm-first-128-dims."
    ]
    assert report.rebuilt and report.embedded == report.chunks == 9
    assert "rebuilt: the embedding model changed" in report.summary()
    assert "Embedding: 9/9 chunks" in stream.getvalue()
    result = Retriever(switched).search("executive sponsors", k=3)
    assert result.passages[0].source == "guides/sponsor.md"
    assert KnowledgeIndex(settings).built_with() == "minilm-first-128-dims"
    # ... and back again: the original model sees the other model's index as stale, not broken.
    with pytest.raises(IndexNotReady):
        Retriever(KnowledgeIndex(settings)).search("executive sponsors")
    assert build_index(settings).rebuilt


def test_bm25_is_built_by_the_index_and_loaded_by_queries(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    saved = list((tmp_path / "data" / "bm25").iterdir())
    assert len(saved) == 1 and (saved[0] / "ids.json").is_file()

    def no_full_read(self: KnowledgeIndex) -> list:
        raise AssertionError("a query read the whole collection to build BM25")

    monkeypatch.setattr(KnowledgeIndex, "all_chunks", no_full_read)
    result = Retriever(KnowledgeIndex(settings)).search("executive sponsors", k=3, mode="bm25")
    assert result.passages[0].source == "guides/sponsor.md"


def test_another_writer_change_is_seen_by_a_running_retriever(
    tiny_kb: Path, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    retriever = Retriever(KnowledgeIndex(settings))
    assert retriever.search("zeppelin hangar", k=3, mode="bm25").passages == []
    (tiny_kb / "guides" / "zeppelin.md").write_text(
        doc("Airships", body="# Airships\n\nA session in the zeppelin hangar, long enough here."),
        encoding="utf-8",
    )
    build_index(settings)  # another KnowledgeIndex object: the retriever's cached state is stale
    retriever.index.state(max_age=0)  # what STATE_MAX_AGE seconds of waiting would do
    found = retriever.search("zeppelin hangar", k=3, mode="bm25")
    assert found.passages and found.passages[0].source == "guides/zeppelin.md"
    # The old revision's saved BM25 was replaced, not kept beside the new one.
    assert len(list((tmp_path / "data" / "bm25").iterdir())) == 1


def test_a_lost_bm25_folder_is_rebuilt_from_the_store(tiny_kb: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    for folder in (tmp_path / "data" / "bm25").iterdir():
        (folder / "ids.json").write_text("{broken", encoding="utf-8")
    result = Retriever(KnowledgeIndex(settings)).search("executive sponsors", k=3, mode="bm25")
    assert result.passages[0].source == "guides/sponsor.md"


def test_question_keys_are_indexed_and_find_their_document(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without its key, "Preparing sessions" loses this query to "Executive sponsors".
    (tiny_kb / "guides" / "prepare.md").write_text(
        doc(
            "Preparing sessions",
            extra='questions:\n  - "Who signs off the budget for our scheme?"\n',
        ),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    first = build_index(settings)
    assert first.embedded == first.chunks + 1  # the chunks and the one key
    assert build_index(settings).embedded == 0  # unchanged keys are not embedded again
    index = KnowledgeIndex(settings)
    assert index.keys.count() == 1
    query = "who approves the money for the programme"
    assert Retriever(index).search(query, k=3).passages[0].source == "guides/prepare.md"
    monkeypatch.setattr(QuestionKeyStore, "query", lambda self, *args, **kwargs: [])
    assert Retriever(index).search(query, k=3).passages[0].source == "guides/sponsor.md"


def test_question_keys_must_be_a_list_of_questions(tiny_kb: Path, tmp_path: Path) -> None:
    (tiny_kb / "guides" / "bad.md").write_text(
        doc("Bad keys", extra="questions: just one string\n"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError) as err:
        build_index(make_settings(tmp_path, knowledge=tiny_kb))
    assert "guides/bad.md" in str(err.value) and "'questions'" in str(err.value)
