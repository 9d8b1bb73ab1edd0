"""Feedback summaries from session notes, with personal data redacted before the model sees
anything and planted instructions neutralised: the notes are data, never instructions."""

from __future__ import annotations

import re
import time

from assistant.drafts import FeedbackDraft
from assistant.guard import leaks_instructions, sanitize_untrusted, strip_foreign_script
from assistant.llm.base import ChatModel
from assistant.llm.structured import complete_structured
from assistant.privacy import redact
from assistant.prompts import PromptLibrary
from assistant.schemas import ActionItem, FeedbackRequest, FeedbackSummary
from assistant.text import split_sentences

_ROLE_WORDS = {
    "mentor": "Mentor",
    "[mentor]": "Mentor",
    "junior": "Mentor",
    "junior mentor": "Mentor",
    "mentee": "Mentee",
    "[mentee]": "Mentee",
    "senior": "Mentee",
    "senior mentee": "Mentee",
    "both": "Both",
    "pair": "Both",
    "both of us": "Both",
    "mentor and mentee": "Both",
}
_STOP = {"by", "on", "the", "next", "before", "end", "of", "in", "a", "at", "due"}
_DUE_IN_ACTION = re.compile(
    r"\s*[(,]?\s*\b(?:by|before|due)\s+((?:next\s+|this\s+|end of\s+)?(?:monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|week|month|tomorrow|\d{1,2}(?:st|nd|rd|th)?\s+"
    r"[a-z]{3,9}|[a-z]{3,9}\s+\d{1,2}(?:st|nd|rd|th)?|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}"
    r"(?:/\d{2,4})?))\)?",
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^\s*(the\s+)?(mentor|junior|mentee|senior)\b", re.IGNORECASE)
_LEARNED_BY = re.compile(
    r"^\s*(?:the\s+)?[\w\[\]-]+\s+(?:has\s+)?(?:learned|learnt|discovered|realised|realized|"
    r"saw|found out)\s+(?:about\s+|that\s+)?",
    re.IGNORECASE,
)


def _split_due(action: str) -> tuple[str, str | None]:
    """'send the checklist by Monday' -> ('send the checklist', 'Monday')."""
    match = _DUE_IN_ACTION.search(action)
    if not match:
        return action, None
    return (action[: match.start()] + action[match.end() :]).strip(" ,.;"), match.group(1)


def what_was_learned(sentence: str) -> str:
    """The learning without who learned it: "The senior learned that X" -> "X"."""
    return _LEARNED_BY.sub("", sentence)


def _learning_key(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", what_was_learned(sentence).lower()).split())


def _fix_ledger(senior: list[str], junior: list[str]) -> tuple[list[str], list[str], int]:
    """Route each sentence to the side its subject names, and never show one learning on both
    sides. Returns both lists and how many learnings the model gave to both sides (kept once,
    where it listed them first, under the senior: the reader is told to check)."""
    sentences = [(s, "senior") for item in senior for s in split_sentences(item)]
    sentences += [(s, "junior") for item in junior for s in split_sentences(item)]
    fixed: dict[str, list[str]] = {"senior": [], "junior": []}
    for sentence, side in sentences:
        sentence = sentence.strip()
        match = _SUBJECT.match(sentence)
        if match:
            side = "junior" if match.group(2).lower() in ("mentor", "junior") else "senior"
        if sentence and sentence not in fixed[side]:
            fixed[side].append(sentence)
    senior_keys = {_learning_key(s) for s in fixed["senior"]}
    junior = [s for s in fixed["junior"] if _learning_key(s) not in senior_keys]
    return fixed["senior"], junior, len(fixed["junior"]) - len(junior)


def _readable(text: str) -> str:
    # "the junior mentor [MENTOR]" would read "the junior mentor the mentor".
    text = re.sub(
        r"\b(?:the\s+)?(?:junior|senior)?\s*(?:mentor|mentee)\s+(\[MENTOR\]|\[MENTEE\])",
        r"\1",
        text,
        flags=re.IGNORECASE,
    )
    for tag, role in (("[MENTOR]", "mentor"), ("[MENTEE]", "mentee")):
        text = re.sub(rf"(^|[.!?]\s+){re.escape(tag)}", rf"\1The {role}", text)
        text = text.replace(tag, f"the {role}")
    return text


def _owner(raw: str) -> str:
    key = raw.strip().lower()
    return _ROLE_WORDS.get(key, raw.strip() or "Unassigned")


def _due_is_stated(due: str | None, notes: str) -> str | None:
    """Keep a due date only when the notes say it: a model must not invent deadlines."""
    if not due or due.strip().lower() in {"null", "none", "n/a", "tbd", "unknown", ""}:
        return None
    words = [w for w in re.findall(r"[a-z0-9]+", due.lower()) if w not in _STOP]
    low = notes.lower()
    return due.strip() if words and all(w in low for w in words) else None


def build_feedback(
    model: ChatModel, prompts: PromptLibrary, request: FeedbackRequest
) -> FeedbackSummary:
    started = time.perf_counter()
    notes, names = request.notes, request.names
    redaction = redact(notes, names)
    sanitized = sanitize_untrusted(redaction.text)
    messages = prompts.get("feedback").render(notes=sanitized.text)
    draft, completion = complete_structured(model, messages, FeedbackDraft, max_tokens=900)
    assert isinstance(draft, FeedbackDraft)

    def clean(text: str) -> str:
        # Anything personal the model reconstructed is hidden again before it is shown.
        text = strip_foreign_script(redact(text, names).text)
        return "" if leaks_instructions(text) else _readable(text).strip()

    def clean_list(values: list[str]) -> list[str]:
        return [c for c in (clean(v) for v in values) if c]

    actions = []
    seen = set()
    for item in draft.action_items:
        action, due_in_text = _split_due(clean(item.action))
        key = action.lower()
        if not action or key in seen:
            continue
        seen.add(key)
        owner = clean(_owner(item.owner)) or "Unassigned"
        actions.append(
            ActionItem(
                owner=owner[:1].upper() + owner[1:],
                action=action,
                due=_due_is_stated(item.due or due_in_text, redaction.text),
            )
        )
    run_notes = list(completion.notes)
    if sanitized.removed:
        run_notes.append(
            f"{sanitized.removed} line(s) in the notes looked like instructions to the "
            "assistant and were ignored."
        )
    summary = clean(draft.summary) or "The model did not produce a usable summary."
    senior_learned, junior_learned, on_both = _fix_ledger(
        clean_list(draft.senior_learned), clean_list(draft.junior_learned)
    )
    if on_both:
        run_notes.append(
            f"The model listed {on_both} learning(s) for both the senior and the junior; each "
            "is shown once, under what the senior learned. Check who really learned it."
        )
    return FeedbackSummary(
        summary=summary,
        went_well=clean_list(draft.went_well),
        senior_learned=senior_learned,
        junior_learned=junior_learned,
        challenges=clean_list(draft.challenges),
        action_items=actions,
        next_focus=clean(draft.next_focus),
        redactions=redaction.count,
        backend=completion.backend,
        model=completion.model,
        prompt_version=prompts.get("feedback").version,
        seconds=round(time.perf_counter() - started, 2),
        notes=run_notes,
    )
