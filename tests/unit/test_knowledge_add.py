"""Adding one document: `knowledge.add_document` (the core) and `coach knowledge add` (the CLI).

Both work on a real knowledge folder in tmp_path; the CLI test also builds a real index.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.knowledge import (
    CONTENT,
    EXISTS,
    NAME,
    DocumentRejected,
    add_document,
)
from tests.fixtures import coach_env, doc

LIMIT = 200_000
GOOD = doc(
    "Mentoring over video calls",
    audience="all",
    topics="[remote, video-calls]",
    body="# Mentoring over video calls\n\n## Camera etiquette\nKeep cameras on for the first "
    "ten minutes, share one screen at a time, and agree on a backchannel for links.\n",
)


def files(root: Path) -> list[str]:
    """Every file under the folder, hidden ones included (a left-over temp file shows)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "guides").mkdir(parents=True)
    (root / "guides" / "prepare.md").write_text(doc("Preparing sessions"), encoding="utf-8")
    return root


def test_a_valid_document_is_written_into_the_uploads_folder(kb: Path) -> None:
    added = add_document(kb, "video-calls.md", GOOD.encode(), max_bytes=LIMIT)
    assert added.document.title == "Mentoring over video calls"
    assert added.document.source == "uploads/video-calls.md"
    assert added.path == kb / "uploads" / "video-calls.md" and not added.replaced
    assert added.path.read_text(encoding="utf-8") == GOOD
    assert files(kb) == ["guides/prepare.md", "uploads/video-calls.md"]  # no temp file left


@pytest.mark.parametrize(
    "name", ["../../escape.md", "..\\..\\escape.md", "/etc/escape.md", "some/dir/escape.md"]
)
def test_folders_in_the_name_are_dropped_so_nothing_lands_outside(kb: Path, name: str) -> None:
    added = add_document(kb, name, GOOD.encode(), max_bytes=LIMIT)
    assert added.path == kb / "uploads" / "escape.md"
    assert files(kb.parent) == ["kb/guides/prepare.md", "kb/uploads/escape.md"]


@pytest.mark.parametrize("name", ["README.md", ".hidden.md", "notes.pdf", "no-suffix", "a\x00.md"])
def test_a_name_that_is_not_a_plain_document_name_is_refused(kb: Path, name: str) -> None:
    with pytest.raises(DocumentRejected, match="is not an accepted file name") as caught:
        add_document(kb, name, GOOD.encode(), max_bytes=LIMIT)
    assert caught.value.problem == NAME
    assert files(kb) == ["guides/prepare.md"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b" \n ", "is empty"),
        (b"---\ntitle: x\n---\n\x00\x01\x02", "looks binary"),
        (GOOD.encode("utf-16"), "looks binary"),
        (GOOD.encode() + b"\xff\xfe broken", "is not valid UTF-8"),
        (GOOD.encode() + b"x" * LIMIT, "the limit is 200,000 bytes"),
        (b"# Just a heading\n\nSome text that has no front matter.", "has no YAML front matter"),
        (b"---\ntitle: [unclosed\n---\nBody text long enough to count here.", "invalid YAML"),
        (GOOD.replace("audience: all", "audience: everyone").encode(), "audience 'everyone'"),
        (GOOD.replace("kind: guide\n", "").encode(), "missing: kind"),
    ],
)
def test_content_the_index_would_refuse_is_refused_before_writing(
    kb: Path, raw: bytes, reason: str
) -> None:
    with pytest.raises(DocumentRejected) as caught:
        add_document(kb, "video-calls.md", raw, max_bytes=LIMIT)
    assert reason in caught.value.message
    assert caught.value.problem == CONTENT
    assert files(kb) == ["guides/prepare.md"]


def test_an_existing_name_is_kept_unless_replace_is_asked(kb: Path) -> None:
    add_document(kb, "video-calls.md", GOOD.encode(), max_bytes=LIMIT)
    changed = GOOD.replace("ten minutes", "twenty minutes")
    with pytest.raises(DocumentRejected, match="a document with that name exists") as caught:
        add_document(kb, "video-calls.md", changed.encode(), max_bytes=LIMIT)
    assert caught.value.problem == EXISTS
    assert "ten minutes" in (kb / "uploads" / "video-calls.md").read_text(encoding="utf-8")

    added = add_document(kb, "video-calls.md", changed.encode(), max_bytes=LIMIT, replace=True)
    assert added.replaced
    assert "twenty minutes" in added.path.read_text(encoding="utf-8")
    assert files(kb) == ["guides/prepare.md", "uploads/video-calls.md"]


def test_a_folder_that_cannot_be_written_raises_oserror_and_leaves_nothing(kb: Path) -> None:
    (kb / "uploads").write_text("a file where the uploads folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        add_document(kb, "video-calls.md", GOOD.encode(), max_bytes=LIMIT)
    assert files(kb) == ["guides/prepare.md", "uploads"]


# --- coach knowledge add ---------------------------------------------------------------------
@pytest.fixture
def cli_env(kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in coach_env(tmp_path / "data", kb).items():
        monkeypatch.setenv(key, value)
    return kb


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def test_coach_knowledge_add_writes_the_file_and_updates_the_index(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["knowledge", "add", write(tmp_path, "video-calls.md", GOOD)]) == 0
    out = capsys.readouterr().out
    assert "Added “Mentoring over video calls” as knowledge/uploads/video-calls.md." in out
    assert "Indexed 2 files" in out
    assert (cli_env / "uploads" / "video-calls.md").read_text(encoding="utf-8") == GOOD

    assert main(["search", "camera etiquette backchannel", "--k", "1", "--json"]) == 0
    [top] = json.loads(capsys.readouterr().out)["results"]
    assert top["source"] == "uploads/video-calls.md"


def test_coach_knowledge_add_json_and_replace(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "video-calls.md", GOOD)
    assert main(["knowledge", "add", path, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["source"], first["replaced"]) == ("uploads/video-calls.md", False)
    assert first["index"]["added"] > 0

    changed = write(tmp_path, "video-calls.md", GOOD.replace("ten minutes", "twenty minutes"))
    assert main(["knowledge", "add", changed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "a document with that name exists" in err and "Add --replace" in err
    assert main(["knowledge", "add", changed, "--replace"]) == 0
    assert "Replaced “Mentoring over video calls”" in capsys.readouterr().out
    assert "twenty minutes" in (cli_env / "uploads" / "video-calls.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("binary.md", b"---\ntitle: x\n---\n\x00\x01", "binary.md: looks binary"),
        ("README.md", GOOD, "README.md: is not an accepted file name"),
        ("empty.md", "", "empty.md: is empty"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    cli_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes,
    said: str,
) -> None:
    assert main(["knowledge", "add", write(tmp_path, name, content)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"coach: {said}") and captured.err.count("\n") == 1
    if name == "binary.md":  # the fix is said in command-line words
        assert "run `coach knowledge add FILE` again" in captured.err
    assert files(cli_env) == ["guides/prepare.md"]
    assert not (tmp_path / "data" / "chroma").exists()  # nothing was indexed


def test_a_missing_file_exits_2_with_one_line(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["knowledge", "add", str(tmp_path / "nowhere.md")]) == 2
    err = capsys.readouterr().err
    assert err == f"coach: Cannot read {tmp_path / 'nowhere.md'} (No such file or directory). " + (
        "Give the path of a .md or .txt file.\n"
    )


def test_when_another_file_breaks_the_index_the_added_one_is_named(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "guides" / "broken.md").write_text("no front matter", encoding="utf-8")
    assert main(["knowledge", "add", write(tmp_path, "video-calls.md", GOOD)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("coach: Added “Mentoring over video calls” as knowledge/uploads/")
    assert "The index was not updated" in err and "guides/broken.md" in err
    assert (cli_env / "uploads" / "video-calls.md").is_file()
