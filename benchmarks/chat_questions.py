"""Chat answers on the configured model for the first N grounded questions of the chat set.

    PYTHONPATH=. python benchmarks/chat_questions.py [N] [--json OUT]

Streams each answer after one warm-up answer and prints, per question and as means: seconds
to the first token, seconds to complete, prompt and output tokens (the model's own count) and
words. Compare two checkouts by running it in each with nothing else on the cores; the
benchmark in artifacts.py asks one chat question only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from artifacts import Calls, CountingModel  # noqa: E402

from assistant.config import PROJECT_ROOT, get_settings  # noqa: E402
from assistant.schemas import AnswerRequest  # noqa: E402
from assistant.services import Services  # noqa: E402

FIELDS = ("first", "total", "prompt", "output", "words")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=6)
    parser.add_argument("--json", type=Path, help="also write the rows and means here")
    args = parser.parse_args()
    os.environ.setdefault("COACH_MODEL", "local")
    services = Services(get_settings())
    counting = CountingModel(services.model)
    services.__dict__["model"] = counting  # the coach is built on the counting model
    coach = services.coach
    path = PROJECT_ROOT / "evals" / "datasets" / "chat.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    cases = [c for c in cases if c["type"] == "grounded"][: args.n]
    warm = AnswerRequest.from_input(question="How often should a pair meet?", persona="mentor")
    for _ in coach.stream_answer(warm):
        pass
    rows = []
    for case in cases:
        counting.calls = Calls()
        started, first = time.perf_counter(), None
        request = AnswerRequest.from_input(question=case["question"], persona=case["persona"])
        stream = coach.stream_answer(request)
        for _ in stream:
            if first is None:
                first = time.perf_counter() - started
        answer = stream.result
        rows.append(
            {
                "id": case["id"],
                "first": first or 0.0,
                "total": time.perf_counter() - started,
                "prompt": counting.calls.prompt_tokens,
                "output": counting.calls.output_tokens,
                "words": len(answer.answer.split()),
                "outcome": answer.outcome,
            }
        )
        print(rows[-1], flush=True)
    mean = {k: sum(r[k] for r in rows) / len(rows) for k in FIELDS} if rows else {}
    print("mean", {k: round(v, 1) for k, v in mean.items()})
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "mean": mean}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
