"""Where people wait: each artifact on the local model, first visible content and total time.

    .venv/bin/python benchmarks/artifacts.py [--json PATH]

For a 45- and a 90-minute agenda, six starters, a feedback summary and a chat answer, one run
each on the default local model with the project's real index and prompts:
- "first visible": what the page can show before the model has finished. Before this release
  every page showed only a spinner until the end, so "before" is the complete time measured in
  the same run. Now the page first shows what code makes (the agenda's plan, the feedback's
  redaction preview), then the model's text as it is written (each agenda item's wording, each
  starter, the summary's paragraph, the chat answer's tokens); both times are given.
- prompt and output tokens (llama.cpp's own counts for whole replies; for streamed ones, one
  token per chunk as llama.cpp streams them, and the prompt estimated), generation tokens/s
  over the model's time, and the raw decode speed of the same model measured in the same run:
  free text, and with a JSON grammar (constrained decoding is slower), each after a tiny
  prompt.
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
        tokenize = approx_tokens

        def produce(notes: list[str]):  # noqa: ANN202
            started = time.perf_counter()
            for chunk in inner:
                calls.output_tokens += 1
                yield chunk
            notes.extend(inner.notes)
            calls.seconds += time.perf_counter() - started
            calls.prompt_tokens += sum(tokenize(m["content"]) for m in messages)
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

    def run(name: str, shown: str, model_shown: str, make: Callable[[Clock], Any]) -> None:
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
        for _ in stream:
            clock.mark("model")
        return stream.result

    run("chat answer", "- (sources come with the end)", "the first token", make_answer)
    return rows


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(rows: list[Row], free_tps: float, json_tps: float) -> str:
    lines = [
        f"raw decode, same model, same run: {free_tps:.1f} tokens/s free text, "
        f"{json_tps:.1f} tokens/s under a JSON grammar",
        "",
        "| artifact | first visible before (s) | first visible now (s): what | first model text "
        "(s): what | complete (s) | complete (decode tokens) | prompt tok | output tok | "
        "gen tok/s | vs raw JSON decode |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r.generation_tps / json_tps if json_tps else 0.0
        first = r.first_visible if r.first_visible is not None else r.first_model_text
        lines.append(
            f"| {r.artifact} | {r.total:.1f} | {_seconds(first)}: "
            f"{r.first_visible_what if r.first_visible is not None else r.first_model_what} | "
            f"{_seconds(r.first_model_text)}: {r.first_model_what} | {r.total:.1f} | "
            f"{r.total * free_tps:.0f} | {r.prompt_tokens} | {r.output_tokens} | "
            f"{r.generation_tps:.1f} | {ratio:.0%} |"
        )
    lines += [
        "",
        "Before: every page showed only a spinner until the end, so the first visible content "
        "came with the complete result. gen tok/s = output tokens / the model's time, prompt "
        "processing included (so it is below the raw decode speed by the prompt's share).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("COACH_MODEL", "local")
    settings = get_settings()
    services = Services(settings)
    counting = CountingModel(services.model)
    services.__dict__["model"] = counting  # the coach is built on the counting model
    from assistant.drafts import AgendaDraft

    free_tps = raw_decode(counting._model, schema=None)
    json_tps = raw_decode(counting._model, schema=AgendaDraft.model_json_schema())
    rows = measure(services, counting)
    print(f"model: {settings.local_model} · load: {os.getloadavg()[0]:.2f} (1-min average)")
    print(table(rows, free_tps, json_tps))
    if args.json:
        data = {"free_tps": free_tps, "json_tps": json_tps, "rows": [asdict(r) for r in rows]}
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
