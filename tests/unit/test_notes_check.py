"""The "is this session notes?" check runs before the model. Its rule was designed on the eval's
37 labelled notes, not-notes-001..020 and notes-real-001..038; the rest was held out. The rates
measured there are kept here (see assistant/notes_check.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.coach import Coach
from assistant.errors import InputError
from assistant.llm.scripted import ScriptedModel
from assistant.notes_check import check_notes
from assistant.schemas import FeedbackRequest

DATA = Path(__file__).resolve().parents[1] / "data"
DATASETS = Path(__file__).resolve().parents[2] / "evals" / "datasets"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _number(row: dict) -> int:
    return int(row["id"].rsplit("-", 1)[1])


@pytest.fixture
def coach(real_retriever, scripted_model: ScriptedModel) -> Coach:  # noqa: ANN001
    return Coach(real_retriever, scripted_model)


REAL = _rows(DATA / "notes_real.jsonl")
NOT_NOTES = _rows(DATA / "notes_not_notes.jsonl")
LABELLED = _rows(DATASETS / "feedback.jsonl") + _rows(DATASETS / "feedback_heldout.jsonl")


def test_real_notes_are_almost_never_refused() -> None:
    refused = [r["id"] for r in REAL if not check_notes(r["notes"]).looks_like_notes]
    assert len(REAL) == 77
    assert len(refused) / len(REAL) <= 0.02, refused  # measured: 0 of 77
    held_out = [r for r in REAL if _number(r) > 38]
    assert not [r["id"] for r in held_out if not check_notes(r["notes"]).looks_like_notes]


def test_every_labelled_eval_note_passes() -> None:
    assert all(check_notes(r["notes"]).looks_like_notes for r in LABELLED)


def test_most_documents_that_are_not_notes_are_caught() -> None:
    held_out = [r for r in NOT_NOTES if _number(r) > 20]
    caught = [r["id"] for r in held_out if not check_notes(r["text"]).looks_like_notes]
    assert len(held_out) == 37
    assert len(caught) >= 26, caught  # measured: 26 of 37 held out (15 of the 20 designed on)
    kinds = {r["kind"] for r in NOT_NOTES if not check_notes(r["text"]).looks_like_notes}
    assert {"invoice", "receipt", "whois", "bank_statement", "csv", "source_code"} <= kinds


@pytest.mark.parametrize("kind", ["invoice", "receipt", "whois"])
def test_a_document_is_refused_before_the_model_with_what_to_do(coach: Coach, kind: str) -> None:
    text = next(r["text"] for r in NOT_NOTES if r["kind"] == kind)
    with pytest.raises(InputError) as refused:
        coach.feedback(FeedbackRequest(notes=text))
    assert "does not look like notes from a mentoring session" in str(refused.value)
    assert "Paste the notes" in refused.value.hint
    assert coach.model.history == []


def test_notes_that_name_people_instead_of_pronouns_pass() -> None:
    notes = (
        "Martin Webb found a wrong figure and checked it against the source with Aisha Khan.\n"
        "Martin will summarise the budget pack and check every figure.\n"
        "Aisha will draft a capital spending request for comments."
    )
    assert check_notes(notes).looks_like_notes
