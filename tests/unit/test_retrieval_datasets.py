"""The retrieval query sets: the 195 tuning queries and the held-out set, labelled with every
relevant document (and, for the held-out set, every relevant section) of the real knowledge."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.knowledge import chunk_all, load_knowledge
from evals.suites.common import load_dataset

KNOWLEDGE = Path(__file__).parents[2] / "knowledge"


@pytest.fixture(scope="module")
def sections() -> set[tuple[str, str]]:
    return {(c.source, c.heading) for c in chunk_all(load_knowledge(KNOWLEDGE, 1_000_000))}


@pytest.mark.parametrize(("name", "minimum"), [("retrieval", 195), ("retrieval_heldout", 60)])
def test_queries_are_unique_and_name_real_documents(name: str, minimum: int) -> None:
    rows = load_dataset(name)
    assert len(rows) >= minimum
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["query"].strip().lower() for r in rows}) == len(rows)
    for row in rows:
        assert row["query"].strip() and row["persona"] in {"mentor", "mentee", "lead"}, row["id"]
        assert row["relevant"] and len(set(row["relevant"])) == len(row["relevant"]), row["id"]
        for source in row["relevant"]:
            assert (KNOWLEDGE / source).is_file(), f"{row['id']}: no knowledge/{source}"


def test_held_out_sections_exist_and_belong_to_relevant_documents(
    sections: set[tuple[str, str]],
) -> None:
    for row in load_dataset("retrieval_heldout"):
        assert row["primary"] == row["relevant"][0], row["id"]
        assert row["relevant_sections"], row["id"]
        for section in row["relevant_sections"]:
            place = (section["source"], section["heading"])
            assert place in sections, f"{row['id']}: no section {place}"
            assert section["source"] in row["relevant"], row["id"]


def test_held_out_queries_are_not_tuning_queries() -> None:
    tuning = {r["query"].strip().lower() for r in load_dataset("retrieval")}
    assert not tuning & {r["query"].strip().lower() for r in load_dataset("retrieval_heldout")}
