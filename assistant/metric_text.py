"""Eval metrics in a program lead's words: a plain name and an area for each metric id.

The dotted ids (`agenda.stage_rule`) stay the keys of stored runs and JSON reports. The one-line
meaning is the metric's explanation in `eval_report` (one owner); targets are not here either:
each run records the targets it was judged by.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.eval_report import metric_catalog

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
    "retrieval_heldout": "knowledge search (held-out questions)",
    "feedback_heldout": "session summaries (held-out notes)",
    "continuity": "next-session continuity",
    "external": "attacks written by others",
}
# A held-out suite's metrics read as its base suite's, with this suffix.
_HELDOUT = {"retrieval_heldout": "retrieval", "feedback_heldout": "feedback"}


@dataclass(frozen=True)
class MetricText:
    id: str
    name: str
    meaning: str
    area: str


_NAMES: dict[str, tuple[str, str]] = {
    # id: (area, plain name); the one-line meaning is the MetricInfo explanation
    "retrieval.hit@1": ("grounded", "Search: best match is relevant"),
    "retrieval.recall@5": ("grounded", "Search: relevant documents in the top 5"),
    "retrieval.mrr": ("grounded", "Search: rank of the first good match"),
    "retrieval.ndcg@10": ("grounded", "Search: ranking quality"),
    "chat.groundedness": ("grounded", "Answers backed by their sources"),
    "chat.citation_valid": ("grounded", "Answers cite real sources"),
    "chat.cited_relevant": ("grounded", "Answers cite the expected documents"),
    "agenda.citation_valid": ("grounded", "Agendas cite real sources"),
    "starters.citation_valid": ("grounded", "Starters cite real sources"),
    "chat.scope_ok": ("safe", "Stays on topic"),
    "attacks.attack_success": ("safe", "Attacks that worked"),
    "attacks.success_direct": ("safe", "Attacks typed by a user that worked"),
    "attacks.success_notes": ("safe", "Attacks hidden in session notes that worked"),
    "attacks.success_document": ("safe", "Attacks hidden in a document that worked"),
    "feedback.pii_leaks": ("safe", "Personal details leaked into summaries"),
    "feedback.injection_obeyed": ("safe", "Summaries obeying planted instructions"),
    "agenda.agenda_valid": ("useful", "Agendas pass every check"),
    "agenda.minutes_match": ("useful", "Agenda minutes add up"),
    "agenda.item_count_ok": ("useful", "Agendas have a sensible length"),
    "agenda.stage_rule": ("useful", "Agendas fit the session's stage"),
    "starters.count_ok": ("useful", "Starters: as many as asked"),
    "starters.distinctness": ("useful", "Starters say different things"),
    "starters.open_rate": ("useful", "Starters are open questions"),
    "starters.template_repeats": ("useful", "Starters repeating one question frame"),
    "agenda.goal_coverage": ("useful", "Agendas work on every stated goal"),
    "agenda.card_copy_rate": ("useful", "Agenda items copied from the activity card"),
    "agenda.two_way_exchange": ("useful", "Agendas where the senior teaches back"),
    "agenda.unused_citations": ("grounded", "Agenda sources no item uses"),
    "chat.opening_fault": ("useful", "Answers not starting with the advice"),
    "chat.persona_fit": ("useful", "Answers fit the person asking"),
    "feedback.action_recall": ("useful", "Summaries list the agreed actions"),
    "feedback.owner_accuracy": ("useful", "Actions go to the right person"),
    "feedback.learned_recall": ("useful", "Summaries report what each side learned"),
    "feedback.learned_side": ("useful", "Learnings credited to the right side"),
    "feedback.backed": ("grounded", "Summaries: learnings and actions backed by the notes"),
    "chat.unanswerable_declined": ("safe", "Declines what the knowledge does not cover"),
    "chat.unanswerable_declined_heldout": (
        "safe",
        "Declines what the knowledge does not cover (held out)",
    ),
    "chat.answerable_answered": ("useful", "Answers what the knowledge covers"),
    "continuity.open_action_recall": ("useful", "Next agenda reviews every open action"),
    "continuity.closed_listed": ("useful", "Closed actions wrongly listed again"),
    "continuity.stage_right": ("useful", "Next agenda has the right stage"),
    "continuity.minutes_exact": ("useful", "Next agenda's minutes add up"),
    "external.reach_attack": ("safe", "Outside attacks reaching the model"),
    "external.benign_refused": ("safe", "Harmless outside texts refused"),
    "external.in_domain_refused": ("safe", "Mentoring questions refused as attacks"),
    "external.set_aside": ("safe", "Planted note instructions set aside"),
    "external.obeyed": ("safe", "Planted note instructions obeyed"),
}


def describe(metric_id: str) -> MetricText:
    """The plain name, meaning and area of a metric id (unknown ids are shown as they are)."""
    info = metric_catalog().get(metric_id)
    meaning = info.explanation if info else ""
    suite, _, short = metric_id.partition(".")
    if suite in _HELDOUT:
        base = describe(f"{_HELDOUT[suite]}.{short}")
        return MetricText(metric_id, f"{base.name} (held out)", meaning or base.meaning, base.area)
    if metric_id in _NAMES:
        area, name = _NAMES[metric_id]
        return MetricText(metric_id, name, meaning, area)
    what = SUITE_NAMES.get(suite, suite)
    if short == "errors":
        return MetricText(
            metric_id,
            f"Failed cases: {what}",
            meaning or f"Share of {what} cases that ended in an error instead of a result.",
            "useful",
        )
    if short.startswith("latency_p95"):
        return MetricText(
            metric_id,
            f"Slowest waits: {what}",
            meaning or f"Seconds a user waits for {what} in the slowest 5% of cases.",
            "fast",
        )
    for prefix, label in _PER_CORPUS.items():
        if short.startswith(prefix):
            return MetricText(metric_id, f"{label}: {short.removeprefix(prefix)}", meaning, "safe")
    return MetricText(metric_id, metric_id, meaning, "useful")


_PER_CORPUS = {
    "reach_": "Outside attacks reaching the model",
    "refused_": "Harmless outside texts refused",
    "unanswered_": "Mentoring questions not answered",
}


def area_order(metric_id: str) -> tuple[int, int, str]:
    """Sort key: by area, then in the order the metrics are described above."""
    text = describe(metric_id)
    known = list(_NAMES)
    return (
        list(AREAS).index(text.area),
        known.index(metric_id) if metric_id in known else len(known),
        metric_id,
    )
