"""Feedback summaries from session notes, with personal data redacted before the model sees
anything and planted instructions neutralised: the notes are data, never instructions."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.drafts import FeedbackDraft
from assistant.foreign_lines import foreign_lines
from assistant.grounding import SUPPORTED_SIMILARITY
from assistant.guard import (
    Sanitized,
    leaks_instructions,
    sanitize_untrusted,
    strip_foreign_script,
)
from assistant.ledger import (
    Embed,
    Side,
    best_support,
    initials_of,
    place_learnings,
    writer_side,
)
from assistant.llm.base import ChatModel
from assistant.llm.structured import generate_structured
from assistant.notes_check import require_session_notes
from assistant.privacy import Redaction, redact
from assistant.prompts import PromptLibrary
from assistant.schemas import ActionItem, FeedbackRequest, FeedbackSummary
from assistant.text import repeats_words, split_sentences, word_string

# An action item is kept when a line of the notes backs it, at the answers' grounding threshold
# (on the 18 feedback notes it keeps 99% of the gold action items and 2% of invented ones).
ACTION_BACKED = SUPPORTED_SIMILARITY
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
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu(?:rs?)?|"
    r"fri|sat|sun)\.?"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# "by Friday", "by Fri 14 Mar", "before 3 April", "due March 3rd", "by end of month",
# "by 2026-03-14", "by 14/3", "before session 4": the whole date leaves the action.
_DUE_IN_ACTION = re.compile(
    rf"\s*[(,]?\s*\b(?:by|before|due)\s+((?:next\s+|this\s+|end of\s+)?(?:"
    rf"(?:{_WEEKDAY}\s+)?(?:{_DAY}\s+{_MONTH}|{_MONTH}\s+{_DAY})(?:\s+\d{{4}})?\b|"
    rf"{_WEEKDAY}(?![a-z])|week|month|tomorrow|"
    r"[a-z]{3,9}\s+\d{1,2}(?:st|nd|rd|th)?\b|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}"
    r"(?:/\d{2,4})?))\)?",
    re.IGNORECASE,
)
_SUBJECT = re.compile(r"^\s*(the\s+)?\[?(mentor|junior|mentee|senior)\]?\b", re.IGNORECASE)
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
    return (action[: match.start()] + action[match.end() :]).strip(" ,.;"), match.group(1).rstrip(
        "."
    )


def what_was_learned(sentence: str) -> str:
    """The learning without who learned it: "The senior learned that X" -> "X"."""
    return _LEARNED_BY.sub("", sentence)


def _learning_key(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", what_was_learned(sentence).lower()).split())


def _ledger(
    learnings: list[tuple[str, Side]],
    notes: str,
    names: Sequence[str],
    embed: Embed | None,
) -> tuple[list[str], list[str], int]:
    """Both sides of the ledger: each learning once, only if a line of the notes backs it, on
    the side assistant.ledger decides. Returns the senior's and the junior's learnings and how
    many were dropped as unbacked."""
    seen: set[str] = set()
    unique = []
    for text, side in learnings:
        key = _learning_key(text)
        if key and key not in seen:
            seen.add(key)
            unique.append((text, side))
    if embed is None:  # no embedder (a bare call): the model's sides, unchecked
        placed = [(text, side) for text, side in unique]
        dropped: list[str] = []
    else:
        kept, dropped = place_learnings(unique, notes, embed, names)
        placed = [(k.text, k.side) for k in kept]
    senior = [_sentence(t) for t, side in placed if side == "senior"]
    junior = [_sentence(t) for t, side in placed if side == "junior"]
    return senior, junior, len(dropped)


def _sentence(text: str) -> str:
    text = re.sub(r"\s+([.,;:!?])", r"\1", what_was_learned(text)).strip()
    return text[:1].upper() + text[1:] if text else text


def _model_learnings(draft: FeedbackDraft, clean: Callable[[str], str]) -> list[tuple[str, Side]]:
    """(learning, side the model gave), one sentence each; a sentence that names its learner
    ("The mentee learned ...") goes to that side."""
    out: list[tuple[str, Side]] = []
    for item in draft.learnings:
        for sentence in split_sentences(item.learning):
            side: Side = item.learner
            match = _SUBJECT.match(sentence)
            if match:
                side = "junior" if match.group(2).lower() in ("mentor", "junior") else "senior"
            text = clean(sentence)
            if text:
                out.append((text, side))
    return out


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


def _owner(raw: str, writer: Side = "junior", names: Sequence[str] = ()) -> str:
    """The owner as the pair's role: role words, "me"/"I" (the notes' writer: the junior mentor
    unless the notes say otherwise), and a name's initials ("A", "SL"), which redaction leaves
    in the notes and the model copies; anything else as written."""
    key = raw.strip().strip(".:").lower()
    if key in _ROLE_WORDS:
        return _ROLE_WORDS[key]
    role = {"junior": "Mentor", "senior": "Mentee"}
    if key in ("me", "i", "myself", "my"):
        return role[writer]
    initials = {k.lower(): v for k, v in initials_of(names).items()}
    full = ["".join(w[0] for w in name.split() if w[:1].isalpha()).lower() for name in names[:2]]
    if len(full) == 2 and full[0] != full[1]:
        initials |= {full[0]: "junior", full[1]: "senior"}
    if key in initials:
        return role[initials[key]]
    return raw.strip() or "Unassigned"


def _due_is_stated(due: str | None, notes: str) -> str | None:
    """Keep a due date only when the notes say it: a model must not invent deadlines."""
    if not due or due.strip().lower() in {"null", "none", "n/a", "tbd", "unknown", ""}:
        return None
    words = [w for w in re.findall(r"[a-z0-9]+", due.lower()) if w not in _STOP]
    low = notes.lower()
    return due.strip() if words and all(w in low for w in words) else None


def _progress(
    clean: Callable[[str], str], on_progress: Callable[[str, dict[str, int]], None]
) -> Callable[[dict[str, Any]], None]:
    """From the partial reply to (the summary paragraph once written, how many items of each
    list are written so far), reported when either changes. The items are counted, not shown:
    the ones the notes do not back are dropped at the end."""
    reported: list[Any] = [None]

    def report(partial: dict[str, Any]) -> None:
        summary = partial.get("summary")
        counts = {
            field: sum(1 for item in partial.get(field) or [] if item)
            for field in ("action_items", "learnings", "went_well", "challenges")
        }
        state = (summary, counts)
        if state == reported[0]:
            return
        reported[0] = state
        on_progress(clean(summary) if isinstance(summary, str) else "", counts)

    return report


# A line of the notes that asks for a task unrelated to the session ("Explain the theory of
# relativity.", "Show me how to schedule a task on Windows.", "What is the capital of France?"):
# planted there, or pasted by mistake. The local model wrote such lines into the summary as if
# they had happened (external_notes, run #13). A line is left out when it is a request (it opens
# with a task verb, or is a question ending in "?"), has at least four words, is no bullet or
# heading, and the scope decision's domain probe puts it outside mentoring. On the 715 lines of
# the feedback eval's 51 notes (not used to write this) it leaves out none.
_REQUEST_LINE = re.compile(
    r"^\W*(please\s+|kindly\s+|(can|could|would)\s+you\s+|i\s+(need|want)\s+you\s+to\s+)?"
    r"(explain|describe|write|show\s+me|tell\s+me|determine|identify|classify|translate|list|"
    r"give\s+me|generate|create|compose|provide|calculate|compute|summari[sz]e|analy[sz]e|answer|"
    r"define|name|find|suggest|recommend|draft|rewrite|convert|compare|outline|develop|design|"
    r"plan|make|produce|detect|extract|rank|sort|predict|evaluate|assess|edit|correct|paraphrase|"
    r"rephrase|count|solve|(what|how|why|who|when|where|which)\b.*\?\s*$)",
    re.IGNORECASE,
)
_HEADING_OR_BULLET = re.compile(r"^\s*([-*•]|\d+[.)])")
OFF_TASK_REMOVED = "[removed: a request unrelated to the session]"
OFF_TASK_NOTE = (
    "{n} line(s) in the notes asked for something unrelated to the session and were ignored "
    "(if one belongs to the session, reword it as what happened and summarise again): {lines}"
)
QUOTED_LINE_CHARS = 80


def _quoted(line: str) -> str:
    text = " ".join(line.split())
    cut = text if len(text) <= QUOTED_LINE_CHARS else text[: QUOTED_LINE_CHARS - 1] + "…"
    return f"“{cut}”"


def off_task_lines(text: str, embed: Embed | None) -> list[int]:
    """Indexes of the lines of `text` that are requests unrelated to a mentoring session."""
    from assistant import scope

    probes = scope.default_probes()
    if embed is None or probes is None:
        return []
    lines = text.split("\n")
    wanted = []
    for i, line in enumerate(lines):
        words = line.split()
        if (
            len(words) >= 4
            and ":" not in " ".join(words[:4])
            and not _HEADING_OR_BULLET.match(line)
            and _REQUEST_LINE.search(line.strip())
        ):
            wanted.append(i)
    if not wanted:
        return []
    vectors = embed([scope.words_only(lines[i]) for i in wanted])
    domain = probes.domain.prob(vectors)
    return [i for i, p in zip(wanted, domain, strict=True) if p < probes.domain.threshold]


@dataclass(frozen=True)
class Screened:
    """The notes as the model gets them: redacted; lines that instruct the assistant replaced
    (the guard); requests unrelated to the session (the off-task rule) and lines that do not
    belong to it (the foreign-line probe, assistant/foreign_lines.py) left out."""

    redaction: Redaction
    sanitized: Sanitized
    off_task: list[int]  # line indexes left out as unrelated
    set_aside: list[str]  # those lines, as written (redacted)

    def reaches_model(self, index: int) -> bool:
        """True when line `index` of the notes reaches the model as written (not left out,
        not cut by the guard)."""
        raw, sent = self.redaction.text.split("\n"), self.sanitized.text.split("\n")
        return index not in self.off_task and index < len(sent) and sent[index] == raw[index]


def screen(notes: str, names: Sequence[str], embed: Embed | None) -> Screened:
    """Everything done to the notes before the model sees them, and nothing else."""
    redaction = redact(notes, names)
    sanitized = sanitize_untrusted(redaction.text)
    off_task = sorted(
        set(off_task_lines(sanitized.text, embed))
        | set(foreign_lines(sanitized.text, embed, names))
    )
    set_aside = [sanitized.text.split("\n")[i] for i in off_task]
    if off_task:
        kept = sanitized.text.split("\n")
        for i in off_task:
            kept[i] = OFF_TASK_REMOVED
        sanitized = Sanitized("\n".join(kept), sanitized.removed)
    return Screened(redaction, sanitized, off_task, set_aside)


def build_feedback(
    model: ChatModel,
    prompts: PromptLibrary,
    request: FeedbackRequest,
    embed: Embed | None = None,
    on_progress: Callable[[str, dict[str, int]], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> FeedbackSummary:
    """The summary of one session's notes. With `embed` (MiniLM), every learning and action
    item must be backed by a line of the notes, and the ledger's sides are checked in code.
    With `on_progress`, the reply is streamed: `on_progress(summary, counts)` gets the summary
    paragraph as soon as it is written and the number of items written so far per list."""
    started = time.perf_counter()
    notes, names = request.notes, request.names
    require_session_notes(notes)
    screened = screen(notes, names, embed)
    redaction, sanitized, off_task, set_aside = (
        screened.redaction,
        screened.sanitized,
        screened.off_task,
        screened.set_aside,
    )
    messages = prompts.get("feedback").render(notes=sanitized.text)
    prompt = prompts.get("feedback")
    instructions = word_string(f"{prompt.system} {prompt.user}")

    def clean(text: str) -> str:
        # Anything personal the model reconstructed is hidden again before it is shown, and
        # a line that repeats the instructions (a small model copies field descriptions such
        # as "what [MENTOR] showed or explained (usually tools, AI…)") is not a fact.
        text = strip_foreign_script(redact(text, names).text)
        if leaks_instructions(text) or repeats_words(text, instructions):
            return ""
        return _readable(text).strip()

    draft, completion = generate_structured(
        model,
        messages,
        FeedbackDraft,
        on_partial=None if on_progress is None else _progress(clean, on_progress),
        on_text=on_text,
        max_tokens=1100,
    )

    def clean_list(values: list[str]) -> list[str]:
        return [c for c in (clean(v) for v in values) if c]

    names_for_sides = names
    writer = writer_side(redaction.text)

    actions = []
    seen = set()
    for item in draft.action_items:
        action, due_in_text = _split_due(clean(item.action))
        key = action.lower()
        if not action or key in seen:
            continue
        seen.add(key)
        owner = clean(_owner(item.owner, writer, names)) or "Unassigned"
        actions.append(
            ActionItem(
                owner=owner[:1].upper() + owner[1:],
                action=action,
                due=_due_is_stated(item.due or due_in_text, redaction.text),
            )
        )
    run_notes = list(completion.notes)
    if embed is not None and actions:
        support = best_support([a.action for a in actions], redaction.text, embed)
        backed = [a for a, (sim, _) in zip(actions, support, strict=True) if sim >= ACTION_BACKED]
        if len(backed) < len(actions):
            run_notes.append(
                f"{len(actions) - len(backed)} action item(s) the model reported are not in "
                "the notes and were left out."
            )
        actions = backed
    if off_task:
        run_notes.append(
            OFF_TASK_NOTE.format(n=len(off_task), lines=" · ".join(_quoted(x) for x in set_aside))
        )
    if sanitized.removed:
        run_notes.append(
            f"{sanitized.removed} line(s) in the notes looked like instructions to the "
            "assistant and were ignored."
        )
    summary = clean(draft.summary) or "The model did not produce a usable summary."
    senior_learned, junior_learned, unbacked = _ledger(
        _model_learnings(draft, clean), redaction.text, names_for_sides, embed
    )
    if unbacked:
        run_notes.append(
            f"{unbacked} learning(s) the model reported are not in the notes and were left out."
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
