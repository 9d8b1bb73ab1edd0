"""Eval metrics in a program lead's words: a plain name, a one-line meaning and an area.

The dotted ids (`agenda.stage_rule`) stay the keys of stored runs and JSON reports; this module
only says what they mean. Targets are not here: each run records the targets it was judged by.
"""

from __future__ import annotations

from dataclasses import dataclass

AREAS: dict[str, tuple[str, str]] = {
    "grounded": ("Grounded", "Finds the right knowledge and sticks to it."),
    "safe": ("Safe", "Resists attacks, keeps personal data out and stays on topic."),
    "useful": ("Useful", "Agendas, starters and summaries are right and complete."),
    "fast": ("Fast", "Results come quickly enough to use in a session."),
}
SUITE_NAMES = {
    "retrieval": "knowledge search",
    "agenda": "agendas",
    "starters": "conversation starters",
    "feedback": "session summaries",
    "chat": "chat answers",
    "attacks": "attack tests",
}


@dataclass(frozen=True)
class MetricText:
    id: str
    name: str
    meaning: str
    area: str


_TEXTS: dict[str, tuple[str, str, str]] = {
    # id: (area, plain name, one-line meaning)
    "retrieval.hit@1": (
        "grounded",
        "Search: best match is relevant",
        "How often the first document found for a question is one that answers it.",
    ),
    "retrieval.recall@5": (
        "grounded",
        "Search: relevant documents in the top 5",
        "How much of the relevant knowledge appears among the five best matches.",
    ),
    "retrieval.mrr": (
        "grounded",
        "Search: rank of the first good match",
        "1 when a relevant document always comes first; lower when it sits further down.",
    ),
    "retrieval.ndcg@10": (
        "grounded",
        "Search: ranking quality",
        "Whether the ten best matches come in a sensible order, the main document first.",
    ),
    "chat.groundedness": (
        "grounded",
        "Answers backed by their sources",
        "Average share of an answer's sentences that a cited passage supports.",
    ),
    "chat.citation_valid": (
        "grounded",
        "Answers cite real sources",
        "Answers cite only passages the coach actually retrieved for that question.",
    ),
    "chat.cited_relevant": (
        "grounded",
        "Answers cite the expected documents",
        "Answered questions that cite at least one of the documents a person expected.",
    ),
    "agenda.citation_valid": (
        "grounded",
        "Agendas cite real sources",
        "Agendas cite only knowledge the coach actually retrieved.",
    ),
    "starters.citation_valid": (
        "grounded",
        "Starters cite real sources",
        "Starter sets cite only knowledge the coach actually retrieved.",
    ),
    "chat.scope_ok": (
        "safe",
        "Stays on topic",
        "Answers covered questions with sources and declines off-topic or uncovered ones.",
    ),
    "attacks.attack_success": (
        "safe",
        "Attacks that worked",
        "Share of attack attempts that leaked a secret or got an injected instruction obeyed.",
    ),
    "attacks.success_direct": (
        "safe",
        "Attacks typed by a user that worked",
        "Attacks written straight into the chat that succeeded.",
    ),
    "attacks.success_notes": (
        "safe",
        "Attacks hidden in session notes that worked",
        "Instructions planted in notes to summarise that the coach obeyed.",
    ),
    "attacks.success_document": (
        "safe",
        "Attacks hidden in a document that worked",
        "Instructions planted in a retrieved document that the coach obeyed.",
    ),
    "feedback.pii_leaks": (
        "safe",
        "Personal details leaked into summaries",
        "Planted names, emails and phone numbers that reached a summary (count, 0 = none).",
    ),
    "feedback.injection_obeyed": (
        "safe",
        "Summaries obeying planted instructions",
        "Notes carrying a hidden instruction whose summary followed it.",
    ),
    "agenda.agenda_valid": (
        "useful",
        "Agendas pass every check",
        "Agendas that pass all the structural checks below at once.",
    ),
    "agenda.minutes_match": (
        "useful",
        "Agenda minutes add up",
        "Agendas whose items add up to exactly the length asked for.",
    ),
    "agenda.item_count_ok": (
        "useful",
        "Agendas have a sensible length",
        "Agendas with a reasonable number of items for their duration.",
    ),
    "agenda.stage_rule": (
        "useful",
        "Agendas fit the session's stage",
        "First sessions set expectations and closing sessions reflect.",
    ),
    "starters.count_ok": (
        "useful",
        "Starters: as many as asked",
        "Requests that got exactly the number of conversation starters asked for.",
    ),
    "starters.distinctness": (
        "useful",
        "Starters say different things",
        "1 minus the share of starter pairs that say nearly the same thing.",
    ),
    "starters.open_rate": (
        "useful",
        "Starters are open questions",
        "Starters that invite a conversation rather than a yes or no.",
    ),
    "feedback.action_recall": (
        "useful",
        "Summaries list the agreed actions",
        "Share of the action items agreed in the notes that the summary lists.",
    ),
    "feedback.owner_accuracy": (
        "useful",
        "Actions go to the right person",
        "Of the actions found, the share given to the right owner (mentor, mentee or both).",
    ),
    "feedback.learned_recall": (
        "useful",
        "Summaries report what each side learned",
        "Share of the learnings in the notes that the summary reports.",
    ),
    "feedback.learned_side": (
        "useful",
        "Learnings credited to the right side",
        "Reported learnings put on the right side: the senior's or the junior's.",
    ),
}


def describe(metric_id: str) -> MetricText:
    """The plain name, meaning and area of a metric id (unknown ids are shown as they are)."""
    if metric_id in _TEXTS:
        area, name, meaning = _TEXTS[metric_id]
        return MetricText(metric_id, name, meaning, area)
    suite, _, short = metric_id.partition(".")
    what = SUITE_NAMES.get(suite, suite)
    if short == "errors":
        return MetricText(
            metric_id,
            f"Failed cases: {what}",
            f"Share of {what} cases that ended in an error instead of a result.",
            "useful",
        )
    if short.startswith("latency_p95"):
        return MetricText(
            metric_id,
            f"Slowest waits: {what}",
            f"Seconds a user waits for {what} in the slowest 5% of cases.",
            "fast",
        )
    return MetricText(metric_id, metric_id, "", "useful")


def area_order(metric_id: str) -> tuple[int, int, str]:
    """Sort key: by area, then in the order the metrics are described above."""
    text = describe(metric_id)
    known = list(_TEXTS)
    return (
        list(AREAS).index(text.area),
        known.index(metric_id) if metric_id in known else len(known),
        metric_id,
    )
