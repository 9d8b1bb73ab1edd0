"""Syncing the real Chroma persistent store with the knowledge folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import KnowledgeError
from assistant.index import KnowledgeIndex, build_index
from tests.fixtures import doc, make_settings


def test_first_sync_adds_everything_and_second_embeds_nothing(tiny_kb: Path, tmp_path: Path):
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    first = build_index(settings)
    assert first.files == 3 and first.added == first.chunks == 9 and first.removed == 0
    second = build_index(settings)
    assert (second.added, second.updated, second.removed, second.embedded) == (0, 0, 0, 0)
    assert second.unchanged == 9


def test_edit_delete_and_add_are_reflected(tiny_kb: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    path = tiny_kb / "guides" / "prepare.md"
    path.write_text(path.read_text().replace("in detail", "step by step"), encoding="utf-8")
    (tiny_kb / "guides" / "sponsor.md").unlink()
    (tiny_kb / "guides" / "new.md").write_text(doc("Brand new"), encoding="utf-8")
    report = build_index(settings)
    assert report.updated == 1
    assert report.removed == 3
    assert report.added == 3
    assert report.embedded == 4
    index = KnowledgeIndex(settings)
    sources = {c.metadata["source"] for c in index.all_chunks()}
    assert sources == {"guides/prepare.md", "guides/listen.md", "guides/new.md"}
    assert any("step by step" in c.text for c in index.all_chunks())


@pytest.mark.parametrize(
    "bad",
    [
        b"---\ntitle: x\n---\nno audience here at all, so invalid",
        b"\xff\xfe\x00binary",
        b"---\ntitle: T\naudience: all\ntopics: [a]\nkind: guide\nsummary: s\n---\n",
    ],
)
def test_a_broken_file_fails_and_leaves_the_index_untouched(
    tiny_kb: Path, tmp_path: Path, bad: bytes
) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    before = sorted(c.id for c in KnowledgeIndex(settings).all_chunks())
    (tiny_kb / "guides" / "prepare.md").unlink()  # a change that must NOT be applied
    (tiny_kb / "guides" / "broken.md").write_bytes(bad)
    with pytest.raises(KnowledgeError) as err:
        build_index(settings)
    assert "guides/broken.md" in str(err.value)
    assert sorted(c.id for c in KnowledgeIndex(settings).all_chunks()) == before


def test_interrupted_sync_is_repaired_by_the_next_run(tiny_kb: Path, tmp_path: Path) -> None:
    """Simulate a kill mid-index: only part of the chunks reached the store."""
    from assistant.knowledge import chunk_all, load_knowledge

    settings = make_settings(tmp_path, knowledge=tiny_kb)
    chunks = chunk_all(load_knowledge(tiny_kb, 100_000))
    index = KnowledgeIndex(settings)
    index.sync(chunks[:4], files=3)  # the process "died" after writing 4 of 9 chunks
    report = build_index(settings)
    assert report.added == 5 and report.chunks == 9
    complete = make_settings(tmp_path / "other", knowledge=tiny_kb)
    build_index(complete)
    assert sorted(c.id for c in KnowledgeIndex(settings).all_chunks()) == sorted(
        c.id for c in KnowledgeIndex(complete).all_chunks()
    )


def test_index_survives_reopening_from_disk(tiny_kb: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    reopened = KnowledgeIndex(settings)
    assert reopened.count() == 9
    hits = reopened.query(reopened.embedder.embed_one("executive sponsor").tolist(), 3)
    assert hits[0][0].metadata["source"] == "guides/sponsor.md"


def test_no_absolute_paths_are_persisted_in_the_collection(tiny_kb: Path, tmp_path: Path):
    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    index = KnowledgeIndex(settings)
    stored = repr(index.collection.metadata) + repr(index.collection.configuration_json)
    assert str(tmp_path) not in stored


def test_whole_collection_reads_are_paged(tiny_kb: Path, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A single get() of every row fails past ~32k chunks in Chroma; reads go page by page."""
    import assistant.index as index_module

    settings = make_settings(tmp_path, knowledge=tiny_kb)
    build_index(settings)
    monkeypatch.setattr(index_module, "READ_PAGE", 4)
    index = KnowledgeIndex(settings)
    assert len({c.id for c in index.all_chunks()}) == 9
    assert len(index.existing_ids()) == 9
    assert build_index(settings).embedded == 0
