"""Users' voice: a thumbs-down item shared with the program team, and eval cases made from it.

Nothing a user rated reaches the program team unless that user shares it, after seeing the
redacted text that would be stored (emails, phone numbers and web addresses replaced by
`assistant.privacy`). Only shared items can become eval cases; a lead sees counts otherwise.
Eval cases made here are kept in the history database (`shared_items.eval_case`) and are
downloaded as JSONL in the chat suite's format, to be reviewed and added to
`evals/datasets/chat.jsonl` by whoever maintains the evals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assistant.errors import InputError
from assistant.privacy import redact
from assistant.store import Store

NOTE_CHARS = 500


@dataclass(frozen=True)
class SharePreview:
    artifact_id: int
    text: str  # exactly what would be stored
    redactions: int


def _plain_text(kind: str, payload: dict[str, Any]) -> str:
    if kind == "answer":
        return f"Question: {payload.get('question', '')}\n\nAnswer: {payload.get('answer', '')}"
    lines = [f"{kind.capitalize()}:"]

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.strip():
            lines.append(value.strip())
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("backend", "model", "prompt_version", "created_at", "kind"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload)
    return "\n".join(lines)


def preview(store: Store, artifact_id: int) -> SharePreview:
    """The redacted text sharing this item would store; nothing is stored."""
    stored = store.get_artifact(artifact_id)
    if stored is None:
        raise InputError(f"There is no saved item #{artifact_id}.", "Pick one from the history.")
    redaction = redact(_plain_text(stored.kind, stored.payload))
    return SharePreview(artifact_id, redaction.text, redaction.count)


def share(store: Store, artifact_id: int) -> int:
    """Share a thumbs-down item with the program team (redacted), at its user's request."""
    shown = preview(store, artifact_id)
    return store.share_item(artifact_id, text=shown.text, redactions=shown.redactions)


def _question(text: str) -> str:
    head, _, _ = text.partition("\n\nAnswer:")
    return head.removeprefix("Question:").strip()


def make_eval_case(store: Store, shared_id: int, expectation: str) -> dict[str, Any]:
    """Turn a shared item into an eval case, with the lead's note on what a good reply does."""
    note = " ".join(expectation.split())
    if not note:
        raise InputError(
            "Say what a good reply would have done before making an eval case.",
            "Write one sentence, e.g. 'should cite the guide on cancelled sessions'.",
        )
    if len(note) > NOTE_CHARS:
        raise InputError(f"The note is over {NOTE_CHARS} characters.", "Shorten it.")
    item = next((s for s in store.list_shared() if s["id"] == shared_id), None)
    if item is None:
        raise InputError(
            f"There is no shared item #{shared_id}.",
            "Only items users shared can become eval cases.",
        )
    case: dict[str, Any] = {
        "id": f"user-{shared_id}",
        "source": f"shared by a user (item #{shared_id}, {item['kind']}, {item['model']})",
        "expectation": note,
    }
    if item["kind"] == "answer":
        case |= {"persona": "mentee", "question": _question(item["text"]), "history": []}
        case["type"] = "grounded"
    else:
        case["text"] = item["text"]
    store.promote_shared(shared_id, case)
    return case


def eval_cases_jsonl(store: Store) -> str:
    cases = [s["eval_case"] for s in reversed(store.list_shared()) if s["eval_case"]]
    return "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)


def voice_summary(store: Store) -> dict[str, int]:
    """What a lead may see about items nobody shared: counts only."""
    shared = store.list_shared()
    down = sum(r["down"] for r in store.ratings_summary())
    return {
        "thumbs_down": down,
        "shared": len(shared),
        "not_shared": max(down - len(shared), 0),
        "cases": sum(1 for s in shared if s["eval_case"]),
    }
