"""Validation and chunking of knowledge documents."""

from __future__ import annotations

import pytest

from assistant.errors import KnowledgeError
from assistant.knowledge import chunk_document, load_knowledge, parse_document
from tests.fixtures import KNOWLEDGE, doc


def parse(text: str | bytes, max_bytes: int = 100_000):  # noqa: ANN201
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    return parse_document(raw, "guides/x.md", max_bytes)


def test_valid_document_keeps_front_matter_fields() -> None:
    d = parse(doc("Listening well", audience="all", topics="[Active Listening, feedback]"))
    assert d.title == "Listening well"
    assert d.audience == "all"
    assert d.topics == ("active-listening", "feedback")
    assert d.kind == "guide"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# No front matter here\n\nJust text that goes on for a while.", "no YAML front matter"),
        ("---\ntitle: [unclosed\n---\nbody body body body body body body body", "invalid YAML"),
        (doc().replace("audience: mentor\n", ""), "missing: audience"),
        (doc(audience="boss"), "audience 'boss'"),
        (doc(kind="essay"), "kind 'essay'"),
        (doc(body=""), "empty body"),
        (doc(body="   \n\n  "), "empty body"),
        (doc(topics="[]"), "missing: topics"),
    ],
)
def test_invalid_documents_name_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        parse(text)
    assert "guides/x.md" in str(err.value)
    assert problem in str(err.value)


def test_invalid_utf8_binary_and_huge_files_are_refused() -> None:
    with pytest.raises(KnowledgeError, match="not valid UTF-8"):
        parse(doc().encode("utf-8") + b"\xff\xfe broken")
    with pytest.raises(KnowledgeError, match="binary"):
        parse(b"\x00\x01\x02" * 50)
    with pytest.raises(KnowledgeError, match="limit is 1,000 bytes"):
        parse(doc() + "x" * 2000, max_bytes=1000)


def test_activity_cards_need_honest_durations() -> None:
    good = doc(
        kind="activity",
        extra="minutes_min: 5\nminutes_max: 15\nminutes_default: 10\n"
        "stages: [first]\nslot: opening\n",
    )
    d = parse(good)
    assert d.extra["minutes_default"] == 10 and d.extra["stages"] == ["first"]
    with pytest.raises(KnowledgeError, match="minutes"):
        parse(doc(kind="activity"))
    with pytest.raises(KnowledgeError, match="min <= default <= max"):
        parse(doc(kind="activity", extra="minutes_min: 20\nminutes_max: 10\nminutes_default: 15\n"))


def test_an_activity_cards_does_line_survives_the_index_and_names_only_known_fields() -> None:
    from assistant.knowledge import ActivityCard

    timing = "minutes_min: 5\nminutes_max: 15\nminutes_default: 10\nslot: core\n"
    d = parse(doc(kind="activity", extra=timing + 'does: "{Focus}: the mentor shows it once."\n'))
    card = ActivityCard.from_document(d)
    assert card is not None and card.does == "{Focus}: the mentor shows it once."
    meta = {**card.to_metadata(), "kind": "activity", "source": card.source}
    assert ActivityCard.from_metadata(meta).does == card.does
    with pytest.raises(KnowledgeError, match="placeholders"):
        parse(doc(kind="activity", extra=timing + 'does: "{goal}: try it."\n'))
    with pytest.raises(KnowledgeError, match="does"):
        parse(doc(kind="activity", extra=timing + f'does: "{"x" * 400}"\n'))


def test_chunks_carry_heading_path_and_stable_ids() -> None:
    d = parse(doc())
    chunks = chunk_document(d)
    assert [c.heading for c in chunks] == ["", "First part", "Second part"]
    assert all(c.source == "guides/x.md" and c.title == "A doc" for c in chunks)
    assert [c.id for c in chunk_document(parse(doc()))] == [c.id for c in chunks]
    edited = chunk_document(parse(doc().replace("in detail", "step by step")))
    assert edited[0].id == chunks[0].id and edited[2].id == chunks[2].id
    assert edited[1].id != chunks[1].id


def test_long_sections_are_split_under_the_size_limit() -> None:
    para = "Practise the tool together and take notes about what felt hard. " * 60
    chunks = chunk_document(parse(doc(body=f"# T\n\n## Long\n{para}\n")))
    assert len(chunks) >= 3
    assert all(len(c.text) <= 1100 for c in chunks)
    assert all(c.heading == "Long" for c in chunks)


def test_the_real_knowledge_base_is_valid_and_broad() -> None:
    docs = load_knowledge(KNOWLEDGE, 200_000)
    assert len(docs) >= 35
    kinds = {d.kind for d in docs}
    assert kinds == {"guide", "playbook", "activity", "starters"}
    assert {d.audience for d in docs} >= {"mentor", "mentee", "lead", "all"}
    activities = [d for d in docs if d.kind == "activity"]
    assert any("first" in a.extra["stages"] for a in activities)
    assert any("closing" in a.extra["stages"] for a in activities)
    assert {a.extra["slot"] for a in activities} == {"opening", "core", "wrap-up"}
