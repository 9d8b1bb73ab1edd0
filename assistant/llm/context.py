"""Fit a conversation into a context window before it reaches a model.

An oversized prompt is cut here, with a note the caller can show, instead of failing deep
inside llama.cpp (or as an HTTP 400 from a server). Order of sacrifice: the oldest turns of
the conversation first, then the middle of the longest message, so that the instructions at
the start and the question at the end survive.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.llm.base import Message

# Chat templates wrap each message in role markers (Qwen: `<|im_start|>role\n...<|im_end|>\n`).
PER_MESSAGE_OVERHEAD = 8
# Room for the assistant header, a default system prompt some templates inject, and rounding.
FIXED_OVERHEAD = 48
CUT_MARKER = "\n[... {n} tokens cut to fit the model's context window ...]\n"


def approx_tokens(text: str) -> int:
    """A deliberately pessimistic estimate (3 characters per token) for servers whose
    tokenizer we do not have; English averages about 4 with Qwen and GPT tokenizers."""
    return (len(text) + 2) // 3


def length_note(max_tokens: int) -> str:
    return f"The answer reached the {max_tokens}-token limit and may be cut short."


def output_budget(context_window: int, max_tokens: int) -> tuple[int, list[str]]:
    """Clamp `max_tokens` so at least half the window is left for the prompt."""
    limit = max(16, context_window // 2)
    if max_tokens <= limit:
        return max_tokens, []
    return limit, [
        f"The answer length was limited to {limit} tokens (asked for {max_tokens}) to leave "
        f"room for the prompt in the {context_window}-token context window."
    ]


def fit_messages(
    messages: list[Message],
    *,
    context_window: int,
    max_tokens: int,
    count_tokens: Callable[[str], int],
) -> tuple[list[Message], list[str]]:
    """Return messages whose prompt fits `context_window - max_tokens`, and notes saying what
    was cut. Messages that already fit are returned unchanged (same list, no notes)."""
    budget = context_window - max_tokens - FIXED_OVERHEAD
    sizes = [count_tokens(m["content"]) + PER_MESSAGE_OVERHEAD for m in messages]
    before = sum(sizes)
    if before <= budget:
        return messages, []

    fitted: list[Message] = [{"role": m["role"], "content": m["content"]} for m in messages]
    dropped = 0
    # Drop the oldest turns between the leading system messages and the last message.
    first = next((i for i, m in enumerate(fitted) if m["role"] != "system"), len(fitted))
    while sum(sizes) > budget and first < len(fitted) - 1:
        del fitted[first]
        del sizes[first]
        dropped += 1

    removed = 0
    if sum(sizes) > budget:
        longest = max(range(len(fitted)), key=sizes.__getitem__)
        content = fitted[longest]["content"]
        excess = sum(sizes) - budget
        new_content, removed = _cut_middle(content, excess, count_tokens)
        fitted[longest]["content"] = new_content
        sizes[longest] = count_tokens(new_content) + PER_MESSAGE_OVERHEAD

    after = sum(sizes)
    what = []
    if dropped:
        what.append(f"{dropped} earlier message{'s' if dropped != 1 else ''} dropped")
    if removed:
        what.append(f"about {removed} tokens removed from the middle of the longest message")
    note = (
        f"The prompt was cut from about {before} to {after} tokens to fit the "
        f"{context_window}-token context window ({'; '.join(what)})."
    )
    return fitted, [note]


def _cut_middle(text: str, excess: int, count_tokens: Callable[[str], int]) -> tuple[str, int]:
    """Remove enough of the middle of `text` to save `excess` tokens (plus the marker)."""
    total = max(1, count_tokens(text))
    chars_per_token = max(1.0, len(text) / total)
    cut_tokens = excess + count_tokens(CUT_MARKER.format(n=total)) + 4
    for _ in range(6):
        if cut_tokens >= total:
            # Even the whole message is too much: keep a short tail (the question is last).
            tail = text[-200:]
            return CUT_MARKER.format(n=total).lstrip() + tail, total
        cut_chars = int(cut_tokens * chars_per_token)
        keep = len(text) - cut_chars
        head, tail = text[: keep // 2], text[len(text) - (keep - keep // 2) :]
        candidate = head + CUT_MARKER.format(n=cut_tokens) + tail
        if count_tokens(candidate) <= total - excess:
            return candidate, cut_tokens
        cut_tokens = int(cut_tokens * 1.15) + 8
    return candidate, cut_tokens


def fit_request(
    messages: list[Message],
    *,
    context_window: int,
    max_tokens: int,
    count_tokens: Callable[[str], int],
) -> tuple[list[Message], int, list[str]]:
    """Both steps every backend runs before a request: clamp the answer length, then cut the
    prompt to what is left. Returns (messages, max_tokens, notes)."""
    max_tokens, notes = output_budget(context_window, max_tokens)
    fitted, cut_notes = fit_messages(
        messages, context_window=context_window, max_tokens=max_tokens, count_tokens=count_tokens
    )
    return fitted, max_tokens, notes + cut_notes
