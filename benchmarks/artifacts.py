"""Where people wait: each artifact on the local model, first visible content and total time.

    .venv/bin/python benchmarks/artifacts.py [--json PATH] [--before OLD.json --label TEXT]

For a 45- and a 90-minute agenda, six starters, a feedback summary and a chat answer, one run
each on the default local model with the project's real index and prompts:
- "first visible": what the page shows first (the agenda's plan, the feedback's redaction
  preview, the chat answer's sources), then "first model text": the first part the model wrote
  (an agenda item's wording, a starter, the summary's paragraph, the answer's first token).
- prompt and output tokens (llama.cpp's own counts for whole replies; for streamed ones, one
  token per chunk as llama.cpp streams them, and the prompt counted with the model's
  tokenizer), and the decode speed inside the pipeline beside the raw decode speed of the same
  model measured in the same run: free text, and under a JSON grammar with llama.cpp's stock
  grammar sampling and with the coach's candidate-first sampling.
- `--before OLD.json`: a `--json` file of an earlier run (for example the previous release,
  run just before on the same machine) for a before → now table.
Times are also given as decode-token equivalents (seconds x raw decode tokens/s), which compare
across machines. Report `uptime` with the numbers: other jobs on the cores change them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.config import get_settings
from assistant.llm.base import Completion, Message, TextStream
from assistant.llm.context import approx_tokens
from assistant.privacy import redact
from assistant.schemas import AgendaRequest, AnswerRequest, FeedbackRequest, StartersRequest
from assistant.services import Services

NOTES = (
    "Session 3 with Priya (mentor) and Daniel (CFO). We practised writing prompts for the "
    "budget commentary; Daniel drafted two and compared the chatbot's answers with his own. "
    "He learned to ask for sources and to check every figure. Priya learned how the quarterly "
    "forecast is approved and why the board wants one page. Actions: Daniel will try the "
    "assistant on one public document before next time; Priya will draft a one-page guide to "
    "prompts for finance by Friday. Daniel found it awkward at first to be taught by a junior "
    "colleague, then said the hands-on part helped."
)
QUESTION = "How do I handle a senior mentee who says it feels awkward to learn from me?"


@dataclass
class Calls:
    """What the model was asked during one artifact: counts from every call."""

    seconds: float = 0.0
    prompt_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    decode_seconds: float = 0.0  # streamed replies: from the first chunk to the last
    decode_tokens: int = 0  # ... and the chunks after the first


class CountingModel:
    """The real model, with each call's time and tokens added to `calls`."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.calls = Calls()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def complete(self, messages: list[Message], **kwargs: Any) -> Completion:
        started = time.perf_counter()
        completion = self._model.complete(messages, **kwargs)
        self.calls.seconds += time.perf_counter() - started
        self.calls.prompt_tokens += completion.prompt_tokens or 0
        self.calls.output_tokens += completion.completion_tokens or 0
        self.calls.calls += 1
        return completion

    def stream(self, messages: list[Message], **kwargs: Any) -> TextStream:
        inner = self._model.stream(messages, **kwargs)
        calls = self.calls
        model = self._model

        def tokenize(text: str) -> int:  # the model's own tokenizer when it has one
            counter = getattr(model, "count_tokens", None)
            return counter(text) if counter else approx_tokens(text)

        def produce(notes: list[str]):  # noqa: ANN202
            started = time.perf_counter()
            first: float | None = None
            chunks = 0
            for chunk in inner:
                calls.output_tokens += 1
                chunks += 1
                if first is None:
                    first = time.perf_counter()
                yield chunk  # the pipeline's own work on each chunk counts as its decode time
            notes.extend(inner.notes)
            ended = time.perf_counter()
            calls.seconds += ended - started
            if first is not None and chunks > 1:
                calls.decode_seconds += ended - first
                calls.decode_tokens += chunks - 1
            # content tokens plus the chat template's few tokens per message
            calls.prompt_tokens += sum(tokenize(m["content"]) + 5 for m in messages)
            calls.calls += 1

        return TextStream(produce)


@dataclass
class Row:
    artifact: str
    total: float  # also "first visible, before": every page showed a spinner until the end
    first_visible: float | None  # what code shows before the model writes (plan, preview)
    first_visible_what: str
    first_model_text: float | None  # the first part the model wrote, shown as it arrives
    first_model_what: str
    prompt_tokens: int
    output_tokens: int
    model_seconds: float
    calls: int
    decode_tps: float = 0.0  # tokens/s after the first token, the pipeline's work included
    json: bool = True  # the reply is JSON under the schema's grammar (the chat answer is not)

    @property
    def generation_tps(self) -> float:
        return self.output_tokens / self.model_seconds if self.model_seconds else 0.0


class Clock:
    """When each kind of content first became visible, from the start of one artifact."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, kind: str) -> None:
        self.marks.setdefault(kind, time.perf_counter() - self.started)


def raw_decode(model: Any, *, schema: dict | None) -> float:
    """Tokens/s of the model decoding after a tiny prompt (the prompt's cost is negligible):
    free text, or JSON under `schema`'s grammar."""
    messages: list[Message] = [
        {"role": "user", "content": "Write a long paragraph about planning a meeting."}
    ]
    if schema is not None:
        messages = [{"role": "user", "content": "Describe a meeting plan as JSON."}]
    best = 0.0
    for _ in range(2):  # the first call also pays for loading; keep the faster
        completion = model.complete(messages, schema=schema, max_tokens=160, temperature=0.0)
        tokens = completion.completion_tokens or 0
        best = max(best, tokens / completion.seconds if completion.seconds else 0.0)
    return best


def measure(services: Services, counting: CountingModel) -> list[Row]:
    coach = services.coach
    rows = []

    def run(
        name: str, shown: str, model_shown: str, make: Callable[[Clock], Any], json: bool = True
    ) -> None:
        counting.calls = Calls()
        clock = Clock()
        make(clock)
        total = time.perf_counter() - clock.started
        calls = counting.calls
        rows.append(
            Row(
                artifact=name,
                total=total,
                first_visible=clock.marks.get("code"),
                first_visible_what=shown,
                first_model_text=clock.marks.get("model"),
                first_model_what=model_shown,
                prompt_tokens=calls.prompt_tokens,
                output_tokens=calls.output_tokens,
                model_seconds=calls.seconds,
                calls=calls.calls,
                decode_tps=calls.decode_tokens / calls.decode_seconds
                if calls.decode_seconds
                else 0.0,
                json=json,
            )
        )

    for minutes in (45, 90):
        agenda = AgendaRequest.from_input(
            topic="Using AI chatbots in everyday work",
            minutes=minutes,
            stage="middle",
            goals=["Try a chatbot on a real task", "Agree on a next step"],
        )

        def make_agenda(clock: Clock, request: AgendaRequest = agenda) -> Any:
            job = coach.plan_agenda(request)
            clock.mark("code")
            return coach.write_agenda(job, on_progress=lambda _a, _n: clock.mark("model"))

        run(f"agenda, {minutes} min", "the plan", "item 1 worded", make_agenda)

    starters = StartersRequest.from_input(topic="Using AI chatbots", stage="middle", count=6)

    def make_starters(clock: Clock) -> Any:
        def progress(so_far: list[Any]) -> None:
            if so_far:
                clock.mark("model")

        return coach.starters(starters, on_progress=progress)

    run("starters (6)", "-", "the first starter", make_starters)

    feedback = FeedbackRequest.from_input(notes=NOTES, names=["Priya", "Daniel"])

    def make_feedback(clock: Clock) -> Any:
        redact(feedback.notes, feedback.names)
        clock.mark("code")

        def progress(summary: str, _counts: dict[str, int]) -> None:
            if summary:
                clock.mark("model")

        return coach.feedback(feedback, on_progress=progress)

    run("feedback summary", "the redaction preview", "the summary paragraph", make_feedback)

    answer = AnswerRequest.from_input(question=QUESTION, persona="mentee")

    def make_answer(clock: Clock) -> Any:
        stream = coach.stream_answer(answer)
        if stream.sources:  # the page lists them ("Reading: [1] ...") before the answer
            clock.mark("code")
        for _ in stream:
            clock.mark("model")
        return stream.result

    run("chat answer", "its sources", "the first token", make_answer, json=False)
    return rows


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@dataclass
class Decode:
    """Raw decode speeds of the model, same run: free text, and under a JSON grammar with
    llama.cpp's stock grammar sampling and with the coach's candidate-first sampling."""

    free: float
    json_stock: float
    json_fast: float


def table(rows: list[Row], decode: Decode, before: dict[str, Any] | None = None) -> str:
    lines = [
        f"raw decode, same model, same run: {decode.free:.1f} tokens/s free text; under a JSON "
        f"grammar {decode.json_stock:.1f} tokens/s with llama.cpp's stock grammar sampling, "
        f"{decode.json_fast:.1f} with the coach's candidate-first sampling",
        "",
    ]
    old = {r["artifact"]: r for r in (before or {}).get("rows", [])}
    if before:
        lines += [
            f"before: {before.get('label', 'an earlier run')} (raw free decode "
            f"{before['free_tps']:.1f} tokens/s, load {before.get('load', '?')}); each time "
            "is also given in decode tokens (seconds x that run's raw free decode tokens/s)",
            "",
            "| artifact | first visible: before → now (s) | first model text: before → now (s) "
            "| complete: before → now (s) | complete: before → now (decode tokens) "
            "| prompt tok: before → now | output tok: before → now | decode tok/s: before → now "
            "| now vs raw decode, same grammar and sampling |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    else:
        lines += [
            "| artifact | first visible (s): what | first model text (s): what | complete (s) "
            "| complete (decode tokens) | prompt tok | output tok | decode tok/s "
            "| vs raw decode, same grammar and sampling |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for r in rows:
        # JSON replies are decoded candidate-first under the schema's grammar
        raw = decode.json_fast if r.json else decode.free
        ratio = r.decode_tps / raw if raw else 0.0
        first = r.first_visible if r.first_visible is not None else r.first_model_text
        what = r.first_visible_what if r.first_visible is not None else r.first_model_what
        if before and r.artifact in old:
            b = old[r.artifact]
            # a run before streaming showed only a spinner until the end
            b_first = b.get("first_visible") or b.get("first_model_text") or b["total"]
            b_decode = f"{b['decode_tps']:.1f}" if b.get("decode_tps") else "-"
            lines.append(
                f"| {r.artifact} | {b_first:.1f} → {_seconds(first)} ({what}) | "
                f"{_seconds(b.get('first_model_text'))} → {_seconds(r.first_model_text)} "
                f"({r.first_model_what}) | {b['total']:.1f} → {r.total:.1f} | "
                f"{b['total'] * before['free_tps']:.0f} → {r.total * decode.free:.0f} | "
                f"{b['prompt_tokens']} → {r.prompt_tokens} | {b['output_tokens']} → "
                f"{r.output_tokens} | {b_decode} → {r.decode_tps:.1f} | {ratio:.0%} |"
            )
        else:
            lines.append(
                f"| {r.artifact} | {_seconds(first)}: {what} | "
                f"{_seconds(r.first_model_text)}: {r.first_model_what} | {r.total:.1f} | "
                f"{r.total * decode.free:.0f} | {r.prompt_tokens} | {r.output_tokens} | "
                f"{r.decode_tps:.1f} | {ratio:.0%} |"
            )
    lines += [
        "",
        "decode tok/s = output tokens after the first / the time from the first to the last, "
        "the pipeline's own work on each chunk included; compared with the raw decode under the "
        "same grammar and sampling (free text for the chat answer). Prompt tokens of streamed "
        "replies are the model's token count of each message plus 5 for the chat template.",
    ]
    return "\n".join(lines)


def raw_decodes(llm_model: Any) -> Decode:
    """The three raw decode speeds (the stock one with candidate-first sampling switched off)."""
    from assistant.drafts import AgendaDraft

    schema = AgendaDraft.model_json_schema()
    free = raw_decode(llm_model, schema=None)
    llm_model.load()
    llm = llm_model._llm
    llm.candidate_first = False
    try:
        stock = raw_decode(llm_model, schema=schema)
    finally:
        llm.candidate_first = True
    fast = raw_decode(llm_model, schema=schema)
    return Decode(free, stock, fast)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--before",
        type=Path,
        help="a --json file from an earlier run (e.g. the previous release) for a "
        "before → now table",
    )
    parser.add_argument("--label", default="", help="what this run is (kept in --json)")
    args = parser.parse_args()
    os.environ.setdefault("COACH_MODEL", "local")
    settings = get_settings()
    services = Services(settings)
    counting = CountingModel(services.model)
    services.__dict__["model"] = counting  # the coach is built on the counting model

    decode = raw_decodes(counting._model)
    rows = measure(services, counting)
    load = f"{os.getloadavg()[0]:.2f}"
    print(f"model: {settings.local_model} · load: {load} (1-min average)")
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    print(table(rows, decode, before))
    if args.json:
        data = {
            "label": args.label,
            "load": load,
            "free_tps": decode.free,
            "json_tps": decode.json_stock,
            "json_fast_tps": decode.json_fast,
            "rows": [asdict(r) for r in rows],
        }
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
