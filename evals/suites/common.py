"""What every suite shares: the case outcome type, dataset loading and an observed retriever.

`ObservedRetriever` wraps the real retriever so a suite can tell which chunk ids the coach was
actually given (for citation validity), and can plant a passage (for document attacks)
without re-indexing anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import InputError
from assistant.eval_report import MetricInfo
from evals.metrics import Score

__all__ = ["MetricInfo", "Outcome", "SuiteContext", "load_dataset", "reasons"]

DATASETS = Path(__file__).resolve().parent.parent / "datasets"


@dataclass
class Outcome:
    """One case's result before timing and error handling are added by the runner."""

    output: dict[str, Any] | str
    scores: dict[str, Score] = field(default_factory=dict)


def load_dataset(name: str, folder: Path = DATASETS) -> list[dict[str, Any]]:
    path = folder / f"{name}.jsonl"
    if not path.is_file():
        raise InputError(
            f"The eval dataset {path} is missing.",
            "Restore it from the repository (git checkout evals/datasets/).",
        )
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path.name} line {number} is not valid JSON ({exc.msg}).",
                "Fix the line; each line holds one JSON case.",
            ) from exc
    return cases


def dataset_version(name: str, limit: int | None, folder: Path = DATASETS) -> dict[str, Any]:
    """What a run of this dataset was scored on: the file's sha256, the limit, and a hash of
    the case ids taken. Two runs are like for like only when these match."""
    path = folder / f"{name}.jsonl"
    cases = load_dataset(name, folder)[:limit]
    ids = "\n".join(str(case.get("id", "")) for case in cases)
    return {
        "dataset": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "limit": limit,
        "cases": len(cases),
        "case_ids_sha256": hashlib.sha256(ids.encode("utf-8")).hexdigest(),
    }


class ObservedIndex:
    """The knowledge index, recording the ids of every chunk read through it."""

    def __init__(self, index: Any, seen: set[str]) -> None:
        self._index = index
        self._seen = seen

    def all_chunks(self) -> list[Any]:
        chunks = self._index.all_chunks()
        self._seen.update(c.id for c in chunks)
        return chunks

    def get(self, ids: list[str]) -> list[Any]:
        chunks = self._index.get(ids)
        self._seen.update(c.id for c in chunks)
        return chunks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


class ObservedRetriever:
    """A Retriever look-alike: same search, plus `seen` ids and an optional planted passage."""

    def __init__(self, retriever: Any, planted: Any | None = None) -> None:
        self._retriever = retriever
        self.planted = planted
        self.seen: set[str] = set()
        self.index = ObservedIndex(retriever.index, self.seen)

    def chunks(self) -> list[Any]:
        chunks = self._retriever.chunks()
        self.seen.update(c.id for c in chunks)
        return chunks

    def activity_cards(self) -> Any:
        cards = self._retriever.activity_cards()
        self.seen.update(card.chunk_id for card in cards.values())
        return cards

    def search(self, query: str, k: int = 5, filters: Any = None, mode: str = "hybrid") -> Any:
        result = self._retriever.search(query, k=k, filters=filters, mode=mode)
        if self.planted is not None:
            result = replace(result, passages=[self.planted, *result.passages[: k - 1]])
        self.seen.update(p.id for p in result.passages)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._retriever, name)


class SuiteContext:
    """Shared, lazily built resources of one eval run."""

    def __init__(self, services: Any) -> None:
        self.services = services

    @property
    def embed(self) -> Callable[[Sequence[str]], np.ndarray]:
        return self.services.index.embedder.embed

    @cached_property
    def index_ids(self) -> set[str]:
        return set(self.services.index.existing_ids())

    def observed_coach(self, planted: Any | None = None) -> tuple[Any, ObservedRetriever]:
        """A Coach on the run's model and prompts whose retrieval is observed."""
        from assistant.coach import Coach

        retriever = ObservedRetriever(self.services.retriever, planted)
        return Coach(retriever, self.services.model, self.services.prompts), retriever  # type: ignore[arg-type]


def reasons(scores: dict[str, Score]) -> tuple[dict[str, float], dict[str, str]]:
    return (
        {k: round(float(s.value), 6) for k, s in scores.items()},
        {k: s.reason for k, s in scores.items()},
    )
