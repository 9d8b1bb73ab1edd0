"""The Knowledge page: stats, browsing, search, validated uploads and re-indexing."""

from __future__ import annotations

import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT, get_settings
from assistant.knowledge import find_files
from tests.fixtures import KNOWLEDGE, app_services, doc, page_app, shown

DOCUMENTS = len(find_files(KNOWLEDGE))  # the project's knowledge base, which the app_env copies
NEW_DOC = doc(
    "Mentoring over video calls",
    audience="all",
    topics="[remote, video-calls]",
    body="# Mentoring over video calls\n\n## Camera etiquette\nKeep cameras on for the first "
    "ten minutes, share one screen at a time, and agree on a backchannel for links.\n",
)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader[0].set_value([(name, raw, "text/markdown") for name, raw in files])
    return at.button(key="kb_add").click().run()


@pytest.mark.usefixtures("app_env")
def test_stats_and_browsing_show_documents_and_their_chunks() -> None:
    at = page_app("knowledge").run()
    assert not at.exception
    chunks = app_services().index.count()
    assert metrics(at) == {
        "Documents": str(DOCUMENTS),
        "Chunks in the index": f"{chunks:,}",
        "Files with problems": "0",
    }
    assert len(at.dataframe[0].value) == DOCUMENTS
    at.selectbox(key="kb_open").set_value("sessions/active-listening.md").run()
    assert "knowledge/sessions/active-listening.md" in shown(at, "caption")
    assert [e for e in at.expander if e.label.startswith("Chunk ")]


@pytest.mark.usefixtures("app_env")
def test_search_returns_passages_with_their_files() -> None:
    at = page_app("knowledge").run()
    at.text_input(key="kb_query").input("how to give feedback to a senior leader")
    at.form_submit_button[0].click().run()
    assert not at.exception
    results = [e for e in at.expander if e.label[:2] == "1."]
    assert results
    assert "knowledge/" in shown(at, "caption")
    # The same verdict `coach search` prints (assistant.retrieval.RELEVANCE_VERDICTS).
    assert "Relevant guidance found." in shown(at, "caption")


@pytest.mark.usefixtures("app_env")
def test_an_empty_search_says_what_to_do() -> None:
    at = page_app("knowledge").run()
    at.form_submit_button[0].click().run()
    assert "The search query is empty. Type a question or a few words." in shown(at, "error")


@pytest.mark.usefixtures("app_env")
def test_a_valid_upload_is_saved_indexed_and_searchable() -> None:
    before = app_services().index.count()
    at = upload(page_app("knowledge").run(), ("video-calls.md", NEW_DOC.encode()))
    assert not at.exception
    assert not at.error
    assert (get_settings().knowledge_dir / "uploads" / "video-calls.md").read_text() == NEW_DOC
    assert app_services().index.count() > before
    assert "Added “Mentoring over video calls”" in shown(at, "success")
    assert metrics(at)["Documents"] == str(DOCUMENTS + 1)
    # The knowledge base's own guide to remote pairs may rank first; the upload is found too.
    result = app_services().retriever.search("cameras on, one screen, a backchannel for links", k=5)
    assert "uploads/video-calls.md" in [p.source for p in result.passages]


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("binary.md", b"---\ntitle: x\n---\n\x00\x01\x02", "looks binary"),
        ("empty.md", b"  \n", "is empty"),
        ("huge.md", NEW_DOC.encode() + b"x" * 300_000, "the limit is"),
        (
            "no-front-matter.md",
            b"# Just a heading\n\nSome text that has no front matter.",
            "has no YAML front matter",
        ),
        (
            "bad-yaml.md",
            b"---\ntitle: [unclosed\n---\nBody text long enough to count here.",
            "invalid YAML front matter",
        ),
        ("README.md", NEW_DOC.encode(), "not an accepted file name"),
    ],
)
def test_an_invalid_upload_is_rejected_with_the_reason_and_nothing_changes(
    name: str, raw: bytes, reason: str
) -> None:
    before = app_services().index.count()
    files_before = sorted(p for p in get_settings().knowledge_dir.rglob("*") if p.is_file())
    at = upload(page_app("knowledge").run(), (name, raw))
    assert not at.exception
    assert reason in shown(at, "error")
    assert "Rejected" in shown(at, "error")
    assert sorted(p for p in get_settings().knowledge_dir.rglob("*") if p.is_file()) == files_before
    assert app_services().index.count() == before


@pytest.mark.usefixtures("app_env")
def test_an_upload_cannot_write_outside_the_knowledge_folder() -> None:
    at = upload(page_app("knowledge").run(), ("../../escape.md", NEW_DOC.encode()))
    assert not at.exception
    assert (get_settings().knowledge_dir / "uploads" / "escape.md").is_file()
    assert not (get_settings().knowledge_dir.parent.parent / "escape.md").exists()


@pytest.mark.usefixtures("app_env")
def test_an_existing_name_needs_replace_to_be_ticked() -> None:
    at = upload(page_app("knowledge").run(), ("video-calls.md", NEW_DOC.encode()))
    changed = NEW_DOC.replace("ten minutes", "twenty minutes")
    at = upload(at, ("video-calls.md", changed.encode()))
    assert "a document with that name exists" in shown(at, "error")
    at.checkbox(key="kb_replace").check()
    at = upload(at, ("video-calls.md", changed.encode()))
    assert not at.error
    saved = get_settings().knowledge_dir / "uploads" / "video-calls.md"
    assert "twenty minutes" in saved.read_text()


@pytest.mark.usefixtures("empty_env")
def test_reindex_builds_a_missing_index_with_progress() -> None:
    at = page_app("knowledge").run()
    assert "not built yet" in shown(at, "warning")
    at.button(key="kb_reindex").click().run()
    assert not at.exception
    assert "Indexed 2 files into" in shown(at, "success")
    assert metrics(at)["Chunks in the index"] != "0"
    assert "chunks indexed" in shown(at.sidebar, "success")


@pytest.mark.usefixtures("app_env")
def test_reindex_with_a_broken_file_on_disk_fails_and_keeps_the_index() -> None:
    before = app_services().index.count()
    (get_settings().knowledge_dir / "broken.md").write_text("no front matter here at all", "utf-8")
    at = page_app("knowledge").run()
    assert "broken.md: has no YAML front matter" in shown(at, "error")
    at.button(key="kb_reindex").click().run()
    assert not at.exception
    [status] = at.status
    assert status.state == "error"
    assert "left as it was" in status.label
    assert app_services().index.count() == before


@pytest.mark.usefixtures("app_env")
def test_a_file_changed_on_disk_shows_up_on_the_next_rerun() -> None:
    at = page_app("knowledge").run()
    assert metrics(at)["Files with problems"] == "0"
    target = get_settings().knowledge_dir / "uploads" / "video.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(NEW_DOC, "utf-8")
    at.run()  # the parsed documents are cached, but keyed on the files: a new one is seen
    assert metrics(at)["Documents"] == str(DOCUMENTS + 1)
    assert "Mentoring over video calls" in list(at.dataframe[0].value["Title"])
    target.write_text("an edit that broke the front matter", "utf-8")
    at.run()
    assert metrics(at)["Documents"] == str(DOCUMENTS)
    assert metrics(at)["Files with problems"] == "1"
    assert "uploads/video.md: has no YAML front matter" in shown(at, "error")


@pytest.mark.usefixtures("app_env")
def test_a_document_over_the_size_limit_is_refused_with_its_size() -> None:
    """1.5 MB: over the coach's limit. The browser must send it (the uploader's own cap, and
    the server's, are higher), so the page can name the size instead of 'choose a file'."""
    from assistant.ui.pages.knowledge import UPLOAD_TRANSPORT_MB

    big = NEW_DOC.encode() + b"Practise the pause before answering.\n" * 41_000
    assert 1_500_000 < len(big) < 1_600_000
    at = upload(page_app("knowledge").run(), ("handbook.md", big))
    assert not at.exception
    error = shown(at, "error")
    assert f"handbook.md: is {len(big):,} bytes; the limit is 200,000 bytes" in error
    assert "Choose at least one" not in error
    assert at.file_uploader[0].proto.max_upload_size_mb == UPLOAD_TRANSPORT_MB
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] >= UPLOAD_TRANSPORT_MB > len(big) / 1_000_000


@pytest.mark.usefixtures("app_env")
def test_a_rejected_upload_says_what_to_do_on_the_page() -> None:
    at = upload(page_app("knowledge").run(), ("binary.md", b"---\ntitle: x\n---\n\x00\x01\x02"))
    error = shown(at, "error")
    assert "binary.md: looks binary" in error and "upload it again" in error
    assert "coach index" not in error
    at = upload(at, ("video-calls.md", NEW_DOC.encode()))
    at = upload(at, ("video-calls.md", NEW_DOC.encode()))
    assert "Tick “Replace documents with the same name”" in shown(at, "error")


@pytest.mark.usefixtures("app_env")
def test_pressing_add_with_no_file_says_to_choose_one() -> None:
    at = page_app("knowledge").run()
    at.button(key="kb_add").click().run()
    assert "Choose at least one .md or .txt file first." in shown(at, "error")
