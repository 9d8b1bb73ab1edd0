"""Hybrid retrieval on the real knowledge base, indexed into a real Chroma store."""

from __future__ import annotations

import pytest

from assistant.errors import IndexNotReady, InputError
from assistant.index import KnowledgeIndex
from assistant.retrieval import Filters, Retriever, tokenize
from tests.fixtures import make_settings


def test_tokenizer_stems_and_drops_stopwords() -> None:
    assert tokenize("My mentee keeps CANCELLING the sessions") == [
        "mente",
        "keep",
        "cancel",
        "session",
    ]


@pytest.mark.parametrize(
    ("query", "expected_source"),
    [
        ("honestly it feels awkward learning from someone half my age", "challenges/"),
        ("my mentee keeps cancelling our sessions", "challenges/cancelled-and-rescheduled"),
        ("how do I teach my boss to write good prompts for chatgpt", "playbooks/ai-chatbots"),
        ("should I get an executive to sponsor the programme", "program-design/executive-spons"),
    ],
)
def test_realistic_questions_find_the_right_document(
    real_retriever: Retriever, query: str, expected_source: str
) -> None:
    result = real_retriever.search(query, k=5)
    assert any(p.source.startswith(expected_source) for p in result.passages[:3]), [
        p.source for p in result.passages
    ]
    assert result.relevance in ("strong", "weak")


def test_off_topic_query_is_flagged_as_not_relevant(real_retriever: Retriever) -> None:
    result = real_retriever.search("best sourdough bread recipe with rye flour", k=5)
    assert result.relevance == "none"
    on_topic = real_retriever.search("how do I run a first reverse mentoring session", k=5)
    assert on_topic.relevance == "strong"
    assert on_topic.top_similarity > result.top_similarity


def test_filters_restrict_audience_kind_and_topic(real_retriever: Retriever) -> None:
    leads = real_retriever.search("how to measure success", k=10, filters=Filters(audience="lead"))
    assert leads.passages and all(p.audience in ("lead", "all") for p in leads.passages)
    cards = real_retriever.search("expectations", k=10, filters=Filters(kinds=["activity"]))
    assert cards.passages and all(p.kind == "activity" for p in cards.passages)
    topical = real_retriever.search("video", k=10, filters=Filters(topics=["social-media"]))
    assert topical.passages and all("social-media" in p.topics for p in topical.passages)


def test_all_three_modes_return_ranked_passages(real_retriever: Retriever) -> None:
    for mode in ("dense", "bm25", "hybrid"):
        result = real_retriever.search("upward feedback to a senior leader", k=5, mode=mode)
        assert len(result.passages) == 5
        scores = [p.score for p in result.passages]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused(real_retriever: Retriever, query: str) -> None:
    with pytest.raises(InputError, match="empty"):
        real_retriever.search(query)


def test_missing_index_says_how_to_build_it(tmp_path) -> None:  # noqa: ANN001
    retriever = Retriever(KnowledgeIndex(make_settings(tmp_path)))
    with pytest.raises(IndexNotReady) as err:
        retriever.search("anything")
    assert "coach index" in str(err.value)


CARD = """---
title: Quick check-in
audience: all
topics: [check-in]
kind: activity
summary: A short round where each person says how they arrive.
minutes_min: 3
minutes_max: 8
minutes_default: {default}
stages: [first, middle]
provides: [check-in]
slot: opening
---
# Quick check-in

Each person says in one sentence how they arrive today and what they hope to leave with.

## How to run it

1. Each person names one word for their mood and one hope for the session.
2. The mentor notes the hopes so the wrap-up can come back to them.
"""


def test_activity_cards_come_back_from_the_index_as_written(tiny_kb) -> None:  # noqa: ANN001
    from assistant.index import build_index
    from assistant.knowledge import ActivityCard, parse_document

    (tiny_kb / "activities").mkdir()
    card_file = tiny_kb / "activities" / "check-in.md"
    card_file.write_text(CARD.format(default=5), encoding="utf-8")
    settings = make_settings(tiny_kb.parent, knowledge=tiny_kb)
    build_index(settings)
    retriever = Retriever(KnowledgeIndex(settings))

    cards = retriever.activity_cards()
    assert list(cards) == ["activities/check-in.md"]  # guides are not activity cards
    card = cards["activities/check-in.md"]
    written = ActivityCard.from_document(
        parse_document(card_file.read_bytes(), "activities/check-in.md", 100_000)
    )
    assert written is not None
    assert (card.title, card.minutes_min, card.minutes_default, card.minutes_max) == (
        written.title,
        3,
        5,
        8,
    )
    assert (card.stages, card.provides, card.slot) == (
        ("first", "middle"),
        ("check-in",),
        "opening",
    )
    # The plan cites the card's "How to run it" section and words its item from it.
    cited = retriever.index.get([card.chunk_id])[0]
    assert cited.metadata["heading"] == "How to run it"
    assert "one word for their mood" in card.how_to
    assert retriever.activity_cards() is cards  # decoded once per index revision

    card_file.write_text(CARD.format(default=7), encoding="utf-8")
    build_index(settings, index=retriever.index)  # as the Knowledge page re-indexes
    assert retriever.activity_cards()["activities/check-in.md"].minutes_default == 7
