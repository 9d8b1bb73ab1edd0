"""Retrieval suite: does hybrid search rank the right knowledge documents first?

Document level: the chunk ranking (top 50) becomes a ranking of distinct sources; gold is the
case's "relevant" list, its first entry graded 2 and the others 1 for nDCG.
"""

from __future__ import annotations

from typing import Any

from assistant.eval_report import SUITE_METRICS
from evals.metrics import Score, distinct_in_order, retrieval_scores
from evals.suites.common import Outcome, SuiteContext

NAME = "retrieval"
DATASET = "retrieval"
NEEDS_MODEL = False
CANDIDATE_CHUNKS = 50
METRICS = SUITE_METRICS[NAME]


def case_input(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case.get(k) for k in ("query", "persona", "relevant")}


def run_case(ctx: SuiteContext, case: dict[str, Any]) -> Outcome:
    result = ctx.services.retriever.search(case["query"], k=CANDIDATE_CHUNKS)
    ranked = distinct_in_order(p.source for p in result.passages)
    relevant = list(case["relevant"])
    values = retrieval_scores(ranked, relevant)
    first = next((i for i, doc in enumerate(ranked, 1) if doc in relevant), None)
    found = [doc for doc in ranked[:5] if doc in relevant]
    scores = {
        "hit@1": Score(values["hit@1"], f"top document: {ranked[0] if ranked else 'none'}"),
        "recall@5": Score(
            values["recall@5"], f"{len(found)}/{len(relevant)} relevant documents in the top 5"
        ),
        "mrr": Score(
            values["mrr"],
            f"first relevant document at rank {first}"
            if first
            else "no relevant document in the top 50 chunks",
        ),
        "ndcg@10": Score(values["ndcg@10"], "top 10: " + ", ".join(ranked[:10])),
    }
    return Outcome(
        output={
            "ranked_sources": ranked[:10],
            "top_passages": [[p.source, p.heading] for p in result.passages[:5]],
            "relevance": result.relevance,
            "top_similarity": result.top_similarity,
        },
        scores=scores,
    )
